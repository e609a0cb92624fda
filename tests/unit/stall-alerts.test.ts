import {
  ConflictException,
  CreateScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { claimKeyOf } from '../../functions/lib/adapters/dynamo-notification-claims.ts';
import { SchedulerStallSchedules } from '../../functions/lib/adapters/scheduler-stall-schedules.ts';
import { checkStalledShipment } from '../../functions/lib/app/check-stalled-shipment.ts';
import { routeShipmentChanges } from '../../functions/lib/app/route-shipment-changes.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import { LANGUAGES, renderEmail, renderSms } from '../../functions/lib/domain/notification-templates.ts';
import { SHIPMENT_STATUSES, type ShipmentState, type ShipmentStatus } from '../../functions/lib/domain/shipment.ts';
import { stallDueAt, stallMessages, stallScheduleName, stallThresholdSeconds } from '../../functions/lib/domain/stall-alerts.ts';
import { MemoryCounts, routerPorts } from '../support/router-ports.ts';
import { stallTimers } from '../support/stalls.ts';

const HOURS = { alertHours: 48 };
const customer = { id: 'cus-1', phone: '+34600111222', email: 'ana@example.com', locale: 'en', timeZone: 'Europe/Madrid' };

function shipment(status: ShipmentStatus, statusTime: string, overrides: Partial<ShipmentState> = {}): ShipmentState {
  return {
    shipmentId: 'shp-1',
    owner: 'ams',
    status,
    statusTime,
    statusDetails: {},
    customer,
    marks: { status: `${statusTime}#00#ams#s#e` },
    ...overrides,
  };
}

const at = (iso: string) => () => new Date(iso);

describe('stall thresholds', () => {
  it('scale StallAlertHours per status, and none where a shipment cannot stall', () => {
    const hours = Object.fromEntries(SHIPMENT_STATUSES.map((status) => [status, (stallThresholdSeconds(status, HOURS) ?? 0) / 3600]));
    expect(hours).toEqual({
      created: 96,
      picked: 48,
      packed: 48,
      shipped: 48,
      in_transit: 48,
      out_for_delivery: 12,
      delivery_failed: 48,
      attempted_delivery: 48,
      available_for_pickup: 0,
      delivered: 0,
      returned: 0,
      cancelled: 0,
      returned_to_sender: 0,
    });
    expect(stallThresholdSeconds('created', { alertHours: 48, overrideSeconds: 3 })).toBe(3);
    expect(stallThresholdSeconds('delivered', { alertHours: 48, overrideSeconds: 3 })).toBeUndefined();
  });

  it('start the clock when the status happened, or when it was received if later', () => {
    const state = shipment('shipped', '2026-11-01T08:00:00.000Z');
    expect(stallDueAt(state, '2026-11-01T08:00:05.000Z', HOURS)).toBe('2026-11-03T08:00:05.000Z');
    expect(stallDueAt(state, '2026-10-01T00:00:00.000Z', HOURS)).toBe('2026-11-03T08:00:00.000Z');
  });
});

describe('arming on status changes (stream router)', () => {
  const change = (before: ShipmentState | undefined, after: ShipmentState, sequenceNumber = '1') => ({ sequenceNumber, before, after });
  const ports = (stalls = stallTimers(HOURS)) =>
    routerPorts({ publish: async () => ({ failed: [] }) }, { stalls, now: new Date('2026-11-01T08:00:00.000Z') });

  it('arms a new shipment, brings the deadline forward for a shorter threshold, and leaves a later one to the timer', async () => {
    const stalls = stallTimers(HOURS);
    const created = shipment('created', '2026-11-01T08:00:00.000Z');
    const out = shipment('out_for_delivery', '2026-11-01T08:00:00.000Z');
    const failed = shipment('delivery_failed', '2026-11-01T08:00:00.000Z');
    await routeShipmentChanges(ports(stalls), [change(undefined, created)]);
    await routeShipmentChanges(ports(stalls), [change(created, out)]);
    await routeShipmentChanges(ports(stalls), [change(out, failed)]);
    await routeShipmentChanges(ports(stalls), [change(failed, { ...failed, carrier: 'DHL' })]);
    expect(stalls.armed.map(({ dueAt, change }) => `${change} ${dueAt}`)).toEqual([
      'create 2026-11-05T08:00:00.000Z',
      'move 2026-11-01T20:00:00.000Z',
    ]);
  });

  it('arms a shipment once per batch, for its last status change', async () => {
    const stalls = stallTimers(HOURS);
    const created = shipment('created', '2026-11-01T08:00:00.000Z');
    const shipped = shipment('shipped', '2026-11-01T08:00:00.000Z');
    const out = shipment('out_for_delivery', '2026-11-01T08:00:00.000Z');
    await routeShipmentChanges(ports(stalls), [change(undefined, created, '1'), change(created, shipped, '2'), change(shipped, out, '3')]);
    expect(stalls.armed).toEqual([{ shipmentId: 'shp-1', dueAt: '2026-11-01T20:00:00.000Z', change: 'create' }]);
  });

  it('reports the record failed when its timer cannot be armed, so Lambda retries it', async () => {
    const stalls = stallTimers(HOURS);
    stalls.schedules.arm = async () => {
      throw new Error('throttled');
    };
    const result = await routeShipmentChanges(ports(stalls), [change(undefined, shipment('shipped', '2026-11-01T08:00:00.000Z'), '42')]);
    expect(result.failedSequenceNumbers).toEqual(['42']);
  });
});

describe('a fired timer', () => {
  const fired = { shipmentId: 'shp-1', dueAt: '2026-11-03T08:00:00.000Z' };
  function ports(state: ShipmentState | undefined, now: string, cap = 1_000) {
    const published: NotificationMessage[] = [];
    const suppressed: { message: NotificationMessage; reason: string }[] = [];
    const stalls = stallTimers(HOURS);
    stalls.due.set('shp-1', fired.dueAt);
    return {
      published,
      suppressed,
      stalls,
      ports: {
        counts: new MemoryCounts(),
        capOf: async (warehouseId: string) => (warehouseId === 'ams' ? cap : 1_000),
        suppressions: { suppress: async (message: NotificationMessage, reason: string) => void suppressed.push({ message, reason }) },
        states: { currentState: async () => (state ? { state, statusReceivedAt: state.statusTime } : undefined) },
        deadlines: stalls.deadlines,
        schedules: stalls.schedules,
        publisher: {
          async publish(messages: readonly NotificationMessage[]) {
            published.push(...messages);
            return { failed: [] };
          },
        },
        settings: HOURS,
        clock: at(now),
      },
    };
  }

  it('alerts a shipment that did not move, on every channel, and operators only the first time', async () => {
    const { ports: p, published, stalls } = ports(shipment('shipped', '2026-11-01T08:00:00.000Z'), '2026-11-03T08:00:01.000Z');
    const first = await checkStalledShipment(p, fired);
    const again = await checkStalledShipment(p, fired);
    expect([first.kind, first.kind === 'alerted' && first.first, again.kind === 'alerted' && again.first]).toEqual([
      'alerted',
      true,
      false,
    ]);
    // Both deliveries publish (the senders' claims, keyed by the stall, send once); the same claim key both times.
    expect(published.map((message) => `${message.channel} ${claimKeyOf(message).SK}`)).toEqual([
      'sms NOTIFICATION#stalled@shipped@2026-11-01T08:00:00.000Z#sms',
      'email NOTIFICATION#stalled@shipped@2026-11-01T08:00:00.000Z#email',
      'sms NOTIFICATION#stalled@shipped@2026-11-01T08:00:00.000Z#sms',
      'email NOTIFICATION#stalled@shipped@2026-11-01T08:00:00.000Z#email',
    ]);
    expect(stalls.due.has('shp-1')).toBe(false);
    expect(stalls.armed).toEqual([]);
  });

  it("counts the alert against its owner's daily cap: what is over it is recorded suppressed, not published", async () => {
    const { ports: p, published, suppressed } = ports(shipment('shipped', '2026-11-01T08:00:00.000Z'), '2026-11-03T08:00:01.000Z', 1);
    const outcome = await checkStalledShipment(p, fired);
    expect(outcome).toMatchObject({ kind: 'alerted', first: true, suppressed: 1 });
    expect(published.map(({ channel }) => channel)).toEqual(['sms']);
    expect(suppressed.map(({ message, reason }) => `${message.channel} ${reason}`)).toEqual([
      'email warehouse ams reached its daily cap of 1 notifications',
    ]);
  });

  it('re-arms for a shipment that moved since (a reset), telling nobody', async () => {
    const { ports: p, published, stalls } = ports(shipment('in_transit', '2026-11-02T20:00:00.000Z'), '2026-11-03T08:00:01.000Z');
    expect(await checkStalledShipment(p, fired)).toEqual({ kind: 'rearmed', dueAt: '2026-11-04T20:00:00.000Z' });
    expect([published, stalls.armed]).toEqual([[], [{ shipmentId: 'shp-1', dueAt: '2026-11-04T20:00:00.000Z', change: 'create' }]]);
  });

  it('stops for a delivered or cancelled shipment (a cancel), telling nobody and leaving nothing armed', async () => {
    for (const status of ['delivered', 'cancelled', 'available_for_pickup'] as const) {
      const { ports: p, published, stalls } = ports(shipment(status, '2026-11-02T20:00:00.000Z'), '2026-11-03T08:00:01.000Z');
      expect(await checkStalledShipment(p, fired)).toEqual({ kind: 'stopped' });
      expect([published, stalls.armed, stalls.due.has('shp-1')]).toEqual([[], [], false]);
    }
  });
});

describe('the delay message', () => {
  it('exists in every language, names the parcel and fits one GSM-7 segment', () => {
    for (const language of LANGUAGES) {
      const [sms, email] = stallMessages(
        shipment('shipped', '2026-11-01T08:00:00.000Z', { customer: { ...customer, locale: language }, trackingNumber: 'JD0001' }),
      ) as [NotificationMessage, NotificationMessage];
      expect(renderSms(sms)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
      expect(renderSms(sms).text).toContain('JD0001');
      expect(renderEmail(email).text).toContain('JD0001');
    }
  });
});

describe('Scheduler schedules', () => {
  const scheduler = mockClient(SchedulerClient);
  afterEach(() => scheduler.reset());
  const schedules = () =>
    new SchedulerStallSchedules(
      new SchedulerClient({}),
      { groupName: 'stalls', queueArn: 'arn:aws:sqs:us-east-1:1:StallTimerQueue', roleArn: 'arn:aws:iam::1:role/SchedulerRole' },
      at('2026-11-01T08:00:00.400Z'),
    );

  it('creates a one-time schedule per shipment, named within Scheduler’s rules, deleted after it fires', async () => {
    scheduler.on(CreateScheduleCommand).resolves({});
    await schedules().arm('shp #1 / ü', '2026-11-03T08:00:00.000Z', 'create');
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      GroupName: 'stalls',
      ScheduleExpression: 'at(2026-11-03T08:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: 'arn:aws:sqs:us-east-1:1:StallTimerQueue',
        Input: JSON.stringify({ shipmentId: 'shp #1 / ü', dueAt: '2026-11-03T08:00:00.000Z' }),
      },
    });
    expect(input?.Name).toMatch(/^[0-9a-zA-Z-_.]{1,64}$/);
    expect(stallScheduleName('shp-1')).not.toBe(stallScheduleName('shp-2'));
  });

  it('moves an existing schedule, creates one that fired and went meanwhile, and never points at the past', async () => {
    scheduler.on(UpdateScheduleCommand).rejects(new ResourceNotFoundException({ message: 'gone', Message: 'gone', $metadata: {} }));
    scheduler.on(CreateScheduleCommand).resolves({});
    await schedules().arm('shp-1', '2026-10-01T00:00:00.000Z', 'move');
    expect(
      [UpdateScheduleCommand, CreateScheduleCommand].map((command) =>
        scheduler.commandCalls(command).map((call) => call.args[0].input.ScheduleExpression),
      ),
    ).toEqual([['at(2026-11-01T08:00:02)'], ['at(2026-11-01T08:00:02)']]);
  });

  it('moves the schedule a concurrent arm created meanwhile', async () => {
    scheduler.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    scheduler.on(UpdateScheduleCommand).resolves({});
    await schedules().arm('shp-1', '2026-11-03T08:00:00.000Z', 'create');
    expect(scheduler.commandCalls(UpdateScheduleCommand).map((call) => call.args[0].input.ScheduleExpression)).toEqual([
      'at(2026-11-03T08:00:00)',
    ]);
  });
});
