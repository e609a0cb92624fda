import { createServer, type Server } from 'node:http';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { sqsRecord, streamRecord } from '../../emulator/lambda-events.ts';
import { StreamPoller, streamSourceSettings } from '../../emulator/stream-poller.ts';
import { functionDefinitions } from '../../emulator/template.ts';
import { DynamoCustomerContacts } from '../../functions/lib/adapters/dynamo-customer-contacts.ts';
import { DynamoNotificationClaims } from '../../functions/lib/adapters/dynamo-notification-claims.ts';
import { DynamoPreferences } from '../../functions/lib/adapters/dynamo-preferences.ts';
import { stateItem } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { DynamoSuppressionList } from '../../functions/lib/adapters/dynamo-suppression-list.ts';
import { EumSmsGateway } from '../../functions/lib/adapters/eum-sms-gateway.ts';
import { SesEmailGateway } from '../../functions/lib/adapters/ses-email-gateway.ts';
import { SnsNotificationPublisher } from '../../functions/lib/adapters/sns-notification-publisher.ts';
import { SqsSmsDeferral } from '../../functions/lib/adapters/sqs-sms-deferral.ts';
import { deliverEmail, deliverSms } from '../../functions/lib/app/deliver-notification.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import type { NotificationPublisher } from '../../functions/lib/domain/notification-ports.ts';
import { channelSenderHandler } from '../../functions/lib/handlers/channel-sender.ts';
import { streamRouterHandler } from '../../functions/lib/handlers/stream-router.ts';
import { sesClient, smsVoiceClient, snsClient, sqsClient } from '../../functions/lib/runtime/aws-clients.ts';
import { createObservability } from '../../functions/lib/runtime/observability.ts';
import { projectTemplate } from '../../support/project.ts';
import * as awsFaults from '../support/aws-endpoint.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';
import { customer, postEvents, shipmentCreated, shipmentStatus, walletEvent } from '../support/events.ts';
import { routerPorts } from '../support/router-ports.ts';

// Fault injection: AWS failing in the ways it does (throttling, 5xx, cancelled transactions, a
// crashed sender, a poison stream record). Each time the retry path is taken, nothing is lost and
// nothing is sent twice. DynamoDB is the real DynamoDB Local behind a loopback proxy that injects
// the service's own error responses; SNS, SQS and SES are a loopback endpoint that answers in
// their wire formats (tests/support/aws-endpoint.ts). Either way the functions' own clients
// (runtime/aws-clients.ts) send the requests, so the SDK's retry strategy runs as it does on AWS.

let aws: awsFaults.FakeAwsEndpoint;
const { tracer } = createObservability();
afterEach(() => aws?.reset());

/** Profiles the stream router keeps, in memory: these tests are about what it publishes. */
const keptProfiles = () => ({ remember: async () => undefined });

/** The stream router publisher's own retry of failed entries, without the waits. */
const noWait = { attempts: 3, baseDelayMs: 1, sleep: async () => undefined };

/** A loopback proxy to DynamoDB Local that answers chosen operations with an injected error, a set number of times. */
interface FaultProxy {
  endpoint: string;
  /** Operations (X-Amz-Target suffix) in the order the proxy received them. */
  received: string[];
  /** Answers the `times` requests of `operation` that follow the next `skip` of them with the error. */
  inject(operation: string, times: number, status: number, body: Record<string, unknown>, skip?: number): void;
  /** Drops the faults not yet used. */
  clear(): void;
  close(): Promise<void>;
}

async function faultProxy(target: string): Promise<FaultProxy> {
  const faults: { operation: string; skip: number; remaining: number; status: number; body: Record<string, unknown> }[] = [];
  const received: string[] = [];
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const operation =
      String(request.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    received.push(operation);
    const fault = faults.find((candidate) => candidate.operation === operation && candidate.remaining > 0);
    if (fault && fault.skip > 0) fault.skip -= 1;
    else if (fault) {
      fault.remaining -= 1;
      response.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(fault.body));
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)),
    ) as Record<string, string>;
    const upstream = await fetch(`${target}${request.url}`, { method: request.method, headers, body: Buffer.concat(chunks) });
    response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/x-amz-json-1.0' });
    response.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    received,
    inject: (operation, times, status, body, skip = 0) => faults.push({ operation, skip, remaining: times, status, body }),
    clear: () => void faults.splice(0),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const THROTTLED = {
  __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
  message: 'The level of configured provisioned throughput for the table was exceeded.',
};
const THROTTLING = {
  __type: 'com.amazon.coral.availability#ThrottlingException',
  message: 'Rate of requests exceeds the allowed throughput.',
};
const CONFLICT = {
  __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
  Message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
  CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }],
};

let table: TestTable;
let proxy: FaultProxy;
let ingest: typeof import('../../functions/ingest-events.ts')['handler'];

beforeAll(async () => {
  table = await createTestTable();
  proxy = await faultProxy(table.endpoint);
  aws = await awsFaults.startFakeAwsEndpoint();
  // The handlers read their table and endpoints once, at cold start: point them at the proxy first.
  vi.stubEnv('TABLE_NAME', table.tableName);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', proxy.endpoint);
  for (const service of ['SNS', 'SQS', 'SESV2', 'PINPOINT_SMS_VOICE_V2']) vi.stubEnv(`AWS_ENDPOINT_URL_${service}`, aws.url);
  ({ handler: ingest } = await import('../../functions/ingest-events.ts'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await proxy?.close();
  await aws?.close();
});

async function post(event: unknown) {
  const response = await ingest(postEvents(event), lambdaContext('IngestFunction'));
  return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') };
}

const storedEvents = async (shipmentId: string) =>
  (await table.scan()).filter((item) => item.PK === `SHIPMENT#${shipmentId}` && String(item.SK).startsWith('EVENT#'));
const stateOf = async (shipmentId: string) =>
  (await table.scan()).find((item) => item.PK === `SHIPMENT#${shipmentId}` && item.SK === 'SHIPMENT') as Record<string, any>;
const puts = () => proxy.received.filter((operation) => operation === 'PutItem').length;

describe('DynamoDB faults on ingest', () => {
  it.each([
    ['ProvisionedThroughputExceededException', THROTTLED],
    ['ThrottlingException', THROTTLING],
  ])('retries a PutItem throttled twice with %s and stores the event once', async (_name, error) => {
    // Prepare
    const event = shipmentStatus('picked', `shp-throttle-${_name.length}`, 1);
    proxy.received.length = 0;
    proxy.inject('PutItem', 2, 400, error);

    // Act
    const response = await post(event);

    // Assess: two throttled attempts at creating the state, then the state and the event.
    expect({
      response: response.body.results,
      attempts: puts(),
      stored: (await storedEvents(event.data.shipmentId as string)).map((item) => (item.event as { id: string }).id),
    }).toEqual({ response: [{ id: event.id, status: 'accepted' }], attempts: 4, stored: [event.id] });
  });

  it('answers a throttle that outlasts the SDK retries with 503, retry-after and the event not stored, and the resend is stored once', async () => {
    // Prepare
    const event = shipmentStatus('packed', 'shp-throttle-long', 2);
    proxy.received.length = 0;
    proxy.inject('PutItem', 1000, 400, THROTTLED);

    // Act
    const first = await post(event);
    const attempts = puts();
    proxy.clear();
    const resend = await post(event);

    // Assess
    expect(attempts).toBeGreaterThan(1);
    expect(first.status, JSON.stringify(first.body)).toBe(503);
    expect(first.body).toMatchObject({
      detail: expect.stringMatching(/send the request again/),
      results: [{ id: event.id, status: 'not_stored' }],
    });
    expect(resend.body.results).toEqual([{ id: event.id, status: 'accepted' }]);
    expect((await storedEvents('shp-throttle-long')).map((item) => (item.event as { id: string }).id)).toEqual([event.id]);
  });

  it('answers a throttle between the two writes with the event not stored, and the resend, a duplicate, mends the state', async () => {
    // Prepare: the shipment exists; the event's own write goes through, every try of the state's fails.
    await post(shipmentCreated('shp-throttle-between', 0));
    const shipped = shipmentStatus('shipped', 'shp-throttle-between', 3, { carrier: 'DHL' });
    proxy.received.length = 0;
    proxy.inject('PutItem', 3, 400, THROTTLED, 1);

    // Act
    const first = await post(shipped);
    const between = await stateOf('shp-throttle-between');
    const resend = await post(shipped);

    // Assess
    expect(first).toMatchObject({ status: 503, body: { results: [{ id: shipped.id, status: 'not_stored' }] } });
    expect(between.status).toBe('created');
    expect(resend.body.results).toEqual([{ id: shipped.id, status: 'duplicate' }]);
    expect(await stateOf('shp-throttle-between')).toMatchObject({ status: 'shipped', carrier: 'DHL' });
    expect(await storedEvents('shp-throttle-between')).toHaveLength(2);
  });

  it("retries a wallet's transaction cancelled by a TransactionConflict and books the entry once", async () => {
    // Prepare
    await post(walletEvent('credited', 'wal-conflict', 1000));
    const debit = walletEvent('debited', 'wal-conflict', 300);
    proxy.received.length = 0;
    proxy.inject('TransactWriteItems', 3, 400, CONFLICT);

    // Act
    const response = await post(debit);

    // Assess
    const items = await table.scan();
    const wallet = items.find((item) => item.PK === 'WALLET#wal-conflict' && item.SK === 'WALLET') as Record<string, any>;
    expect({
      response: response.body.results,
      attempts: proxy.received.filter((operation) => operation === 'TransactWriteItems').length,
      entries: items.filter((item) => item.PK === 'WALLET#wal-conflict' && String(item.SK).startsWith('LEDGER#')).length,
      balance: wallet.balance,
      version: wallet.version,
    }).toEqual({ response: [{ id: debit.id, status: 'accepted' }], attempts: 4, entries: 2, balance: 700, version: 2 });
  });

  it('accepts 12 events of one shipment posted at once (real optimistic-lock races) and keeps every one once', async () => {
    // Prepare
    const events = [
      shipmentCreated('shp-race'),
      ...Array.from({ length: 11 }, (_, index) => shipmentStatus('in_transit', 'shp-race', 10 + index, { location: `hub-${index}` })),
    ];

    // Act
    const responses = await Promise.all(events.map((event) => post(event)));

    // Assess: every event stored once, and the state is that of all of them, whatever order the races were won in.
    expect(responses.map((response) => response.body.results?.[0]?.status)).toEqual(events.map(() => 'accepted'));
    expect((await storedEvents('shp-race')).map((item) => (item.event as { id: string }).id).sort()).toEqual(
      events.map((event) => event.id).sort(),
    );
    expect(await stateOf('shp-race')).toMatchObject({
      status: 'in_transit',
      statusDetails: { location: 'hub-10' },
      orderId: 'ord-shp-race',
      customer: { id: customer.id },
    });
  });
});

describe('SNS faults on the stream-router', () => {
  function message(index: number): NotificationMessage {
    return {
      notificationId: `shipment#shp-sns-${index}#shipped#sms`,
      eventType: 'shipment.shipped',
      channel: 'sms',
      recipient: '+34600111222',
      locale: 'en',
      customerId: 'cus-1',
      owner: 'ams',
      shipment: { shipmentId: `shp-sns-${index}`, status: 'shipped' },
      occurredAt: '2026-11-01T08:00:00.000Z',
    };
  }
  const publishedIds = () => aws.published().map((body) => JSON.parse(body).notificationId as string);

  it('retries a throttled PublishBatch and an entry SNS failed on its side, publishing each message once', async () => {
    // Prepare
    aws.fail('PublishBatch', 1, awsFaults.THROTTLED.sns);
    aws.failEntries(['m3'], 'InternalError', false);
    const messages = Array.from({ length: 5 }, (_, index) => message(index));

    // Act
    const result = await new SnsNotificationPublisher(snsClient(tracer), 'arn:topic', noWait).publish(messages);

    // Assess: the throttled call published nothing; the second published all but m3; the third only m3.
    expect(result.failed).toEqual([]);
    expect(aws.count('PublishBatch')).toBe(3);
    expect(publishedIds().sort()).toEqual(messages.map((m) => m.notificationId).sort());
  });

  it('reports the records of a batch SNS keeps failing with 5xx as batch item failures, so Lambda retries them', async () => {
    // Prepare
    aws.fail('PublishBatch', Number.POSITIVE_INFINITY, awsFaults.UNAVAILABLE.sns);
    const handler = streamRouterHandler(
      routerPorts(new SnsNotificationPublisher(snsClient(tracer), 'arn:topic', noWait), { profiles: keptProfiles() }),
      createObservability(),
    );

    // Act
    const response = await handler(
      { Records: [shipmentRecord('900', 'shp-5xx-a'), shipmentRecord('901', 'shp-5xx-b')] },
      lambdaContext('StreamRouterFunction'),
    );

    // Assess
    expect(response.batchItemFailures.map((item) => item.itemIdentifier).sort()).toEqual(['900', '901']);
    expect(aws.count('PublishBatch')).toBe(3);
  });
});

/** A stream record of a shipment state that has just moved to shipped. */
function shipmentRecord(sequenceNumber: string, shipmentId: string): DynamoDBRecord {
  const time = '2026-11-01T09:00:00.000Z';
  const after = stateItem(
    {
      shipmentId,
      owner: 'ams',
      status: 'shipped',
      statusTime: time,
      statusDetails: {},
      customer: { ...customer, timeZone: 'UTC', channels: ['sms', 'email'] },
      marks: { status: `${time}#30#ams#s#e-${shipmentId}`, customer: `${time}#000#x` },
    },
    2,
  );
  return streamRecord({ eventName: 'MODIFY', keys: { PK: `SHIPMENT#${shipmentId}`, SK: 'SHIPMENT' }, newImage: after, sequenceNumber });
}

describe('SES and SNS SMS faults on the senders, with claims in DynamoDB Local', () => {
  let sequence = 0;
  function notification(channel: 'sms' | 'email'): NotificationMessage {
    sequence += 1;
    const shipmentId = `shp-send-${sequence}`;
    return {
      notificationId: `shipment#${shipmentId}#delivered#${channel}`,
      eventType: 'shipment.delivered',
      channel,
      recipient: channel === 'sms' ? '+34600111222' : 'ana@example.com',
      locale: 'en',
      timeZone: 'UTC',
      customerId: 'cus-1',
      owner: 'ams',
      shipment: { shipmentId, status: 'delivered' },
      occurredAt: '2026-11-01T08:00:00.000Z',
    };
  }
  const sqsEvent = (body: NotificationMessage, receive = 1): SQSEvent => ({
    Records: [sqsRecord({ body: JSON.stringify(body), messageId: `msg-${body.notificationId}-${receive}`, receiveCount: receive })],
  });
  const noon = new Date('2026-11-02T12:00:00Z');
  const at = (seconds: number) => () => new Date(noon.getTime() + seconds * 1000);
  const claimsTable = () => new DynamoNotificationClaims(table.documents, table.tableName);
  const claimOf = async (m: NotificationMessage) =>
    (await table.scan()).find((item) => item.notificationId === m.notificationId) as Record<string, unknown> | undefined;

  // The senders as their composition roots build them, with a clock the test moves and the claims straight on DynamoDB Local.
  const tablePorts = () => ({
    claims: claimsTable(),
    contacts: new DynamoCustomerContacts(table.documents, table.tableName),
    suppressions: new DynamoSuppressionList(table.documents, table.tableName),
    preferences: new DynamoPreferences(table.documents, table.tableName),
    publisher: new SnsNotificationPublisher(snsClient(tracer), 'arn:topic', noWait),
  });

  async function emailHandler(clock: () => Date) {
    const ports = {
      ...tablePorts(),
      email: new SesEmailGateway(sesClient(tracer), { fromAddress: 'notify@parcelcast.example' }),
      links: { linkFor: async () => 'https://api.parcelcast.example/v1/preferences/t' },
      clock,
    };
    return channelSenderHandler('email', (m) => deliverEmail(ports, m), createObservability());
  }

  async function smsHandler(clock: () => Date) {
    const ports = {
      ...tablePorts(),
      sms: new EumSmsGateway(smsVoiceClient(tracer), { originationIdentity: 'pool-1', configurationSetName: 'parcelcast-test' }),
      deferral: new SqsSmsDeferral(sqsClient(tracer), `${aws.url}/000000000000/SmsQueue`),
      clock,
    };
    return channelSenderHandler('sms', (m) => deliverSms(ports, m), createObservability());
  }

  it('retries a throttled SES SendEmail and sends the email once', async () => {
    // Prepare
    aws.fail('SendEmail', 1, awsFaults.THROTTLED.ses);
    const m = notification('email');

    // Act
    const response = await (await emailHandler(at(0)))(sqsEvent(m), lambdaContext('SendEmailFunction'));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(aws.count('SendEmail')).toBe(2);
    expect(await claimOf(m)).toMatchObject({ outcome: 'sent' });
  });

  it('hands an email SES keeps answering 5xx back to the queue, then sends it once on redelivery', async () => {
    // Prepare
    aws.fail('SendEmail', Number.POSITIVE_INFINITY, awsFaults.UNAVAILABLE.ses);
    const m = notification('email');

    // Act: the only record failed, so the handler throws and SQS keeps the whole batch.
    const first = (await emailHandler(at(0)))(sqsEvent(m, 1), lambdaContext('SendEmailFunction'));
    await expect(first).rejects.toThrow(/All records failed/);
    const claimAfterFailure = await claimOf(m);
    const attemptsBeforeRedelivery = aws.count('SendEmail');
    aws.reset();
    const redelivered = await (await emailHandler(at(61)))(sqsEvent(m, 2), lambdaContext('SendEmailFunction'));
    const again = await (await emailHandler(at(120)))(sqsEvent(m, 3), lambdaContext('SendEmailFunction'));

    // Assess
    expect(claimAfterFailure).toMatchObject({ outcome: 'claimed', leaseUntil: 0 });
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(attemptsBeforeRedelivery).toBe(3);
    expect(aws.count('SendEmail')).toBe(1);
    expect(await claimOf(m)).toMatchObject({ outcome: 'sent', attempts: 2 });
  });

  it('retries a throttled End User Messaging SendTextMessage and sends the SMS once', async () => {
    // Prepare
    aws.fail('SendTextMessage', 1, awsFaults.THROTTLED.sms);
    const m = notification('sms');

    // Act
    const response = await (await smsHandler(at(0)))(sqsEvent(m), lambdaContext('SendSmsFunction'));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(aws.count('SendTextMessage')).toBe(2);
    expect(await claimOf(m)).toMatchObject({ outcome: 'sent' });
  });

  it('sends once after a sender crashed between claim and send: duplicates wait out the lease, the redelivery sends', async () => {
    // Prepare: a sender claimed the notification at noon and died before sending or releasing.
    const m = notification('email');
    const crashed = await claimsTable().claim(m, at(0)());

    // Act: a duplicate arrives while the lease holds; SQS redelivers the crashed message after its visibility timeout.
    const duplicate = await (await emailHandler(at(10)))(sqsEvent(m, 1), lambdaContext('SendEmailFunction'));
    const sentBeforeLease = aws.count('SendEmail');
    const redelivered = await (await emailHandler(at(61)))(sqsEvent(m, 2), lambdaContext('SendEmailFunction'));
    const late = await (await emailHandler(at(200)))(sqsEvent(m, 3), lambdaContext('SendEmailFunction'));

    // Assess
    expect(crashed.kind).toBe('claimed');
    expect([duplicate, redelivered, late].map((response) => response.batchItemFailures)).toEqual([[], [], []]);
    expect(sentBeforeLease).toBe(0);
    expect(aws.count('SendEmail')).toBe(1);
    expect(await claimOf(m)).toMatchObject({ outcome: 'sent' });
  });
});

describe('a stream batch with one poison record', () => {
  it('bisects, delivers every other record once, and sends the poison record alone to the on-failure destination', async () => {
    // Prepare: 9 shipments moved to shipped on a real table stream, and one state no code can read (no marks).
    const streamTable = await createTestTable();
    const documents = streamTable.documents;
    for (let index = 0; index < 10; index++) {
      const shipmentId = `shp-poison-${index}`;
      const time = '2026-11-01T09:00:00.000Z';
      const item = stateItem(
        {
          shipmentId,
          owner: 'ams',
          status: 'shipped',
          statusTime: time,
          statusDetails: {},
          customer: { ...customer, channels: ['email'] as const },
          marks: { status: `${time}#30#ams#s#e-${index}` },
        },
        1,
      );
      if (index === 4) delete item.marks;
      await documents.send(new PutCommand({ TableName: streamTable.tableName, Item: item }));
    }
    const published: string[] = [];
    const publisher: NotificationPublisher = {
      publish: async (messages) => {
        published.push(...messages.map((m) => m.notificationId));
        return { failed: [] };
      },
    };
    const definition = functionDefinitions(projectTemplate()).find((candidate) => candidate.logicalId === 'StreamRouterFunction')!;
    const source = Object.values(definition.resource.Properties?.Events as Record<string, { Properties: Record<string, unknown> }>)[0]!;
    const failures: { records: DynamoDBRecord[]; error: string }[] = [];
    const { Table } = await streamTable.client.send(new DescribeTableCommand({ TableName: streamTable.tableName }));
    const poller = new StreamPoller(streamTable.endpoint, Table?.LatestStreamArn as string, [
      {
        functionId: 'StreamRouterFunction',
        handler: streamRouterHandler(routerPorts(publisher, { profiles: keptProfiles() }), createObservability()),
        ...streamSourceSettings(source.Properties),
        onFailure: (_id, records, error) => failures.push({ records, error }),
      },
    ]);

    // Act
    const read = await poller.pollOnce();
    await poller.stop();

    // Assess
    expect(read).toBe(10);
    expect(published.sort()).toEqual(
      [0, 1, 2, 3, 5, 6, 7, 8, 9].map((index) => `shipment#shp-poison-${index}#shipped@2026-11-01T09:00:00.000Z#email`).sort(),
    );
    expect(failures.map((failure) => failure.records.map((record) => record.dynamodb?.Keys?.PK?.S))).toEqual([['SHIPMENT#shp-poison-4']]);
  });
});
