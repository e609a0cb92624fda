import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { stateItem } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { composeIngestEvents } from '../../functions/lib/composition/ingest-events.ts';
import { composeStreamRouter } from '../../functions/lib/composition/stream-router.ts';
import { OTHER_SECRET, postEvents, shipmentCreated, TEST_SECRET } from '../support/events.ts';

// Where IngestFunction and StreamRouterFunction find the warehouses on AWS: the SSM path their
// settings name, read by path, recursively and decrypted; WEBHOOK_SECRETS, when set, instead.

const ssm = mockClient(SSMClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const scheduler = mockClient(SchedulerClient);
afterEach(() => {
  ssm.reset();
  dynamo.reset();
  sns.reset();
  scheduler.reset();
});

const LIMITS = {
  WAREHOUSE_REGISTRY_CACHE_SECONDS: 300,
  WAREHOUSE_REQUESTS_PER_SECOND: 50,
  WAREHOUSE_REQUEST_BURST: 200,
  WAREHOUSE_NOTIFICATIONS_PER_DAY: 10_000,
};
const ams = {
  id: 'ams-1',
  sources: ['//warehouse/ams-1'],
  secrets: [TEST_SECRET],
  scopes: ['shipments'],
  limits: { notificationsPerDay: 1 },
};
const registry = (...entries: object[]) => ({
  Parameters: entries.map((entry) => ({
    Name: `/parcelcast/test/warehouses/${(entry as { id: string }).id}`,
    Value: JSON.stringify(entry),
  })),
});

describe('IngestFunction composed on AWS', () => {
  it("verifies with the keys of the warehouse the path names, read from the registry's path once", async () => {
    ssm.on(GetParametersByPathCommand).resolves(registry(ams));
    dynamo.on(GetCommand).resolves({});
    dynamo.on(TransactWriteCommand).resolves({});
    dynamo.on(PutCommand).resolves({});
    const ingest = composeIngestEvents({
      TABLE_NAME: 'parcelcast-test',
      WAREHOUSE_REGISTRY_PATH: '/parcelcast/test/warehouses',
      ...LIMITS,
    });

    const accepted = await ingest(postEvents(shipmentCreated('shp-aws-1'), { warehouse: 'ams-1' }), lambdaContext('IngestFunction'));
    const wrongKey = await ingest(
      postEvents(shipmentCreated('shp-aws-2'), { warehouse: 'ams-1', secret: OTHER_SECRET }),
      lambdaContext('IngestFunction'),
    );

    expect([accepted.statusCode, wrongKey.statusCode]).toEqual([202, 401]);
    expect(ssm.commandCalls(GetParametersByPathCommand).map((call) => call.args[0].input)).toEqual([
      { Path: '/parcelcast/test/warehouses', Recursive: true, WithDecryption: true },
    ]);
  });

  it('answers 401 and writes nothing while the registry holds no warehouse', async () => {
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    const ingest = composeIngestEvents({ TABLE_NAME: 'parcelcast-test', WAREHOUSE_REGISTRY_PATH: '/parcelcast/test/empty', ...LIMITS });

    const response = await ingest(postEvents(shipmentCreated('shp-aws-3')), lambdaContext('IngestFunction'));

    expect(response.statusCode).toBe(401);
    expect(dynamo.calls()).toEqual([]);
  });

  it('answers 503, not 401, while SSM throttles the registry read: the client should retry', async () => {
    ssm.on(GetParametersByPathCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const ingest = composeIngestEvents({
      TABLE_NAME: 'parcelcast-test',
      WAREHOUSE_REGISTRY_PATH: '/parcelcast/test/warehouses',
      ...LIMITS,
    });

    const response = await ingest(postEvents(shipmentCreated('shp-aws-4'), { warehouse: 'ams-1' }), lambdaContext('IngestFunction'));

    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('1');
  });

  it('uses the WEBHOOK_SECRETS development warehouse instead when it is set, reading no registry', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(TransactWriteCommand).resolves({});
    dynamo.on(PutCommand).resolves({});
    const ingest = composeIngestEvents({
      TABLE_NAME: 'parcelcast-test',
      WEBHOOK_SECRETS: TEST_SECRET,
      WAREHOUSE_REGISTRY_PATH: '/p',
      ...LIMITS,
    });

    const response = await ingest(postEvents({ ...shipmentCreated('shp-aws-5'), source: 'urn:any' }), lambdaContext('IngestFunction'));

    expect(response.statusCode).toBe(202);
    expect(ssm.calls()).toEqual([]);
  });
});

describe('StreamRouterFunction composed on AWS', () => {
  it("caps each warehouse's notifications at its registration's cap, else the default", async () => {
    ssm.on(GetParametersByPathCommand).resolves(registry(ams));
    // ams-1 has used its one notification of the day already; the unregistered one has room. No
    // stall timer is armed yet (the STALL items are new).
    dynamo
      .on(UpdateCommand)
      .callsFake((input: { Key: { PK: string; SK: string } }) =>
        input.Key.SK === 'STALL' ? {} : { Attributes: { notifications: input.Key.PK.includes('ams-1') ? 3 : 2 } },
      );
    scheduler.on(CreateScheduleCommand).resolves({});
    dynamo.on(PutCommand).resolves({});
    sns.on(PublishBatchCommand).resolves({ Failed: [] });
    const route = composeStreamRouter({
      TABLE_NAME: 't',
      NOTIFICATIONS_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:T',
      WAREHOUSE_REGISTRY_PATH: '/parcelcast/test/warehouses',
      ...LIMITS,
      STALL_ALERT_HOURS: 48,
      STALL_SCHEDULE_GROUP: 'stalls',
      STALL_TIMER_QUEUE_ARN: 'arn:aws:sqs:us-east-1:000000000000:StallTimerQueue',
      STALL_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/StallScheduler',
      SPLIT_ORDER_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:SplitOrderWindow',
      SPLIT_ORDER_WINDOW_SECONDS: 600,
    });
    const shipped = (owner: string) => {
      const time = '2026-11-01T10:00:00.000Z';
      const image = (status: 'packed' | 'shipped') =>
        stateItem(
          {
            shipmentId: `shp-${owner}`,
            owner,
            status,
            statusTime: time,
            statusDetails: {},
            customer: { id: 'cus-1', phone: '+34600111222', email: 'a@example.com' },
            marks: { status: `${time}#${status === 'packed' ? 30 : 40}#${owner}#s#${status}`, customer: `${time}#000#s#e0` },
          },
          status === 'packed' ? 3 : 4,
        );
      return {
        eventName: 'MODIFY' as const,
        dynamodb: {
          Keys: marshall({ PK: `SHIPMENT#shp-${owner}`, SK: 'SHIPMENT' }) as never,
          OldImage: marshall(image('packed')) as never,
          NewImage: marshall(image('shipped')) as never,
          SequenceNumber: owner,
        },
      };
    };

    await route({ Records: [shipped('ams-1'), shipped('gone')] }, lambdaContext('StreamRouterFunction'));

    const published = sns.commandCalls(PublishBatchCommand).flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);
    expect(published.map((entry) => JSON.parse(String(entry.Message)).notificationId).sort()).toEqual([
      'shipment#shp-gone#shipped@2026-11-01T10:00:00.000Z#email',
      'shipment#shp-gone#shipped@2026-11-01T10:00:00.000Z#sms',
    ]);
    expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.outcome)).toEqual(['suppressed', 'suppressed']);
    // The cap holds messages back, never stall timers: both shipments are armed.
    expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(2);
  });
});
