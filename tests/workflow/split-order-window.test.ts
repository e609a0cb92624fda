import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { resourceNames } from '../../emulator/resource-names.ts';
import { loadDefinition, type PublishRequest, taskBindings } from '../../emulator/step-functions.ts';
import { DynamoOrderWindows } from '../../functions/lib/adapters/dynamo-order-windows.ts';
import { closeOrderWindow, OrderWindowPublishError } from '../../functions/lib/app/close-order-window.ts';
import type { ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import type { OrderWindows } from '../../functions/lib/domain/ports.ts';
import type { ShipmentState } from '../../functions/lib/domain/shipment.ts';
import { splitOrderExecutionName } from '../../functions/lib/domain/split-orders.ts';
import { PROJECT_ROOT, projectTemplate } from '../../support/project.ts';
import { createTestTable } from '../support/dynamo.ts';
import { shipmentCreated, shipmentStatus } from '../support/events.ts';
import { MemoryOrderWindows } from '../support/orders.ts';
import { MemoryCounts } from '../support/router-ports.ts';
import { stateAfter, TEST_OWNER } from '../support/shipments.ts';

// The real statemachines/split-order-window.asl.json, substituted as the template says, run by
// aws-local-stepfunctions. The CloseWindow task runs the real use case over in-memory windows.

const template = projectTemplate();
const ALERTS = 'arn:aws:sns:us-east-1:000000000000:AlertsTopic';
const names = { ...resourceNames(template, 'http://127.0.0.1'), AlertsTopic: ALERTS };
const definition = loadDefinition(template, 'SplitOrderWindowStateMachine', names, PROJECT_ROOT);

const ORDER = 'ord-9';
const input = { owner: TEST_OWNER, orderId: ORDER, status: 'out_for_delivery' as const, windowSeconds: 600 };
const name = splitOrderExecutionName(TEST_OWNER, ORDER, 'out_for_delivery');
/** The episode members join with: what it is does not matter to closing. */
const EPISODE = '2026-11-01T08:10:00.000Z';

function parcel(id: string, minute: number): ShipmentState {
  return stateAfter([
    shipmentCreated(id, 0, { orderId: ORDER, trackingNumber: `TRK-${id}` }) as ShipmentEvent,
    shipmentStatus('out_for_delivery', id, minute) as ShipmentEvent,
  ]) as ShipmentState;
}

interface RunOptions {
  failPublishes?: number;
  joined?: string[];
  /** The windows to close (in memory unless given), joined by `joined` first. */
  windows?: OrderWindows;
  /** The execution's own input and name (the waiting one's unless given). */
  input?: typeof input;
  name?: string;
  published?: NotificationMessage[];
  counts?: MemoryCounts;
}

async function run(options: RunOptions = {}) {
  const windows = options.windows ?? new MemoryOrderWindows();
  const executionInput = options.input ?? input;
  const executionName = options.name ?? name;
  const states = new Map(['s-1', 's-2', 's-3'].map((id, index) => [id, parcel(id, 10 + index)]));
  for (const id of options.joined ?? [...states.keys()]) await windows.join(TEST_OWNER, ORDER, 'out_for_delivery', id, EPISODE);
  const published: NotificationMessage[] = options.published ?? [];
  const alerts: PublishRequest[] = [];
  const invocations: unknown[] = [];
  let failures = options.failPublishes ?? 0;
  const ports = {
    windows,
    states: { currentState: async (id: string) => (states.has(id) ? { state: states.get(id)!, statusReceivedAt: '' } : undefined) },
    publisher: {
      publish: async (messages: readonly NotificationMessage[]) => {
        if (failures > 0) {
          failures -= 1;
          return { failed: messages.map((_, index) => index) };
        }
        published.push(...messages);
        return { failed: [] };
      },
    },
    counts: options.counts ?? new MemoryCounts(),
    capOf: async () => 100,
    suppressions: { suppress: async () => undefined },
    clock: () => new Date('2026-11-01T09:10:00Z'),
  };
  const execution = new StateMachine(definition).run(executionInput, {
    overrides: {
      taskResourceLocalHandlers: taskBindings(definition, {
        invoke: async (_functionId, payload) => {
          invocations.push(payload);
          return closeOrderWindow(ports, payload as typeof input);
        },
        publish: async (request) => {
          alerts.push(request);
          return `msg-${alerts.length}`;
        },
      }),
      waitTimeOverrides: { WaitForOtherParcels: 0 },
      retryIntervalOverrides: { CloseWindow: 0, AlertOperators: 0 },
    },
    context: { Execution: { Name: executionName, Input: executionInput, StartTime: new Date().toISOString() } },
  });
  const events: any[] = [];
  const logged = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  let output: unknown;
  let failure: Error | undefined;
  try {
    output = await execution.result;
  } catch (error) {
    failure = error as Error;
  }
  await logged;
  const entered = events.filter((event) => event.type === 'StateEntered').map((event) => event.state.name);
  return { output, failure, published, alerts, invocations, entered, windows, events };
}

describe('SplitOrderWindow state machine (real ASL, aws-local-stepfunctions)', () => {
  it('waits the window from its input, then closes it and publishes one message per channel naming every parcel', async () => {
    expect(definition.States.WaitForOtherParcels).toMatchObject({ Type: 'Wait', SecondsPath: '$.windowSeconds' });
    const { output, failure, published, invocations, entered, windows } = await run();

    expect(failure).toBeUndefined();
    expect(entered).toEqual(['WaitForOtherParcels', 'CloseWindow', 'WindowClosed']);
    expect(invocations).toEqual([{ owner: TEST_OWNER, orderId: ORDER, status: 'out_for_delivery', executionName: name }]);
    expect(output).toEqual({ orderId: ORDER, status: 'out_for_delivery', members: 3, named: 3, published: 2, suppressed: 0 });
    expect(published.map((message) => [message.channel, message.eventType, message.order?.parcels.map((p) => p.shipmentId)])).toEqual([
      ['sms', 'order.out_for_delivery', ['s-1', 's-2', 's-3']],
      ['email', 'order.out_for_delivery', ['s-1', 's-2', 's-3']],
    ]);
    // Closed: a parcel that comes later is told on its own.
    expect(await windows.join(TEST_OWNER, ORDER, 'out_for_delivery', 's-4', EPISODE)).toEqual({ joined: false });
    // The execution's data names no contact.
    expect(JSON.stringify({ output, invocations })).not.toMatch(/@example\.com|\+34600/);
  });

  it('retries a publish SNS did not accept and sends the same claims, so the senders send once', async () => {
    const { failure, published, invocations } = await run({ failPublishes: 2 });

    expect(failure).toBeUndefined();
    expect(invocations).toHaveLength(3);
    expect(published.map((message) => message.notificationId)).toEqual([
      `order#${TEST_OWNER}#${ORDER}#out_for_delivery#sms`,
      `order#${TEST_OWNER}#${ORDER}#out_for_delivery#email`,
    ]);
  });

  it('alerts operators and fails clearly when the messages cannot be published', async () => {
    const { failure, alerts, entered, events, invocations } = await run({ failPublishes: 99 });

    expect(failure).toBeDefined();
    // The first attempt and the four retries of OrderWindowPublishError.
    expect(invocations).toHaveLength(5);
    expect(events.find((event) => event.type === 'ExecutionFailed')).toMatchObject({ Error: 'SplitOrderWindowFailed' });
    expect(entered.slice(-2)).toEqual(['AlertOperators', 'CombinedMessageFailed']);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.TopicArn).toBe(ALERTS);
    expect(alerts[0]?.Message).toContain(ORDER);
    expect(alerts[0]?.Message).toContain(new OrderWindowPublishError('').name);
  });

  it('sends a window left with one parcel as that parcel’s own message', async () => {
    const { output, published } = await run({ joined: ['s-2'] });

    expect(output).toMatchObject({ members: 1, named: 1, published: 2 });
    expect(published.map((message) => message.notificationId)).toEqual([
      'shipment#s-2#out_for_delivery@2026-11-01T08:11:00.000Z#sms',
      'shipment#s-2#out_for_delivery@2026-11-01T08:11:00.000Z#email',
    ]);
  });
  it('closes a complete window at once, and the execution that waited finds it published (windows on DynamoDB Local)', async () => {
    const table = await createTestTable();
    const windows = new DynamoOrderWindows(table.documents, table.tableName);
    const published: NotificationMessage[] = [];
    const counts = new MemoryCounts();
    const complete = splitOrderExecutionName(TEST_OWNER, ORDER, 'out_for_delivery', 'complete');
    // Every parcel joined: the stream router started the complete execution, with no wait.
    const early = await run({ windows, published, counts, input: { ...input, windowSeconds: 0 }, name: complete });
    expect(early.failure).toBeUndefined();
    expect(early.entered).toEqual(['WaitForOtherParcels', 'CloseWindow', 'WindowClosed']);
    expect(early.invocations).toEqual([{ owner: TEST_OWNER, orderId: ORDER, status: 'out_for_delivery', executionName: complete }]);
    expect(early.output).toEqual({ orderId: ORDER, status: 'out_for_delivery', members: 3, named: 3, published: 2, suppressed: 0 });

    // The execution started by the first parcel ends its wait later: the same window, closed and published.
    const waited = await run({ windows, published, counts, joined: [] });
    expect(waited.failure).toBeUndefined();
    expect(waited.output).toEqual({ orderId: ORDER, status: 'out_for_delivery', members: 3, named: 0, published: 0, suppressed: 0 });
    expect(published.map((message) => message.notificationId)).toEqual([
      `order#${TEST_OWNER}#${ORDER}#out_for_delivery#sms`,
      `order#${TEST_OWNER}#${ORDER}#out_for_delivery#email`,
    ]);
    // The owner's daily count has the two messages once.
    expect([...counts.totals.values()]).toEqual([2]);
  });
});
