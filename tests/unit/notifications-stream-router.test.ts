import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { DynamoCustomerProfiles } from '../../functions/lib/adapters/dynamo-customer-profiles.ts';
import { documentClient } from '../../functions/lib/adapters/dynamo-documents.ts';
import { stateItem } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { SnsNotificationPublisher } from '../../functions/lib/adapters/sns-notification-publisher.ts';
import { idDigest } from '../../functions/lib/domain/id-digest.ts';
import type { ShipmentState } from '../../functions/lib/domain/shipment.ts';
import { streamRouterHandler } from '../../functions/lib/handlers/stream-router.ts';
import { createObservability } from '../../functions/lib/runtime/observability.ts';
import { routerPorts } from '../support/router-ports.ts';

const sns = mockClient(SNSClient);
const dynamo = mockClient(DynamoDBDocumentClient);
beforeEach(() => dynamo.on(PutCommand).resolves({}));
afterEach(() => {
  sns.reset();
  dynamo.reset();
});

const customer = { id: 'cus-1', phone: '+34600111222', email: 'ana@example.com', locale: 'fr-FR' };
const TIME = '2026-11-01T10:00:00.000Z';
const RECEIPT = '2026-11-01T10:00:01.000Z#000#2026-11-01T09:00:00.000Z#00#ams#s#e0';

/** A state item as the store writes it (its customer received at RECEIPT unless `extra` says otherwise). */
function aggregate(shipmentId: string, status: ShipmentState['status'], extra: Partial<ShipmentState> = {}) {
  return stateItem(
    {
      shipmentId,
      owner: 'ams',
      status,
      statusTime: TIME,
      statusDetails: {},
      customer,
      marks: { status: `${TIME}#40#ams#s#${status}`, customer: RECEIPT },
      ...extra,
    },
    2,
  );
}

let sequence = 100;
function record(before: Record<string, unknown> | undefined, after: Record<string, unknown>): DynamoDBRecord {
  sequence += 1;
  return {
    eventName: before ? 'MODIFY' : 'INSERT',
    dynamodb: {
      Keys: marshall({ PK: after.PK, SK: after.SK }) as never,
      ...(before ? { OldImage: marshall(before, { removeUndefinedValues: true }) as never } : {}),
      NewImage: marshall(after, { removeUndefinedValues: true }) as never,
      SequenceNumber: String(sequence),
    },
  };
}

const router = () =>
  streamRouterHandler(
    routerPorts(
      new SnsNotificationPublisher(new SNSClient({}), 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic', {
        attempts: 2,
        baseDelayMs: 1,
        sleep: async () => undefined,
      }),
      { profiles: new DynamoCustomerProfiles(documentClient(new DynamoDBClient({})), 'ParcelTable') },
    ),
    createObservability(),
  );

describe('stream-router', () => {
  it('publishes one message per channel for an announced status change, nothing for others', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [] });

    const response = await router()(
      {
        Records: [
          record(aggregate('a', 'packed'), aggregate('a', 'shipped')),
          record(aggregate('b', 'created'), aggregate('b', 'picked')),
          record(undefined, aggregate('c', 'created')),
        ],
      },
      lambdaContext('StreamRouterFunction'),
    );

    expect(response.batchItemFailures).toEqual([]);
    const entries = sns.commandCalls(PublishBatchCommand).flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
    expect(entries.map((entry) => JSON.parse(entry.Message ?? '{}').notificationId)).toEqual([
      'shipment#a#shipped@2026-11-01T10:00:00.000Z#sms',
      'shipment#a#shipped@2026-11-01T10:00:00.000Z#email',
    ]);
    expect(entries[1]?.MessageAttributes?.locale).toEqual({ DataType: 'String', StringValue: 'fr-FR' });
  });

  it('reports the record whose messages SNS failed, and only it', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [{ Id: 'm2', Code: 'InvalidParameter', SenderFault: true }] });
    const first = record(aggregate('x', 'packed'), aggregate('x', 'shipped'));
    const second = record(aggregate('y', 'shipped'), aggregate('y', 'delivered'));

    const response = await router()({ Records: [first, second] }, lambdaContext('StreamRouterFunction'));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: second.dynamodb?.SequenceNumber }]);
  });

  it('fails the whole batch, publishing nothing, when a shipment record cannot be read, so bisecting isolates it', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [] });
    const readable = record(aggregate('r', 'packed'), aggregate('r', 'shipped'));
    const { marks: _dropped, ...withoutMarks } = aggregate('u', 'shipped');
    const unreadable = record(aggregate('u', 'packed'), withoutMarks);

    const response = router()({ Records: [readable, unreadable] }, lambdaContext('StreamRouterFunction'));

    await expect(response).rejects.toThrow(new RegExp(`unreadable stream records: ${unreadable.dynamodb?.SequenceNumber}$`));
    expect(sns).not.toHaveReceivedCommand(PublishBatchCommand);
  });

  it('tells an entry into a status within the bound, and withholds one beyond it with a warning for the operator, no contact in it', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [] });
    const observability = createObservability();
    const warn = vi.spyOn(observability.logger, 'warn');
    const counted: string[] = [];
    vi.spyOn(observability.metrics, 'singleMetric').mockImplementation(() => {
      let dimensions = '';
      const metric = {
        addDimension(name: string, value: string) {
          dimensions = JSON.stringify({ [name]: value });
          return metric;
        },
        // As Powertools' single-metric instance: it publishes, then forgets the dimensions added for it.
        addMetric: (name: string, _unit: string, value: number) => {
          counted.push(`${name} ${dimensions} ${value}`);
          dimensions = '';
        },
      };
      return metric as never;
    });
    const handler = streamRouterHandler(
      routerPorts(new SnsNotificationPublisher(new SNSClient({}), 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic')),
      observability,
    );
    const entering = (shipmentId: string, entry: number) =>
      record(
        aggregate(shipmentId, 'in_transit', { statusEntries: { in_transit: entry, out_for_delivery: entry - 1 } }),
        aggregate(shipmentId, 'out_for_delivery', { statusEntries: { in_transit: entry, out_for_delivery: entry } }),
      );

    const flapping = entering('flap', 4);
    const response = await handler({ Records: [entering('third', 3), flapping, flapping] }, lambdaContext('StreamRouterFunction'));

    expect(response.batchItemFailures).toEqual([]);
    const entries = sns.commandCalls(PublishBatchCommand).flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
    expect(entries.map((entry) => JSON.parse(entry.Message ?? '{}').notificationId)).toEqual([
      'shipment#third#out_for_delivery@2026-11-01T10:00:00.000Z#sms',
      'shipment#third#out_for_delivery@2026-11-01T10:00:00.000Z#email',
    ]);
    const lines = warn.mock.calls.filter(([message]) => String(message).startsWith('status entry not told')).map(([, details]) => details);
    // A redelivered record is judged the same way, from the same image.
    expect(lines).toEqual([
      { shipmentId: idDigest('flap'), warehouse: 'ams', status: 'out_for_delivery', entry: 4, told: 3 },
      { shipmentId: idDigest('flap'), warehouse: 'ams', status: 'out_for_delivery', entry: 4, told: 3 },
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/\+34600111222|ana@example\.com/);
    // By warehouse, one per entry, and in all for the batch (what StatusEntriesWithheldAlarm watches).
    expect(counted).toEqual([
      'StatusEntriesWithheld {"warehouse":"ams"} 1',
      'StatusEntriesWithheld {"warehouse":"ams"} 1',
      'StatusEntriesWithheld  2',
    ]);
  });

  it('ignores removals and items that are not shipment states', async () => {
    const notification = { PK: 'SHIPMENT#z', SK: 'NOTIFICATION#shipped#sms', outcome: 'sent' };

    const response = await router()(
      {
        Records: [
          { ...record(undefined, notification), eventName: 'INSERT' },
          { ...record(aggregate('z', 'shipped'), aggregate('z', 'delivered')), eventName: 'REMOVE' },
        ],
      },
      lambdaContext('StreamRouterFunction'),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(sns).not.toHaveReceivedCommand(PublishBatchCommand);
  });

  it("counts a shipment's messages against its owner's daily cap, from the state's owner in the stream image", async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [] });
    const ports = routerPorts(new SnsNotificationPublisher(new SNSClient({}), 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic'), {
      caps: { 'ams-1': 1 },
    });

    const response = await streamRouterHandler(ports, createObservability())(
      {
        Records: [
          record(aggregate('own', 'packed', { owner: 'ams-1' }), aggregate('own', 'shipped', { owner: 'ams-1' })),
          // Another warehouse's shipment: ams-1's cap does not hold it back.
          record(aggregate('other', 'packed'), aggregate('other', 'shipped')),
        ],
      },
      lambdaContext('StreamRouterFunction'),
    );

    const entries = sns.commandCalls(PublishBatchCommand).flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
    expect(response.batchItemFailures).toEqual([]);
    expect(entries.map((entry) => JSON.parse(entry.Message ?? '{}').notificationId)).toEqual([
      'shipment#own#shipped@2026-11-01T10:00:00.000Z#sms',
      'shipment#other#shipped@2026-11-01T10:00:00.000Z#sms',
      'shipment#other#shipped@2026-11-01T10:00:00.000Z#email',
    ]);
    expect(ports.suppressed.map(({ message, reason }) => [message.notificationId, reason])).toEqual([
      ['shipment#own#shipped@2026-11-01T10:00:00.000Z#email', 'warehouse ams-1 reached its daily cap of 1 notifications'],
    ]);
  });
});

describe('stream-router keeping customer profiles', () => {
  const puts = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);

  it("keeps the profile under the shipment owner's key when a customer first appears, on the condition that it is newer", async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [] });
    await router()({ Records: [record(withoutCustomer(), aggregate('p', 'picked'))] }, lambdaContext('StreamRouterFunction'));

    expect(puts()).toEqual([
      {
        TableName: 'ParcelTable',
        Item: { PK: 'CUSTOMER#ams#cus-1', SK: 'PROFILE', entity: 'customer', owner: 'ams', ...customer, mark: RECEIPT },
        ConditionExpression: 'attribute_not_exists(PK) OR #mark < :mark',
        ExpressionAttributeNames: { '#mark': 'mark' },
        ExpressionAttributeValues: { ':mark': RECEIPT },
      },
    ]);
  });

  it('writes no profile when the customer did not move, and one when a newer correction did', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [] });
    const corrected = `2026-11-02${RECEIPT.slice(10)}`;

    await router()(
      {
        Records: [
          record(aggregate('q', 'packed'), aggregate('q', 'shipped')),
          record(
            aggregate('q', 'shipped'),
            aggregate('q', 'shipped', {
              customer: { ...customer, phone: '+34600999999' },
              marks: { status: `${TIME}#30#ams#s#x`, customer: corrected },
            }),
          ),
        ],
      },
      lambdaContext('StreamRouterFunction'),
    );

    expect(puts().map((input) => [input.Item?.phone, input.Item?.mark])).toEqual([['+34600999999', corrected]]);
  });

  it('takes a profile that holds a newer correction already as done, and reports a record whose profile write failed', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [] });
    dynamo
      .on(PutCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'newer', $metadata: {} }))
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const older = record(withoutCustomer(), aggregate('s1', 'picked'));
    const failing = record(withoutCustomer(), aggregate('s2', 'picked'));

    const response = await router()({ Records: [older, failing] }, lambdaContext('StreamRouterFunction'));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: failing.dynamodb?.SequenceNumber }]);
  });
});

/** A state item before its shipment.created arrived: no customer, no customer mark. */
function withoutCustomer() {
  const { customer: _customer, ...item } = aggregate('p', 'picked', { marks: { status: `${TIME}#10#ams#s#p` } });
  return item;
}
