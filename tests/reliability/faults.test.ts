import { createServer, type Server } from 'node:http';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { CheckIfPhoneNumberIsOptedOutCommand, PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { sqsRecord, streamRecord } from '../../emulator/lambda-events.ts';
import { StreamPoller, streamSourceSettings } from '../../emulator/stream-poller.ts';
import { functionDefinitions } from '../../emulator/template.ts';
import type { RetryPolicy } from '../../functions/lib/adapters/aws-retry.ts';
import { createDocumentClient } from '../../functions/lib/adapters/dynamo-client.ts';
import { DynamoCustomerContacts } from '../../functions/lib/adapters/dynamo-customer-contacts.ts';
import { DynamoNotificationClaims } from '../../functions/lib/adapters/dynamo-notification-claims.ts';
import { SesEmailGateway } from '../../functions/lib/adapters/ses-email-gateway.ts';
import { SnsNotificationPublisher } from '../../functions/lib/adapters/sns-notification-publisher.ts';
import { SnsSmsGateway } from '../../functions/lib/adapters/sns-sms-gateway.ts';
import { SqsSmsDeferral } from '../../functions/lib/adapters/sqs-sms-deferral.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import type { NotificationPublisher } from '../../functions/lib/domain/notification-ports.ts';
import { projectTemplate } from '../../support/project.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';
import { customer, postEvents, shipmentCreated, shipmentStatus } from '../support/events.ts';

// Fault injection: AWS failing in the ways it does (throttling, 5xx, cancelled transactions, a
// crashed sender, a poison stream record). Each time the retry path is taken, nothing is lost and
// nothing is sent twice. DynamoDB is the real DynamoDB Local behind a loopback proxy that injects
// the service's own error responses, so the SDK's retry strategy runs as it does on AWS; SNS and
// SES are answered by aws-sdk-client-mock.

vi.hoisted(() => {
  process.env.SMS_QUEUE_URL ??= 'https://sqs.local/SmsQueue';
  process.env.EMAIL_FROM_ADDRESS ??= 'notify@parcelcast.example';
  process.env.NOTIFICATIONS_TOPIC_ARN ??= 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic';
});

// One mock per client class for the whole file: a second mockClient of the same class would replace the first.
const sns = mockClient(SNSClient);
const ses = mockClient(SESv2Client);
const sqs = mockClient(SQSClient);
afterEach(() => {
  sns.reset();
  ses.reset();
  sqs.reset();
});

const noWait: RetryPolicy = { attempts: 3, baseDelayMs: 1, sleep: async () => undefined };

/** A loopback proxy to DynamoDB Local that answers chosen operations with an injected error, a set number of times. */
interface FaultProxy {
  endpoint: string;
  /** Operations (X-Amz-Target suffix) in the order the proxy received them. */
  received: string[];
  inject(operation: string, times: number, status: number, body: Record<string, unknown>): void;
  /** Drops the faults not yet used. */
  clear(): void;
  close(): Promise<void>;
}

async function faultProxy(target: string): Promise<FaultProxy> {
  const faults: { operation: string; remaining: number; status: number; body: Record<string, unknown> }[] = [];
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
    if (fault) {
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
    inject: (operation, times, status, body) => faults.push({ operation, remaining: times, status, body }),
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
  // The handlers read their table and endpoint once, at import: point them at the proxy first.
  process.env.TABLE_NAME = table.tableName;
  process.env.DYNAMODB_ENDPOINT = proxy.endpoint;
  ({ handler: ingest } = await import('../../functions/ingest-events.ts'));
});

afterAll(async () => {
  await proxy?.close();
});

async function post(event: unknown) {
  const response = await ingest(postEvents(event), lambdaContext('IngestFunction'));
  return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') };
}

const storedEvents = async (shipmentId: string) =>
  (await table.scan()).filter((item) => item.entity === 'event' && item.subjectPartition === `SHIPMENT#${shipmentId}`);

describe('DynamoDB faults on ingest', () => {
  it.each([
    ['ProvisionedThroughputExceededException', THROTTLED],
    ['ThrottlingException', THROTTLING],
  ])('retries a TransactWriteItems throttled twice with %s and stores the event once', async (_name, error) => {
    // Prepare
    const event = shipmentStatus('picked', `shp-throttle-${_name.length}`, 1);
    proxy.received.length = 0;
    proxy.inject('TransactWriteItems', 2, 400, error);

    // Act
    const response = await post(event);

    // Assess
    expect({
      response: response.body.results,
      attempts: proxy.received.filter((operation) => operation === 'TransactWriteItems').length,
      stored: (await storedEvents(event.data.shipmentId as string)).map((item) => (item.event as { id: string }).id),
    }).toEqual({ response: [{ id: event.id, status: 'accepted' }], attempts: 3, stored: [event.id] });
  });

  it('answers a throttle that outlasts the SDK retries with 503 and retry-after, and the resend is stored once', async () => {
    // Prepare
    const event = shipmentStatus('packed', 'shp-throttle-long', 2);
    proxy.received.length = 0;
    proxy.inject('TransactWriteItems', 1000, 400, THROTTLED);

    // Act
    const first = await post(event);
    const attempts = proxy.received.filter((operation) => operation === 'TransactWriteItems').length;
    proxy.clear();
    const resend = await post(event);

    // Assess
    expect(attempts).toBeGreaterThan(1);
    expect(first.status, JSON.stringify(first.body)).toBe(503);
    expect(first.body.detail).toMatch(/send it again/);
    expect(resend.body.results).toEqual([{ id: event.id, status: 'accepted' }]);
    expect((await storedEvents('shp-throttle-long')).map((item) => (item.event as { id: string }).id)).toEqual([event.id]);
  });

  it('retries a transaction cancelled by a TransactionConflict and stores the event and the aggregate once', async () => {
    // Prepare
    const created = shipmentCreated('shp-conflict');
    await post(created);
    const shipped = shipmentStatus('shipped', 'shp-conflict', 3, { carrier: 'DHL' });
    proxy.received.length = 0;
    proxy.inject('TransactWriteItems', 3, 400, CONFLICT);

    // Act
    const response = await post(shipped);

    // Assess
    const items = await table.scan();
    const aggregate = items.find((item) => item.PK === 'SHIPMENT#shp-conflict' && item.SK === 'SHIPMENT') as Record<string, any>;
    expect({
      response: response.body.results,
      attempts: proxy.received.filter((operation) => operation === 'TransactWriteItems').length,
      events: (await storedEvents('shp-conflict')).length,
      status: aggregate.status,
      version: aggregate.version,
    }).toEqual({ response: [{ id: shipped.id, status: 'accepted' }], attempts: 4, events: 2, status: 'shipped', version: 2 });
  });

  it('accepts 12 events of one shipment posted at once (real optimistic-lock races) and keeps every one once', async () => {
    // Prepare
    const events = [
      shipmentCreated('shp-race'),
      ...Array.from({ length: 11 }, (_, index) => shipmentStatus('in_transit', 'shp-race', 10 + index, { location: `hub-${index}` })),
    ];

    // Act
    const responses = await Promise.all(events.map((event) => post(event)));

    // Assess
    const aggregate = (await table.scan()).find((item) => item.PK === 'SHIPMENT#shp-race' && item.SK === 'SHIPMENT') as Record<string, any>;
    expect(responses.map((response) => response.body.results?.[0]?.status)).toEqual(events.map(() => 'accepted'));
    expect((aggregate.timeline as { id: string }[]).map((entry) => entry.id).sort()).toEqual(events.map((event) => event.id).sort());
    expect(aggregate.version).toBe(12);
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
      shipment: { shipmentId: `shp-sns-${index}`, status: 'shipped' },
      occurredAt: '2026-11-01T08:00:00.000Z',
    };
  }
  const publishedIds = () =>
    sns
      .commandCalls(PublishBatchCommand)
      .flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? [])
      .map((entry) => JSON.parse(entry.Message as string).notificationId as string);

  it('retries a throttled PublishBatch and an entry SNS failed on its side, publishing each message once', async () => {
    // Prepare
    sns
      .on(PublishBatchCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }))
      .resolvesOnce({ Successful: [], Failed: [{ Id: 'm3', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Failed: [] });
    const messages = Array.from({ length: 5 }, (_, index) => message(index));

    // Act
    const result = await new SnsNotificationPublisher(new SNSClient({}), 'arn:topic', noWait).publish(messages);

    // Assess: the throttled call published nothing; the second published all but m3; the third only m3.
    const accepted = [
      ...publishedIds()
        .slice(5, 10)
        .filter((id) => id !== messages[3]!.notificationId),
      ...publishedIds().slice(10),
    ];
    expect(result.failed).toEqual([]);
    expect(accepted.sort()).toEqual(messages.map((m) => m.notificationId).sort());
  });

  it('reports the records of a batch SNS keeps failing with 5xx as batch item failures, so Lambda retries them', async () => {
    // Prepare
    sns
      .on(PublishBatchCommand)
      .rejects(Object.assign(new Error('Service Unavailable'), { name: 'InternalError', $metadata: { httpStatusCode: 503 } }));
    const { createStreamRouterHandler } = await import('../../functions/route-stream.ts');
    const handler = createStreamRouterHandler({ publisher: new SnsNotificationPublisher(new SNSClient({}), 'arn:topic', noWait) });

    // Act
    const response = await handler(
      { Records: [shipmentRecord('900', 'shp-5xx-a'), shipmentRecord('901', 'shp-5xx-b')] },
      lambdaContext('StreamRouterFunction'),
    );

    // Assess
    expect(response.batchItemFailures.map((item) => item.itemIdentifier).sort()).toEqual(['900', '901']);
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 3);
  });
});

/** A stream record of a shipment aggregate that has just moved to `status` (shipped by default). */
function shipmentRecord(sequenceNumber: string, shipmentId: string, overrides: Record<string, unknown> = {}): DynamoDBRecord {
  const entry = {
    source: '//warehouse/ams-1',
    id: `e-${shipmentId}`,
    status: 'shipped',
    time: '2026-11-01T09:00:00.000Z',
    data: { shipmentId },
  };
  const after = {
    PK: `SHIPMENT#${shipmentId}`,
    SK: 'SHIPMENT',
    entity: 'shipment',
    shipmentId,
    status: 'shipped',
    statusTime: entry.time,
    customer: { ...customer, timeZone: 'UTC' },
    timeline: [entry],
    version: 2,
    ...overrides,
  };
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
      shipment: { shipmentId, status: 'delivered' },
      occurredAt: '2026-11-01T08:00:00.000Z',
    };
  }
  const sqsEvent = (body: NotificationMessage, receive = 1): SQSEvent => ({
    Records: [sqsRecord({ body: JSON.stringify(body), messageId: `msg-${body.notificationId}-${receive}`, receiveCount: receive })],
  });
  const noon = new Date('2026-11-02T12:00:00Z');
  const at = (seconds: number) => () => new Date(noon.getTime() + seconds * 1000);
  const claimsTable = () => new DynamoNotificationClaims(createDocumentClient(table.endpoint), table.tableName);
  const claimOf = async (m: NotificationMessage) =>
    (await table.scan()).find((item) => item.notificationId === m.notificationId) as Record<string, unknown> | undefined;

  async function emailHandler(clock: () => Date) {
    const { createSendEmailHandler } = await import('../../functions/send-email.ts');
    return createSendEmailHandler({
      claims: claimsTable(),
      contacts: new DynamoCustomerContacts(createDocumentClient(table.endpoint), table.tableName),
      email: new SesEmailGateway(new SESv2Client({}), { fromAddress: 'notify@parcelcast.example' }, noWait),
      clock,
    });
  }

  async function smsHandler(clock: () => Date) {
    const { createSendSmsHandler } = await import('../../functions/send-sms.ts');
    return createSendSmsHandler({
      claims: claimsTable(),
      contacts: new DynamoCustomerContacts(createDocumentClient(table.endpoint), table.tableName),
      sms: new SnsSmsGateway(new SNSClient({}), noWait),
      deferral: new SqsSmsDeferral(new SQSClient({}), 'https://sqs.local/SmsQueue', noWait),
      clock,
    });
  }

  it('retries a throttled SES SendEmail and sends the email once', async () => {
    // Prepare
    ses
      .on(SendEmailCommand)
      .rejectsOnce(
        Object.assign(new Error('Maximum sending rate exceeded.'), {
          name: 'TooManyRequestsException',
          $metadata: { httpStatusCode: 429 },
        }),
      )
      .resolves({ MessageId: 'ses-1' });
    const m = notification('email');

    // Act
    const response = await (await emailHandler(at(0)))(sqsEvent(m), lambdaContext('SendEmailFunction'));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 2);
    expect(await claimOf(m)).toMatchObject({ outcome: 'sent' });
  });

  it('hands an email SES keeps answering 5xx back to the queue, then sends it once on redelivery', async () => {
    // Prepare
    const unavailable = Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    ses.on(SendEmailCommand).rejects(unavailable);
    const m = notification('email');

    // Act: the only record failed, so the handler throws and SQS keeps the whole batch.
    const first = (await emailHandler(at(0)))(sqsEvent(m, 1), lambdaContext('SendEmailFunction'));
    await expect(first).rejects.toThrow(/All records failed/);
    const claimAfterFailure = await claimOf(m);
    ses.reset();
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-2' });
    const redelivered = await (await emailHandler(at(61)))(sqsEvent(m, 2), lambdaContext('SendEmailFunction'));
    const again = await (await emailHandler(at(120)))(sqsEvent(m, 3), lambdaContext('SendEmailFunction'));

    // Assess
    expect(claimAfterFailure).toMatchObject({ outcome: 'pending', leaseUntil: 0 });
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(await claimOf(m)).toMatchObject({ outcome: 'sent', attempts: 2 });
  });

  it('retries a throttled SNS SMS publish and sends the SMS once', async () => {
    // Prepare
    sns.on(CheckIfPhoneNumberIsOptedOutCommand).resolves({ isOptedOut: false });
    sns
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400 } }))
      .resolves({ MessageId: 'sms-1' });
    const m = notification('sms');

    // Act
    const response = await (await smsHandler(at(0)))(sqsEvent(m), lambdaContext('SendSmsFunction'));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(await claimOf(m)).toMatchObject({ outcome: 'sent' });
  });

  it('sends once after a sender crashed between claim and send: duplicates wait out the lease, the redelivery sends', async () => {
    // Prepare: a sender claimed the notification at noon and died before sending or releasing.
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-3' });
    const m = notification('email');
    const crashed = await claimsTable().claim(m, at(0)());

    // Act: a duplicate arrives while the lease holds; SQS redelivers the crashed message after its visibility timeout.
    const duplicate = await (await emailHandler(at(10)))(sqsEvent(m, 1), lambdaContext('SendEmailFunction'));
    const sentBeforeLease = ses.commandCalls(SendEmailCommand).length;
    const redelivered = await (await emailHandler(at(61)))(sqsEvent(m, 2), lambdaContext('SendEmailFunction'));
    const late = await (await emailHandler(at(200)))(sqsEvent(m, 3), lambdaContext('SendEmailFunction'));

    // Assess
    expect(crashed.kind).toBe('claimed');
    expect([duplicate, redelivered, late].map((response) => response.batchItemFailures)).toEqual([[], [], []]);
    expect(sentBeforeLease).toBe(0);
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(await claimOf(m)).toMatchObject({ outcome: 'sent' });
  });
});

describe('a stream batch with one poison record', () => {
  it('bisects, delivers every other record once, and sends the poison record alone to the on-failure destination', async () => {
    // Prepare: 9 shipments moved to shipped on a real table stream, and one aggregate no code can read (no timeline).
    const streamTable = await createTestTable();
    const documents = streamTable.documents;
    for (let index = 0; index < 10; index++) {
      const shipmentId = `shp-poison-${index}`;
      const entry = {
        source: '//warehouse/ams-1',
        id: `e-${index}`,
        status: 'shipped',
        time: '2026-11-01T09:00:00.000Z',
        data: { shipmentId },
      };
      const item: Record<string, unknown> = {
        PK: `SHIPMENT#${shipmentId}`,
        SK: 'SHIPMENT',
        entity: 'shipment',
        shipmentId,
        status: 'shipped',
        statusTime: entry.time,
        customer: { ...customer, channels: ['email'] },
        timeline: [entry],
        version: 1,
      };
      if (index === 4) delete item.timeline;
      await documents.send(new PutCommand({ TableName: streamTable.tableName, Item: item }));
    }
    const published: string[] = [];
    const publisher: NotificationPublisher = {
      publish: async (messages) => {
        published.push(...messages.map((m) => m.notificationId));
        return { failed: [] };
      },
    };
    const { createStreamRouterHandler } = await import('../../functions/route-stream.ts');
    const definition = functionDefinitions(projectTemplate()).find((candidate) => candidate.logicalId === 'StreamRouterFunction')!;
    const source = Object.values(definition.resource.Properties?.Events as Record<string, { Properties: Record<string, unknown> }>)[0]!;
    const failures: { records: DynamoDBRecord[]; error: string }[] = [];
    const { Table } = await streamTable.client.send(new DescribeTableCommand({ TableName: streamTable.tableName }));
    const poller = new StreamPoller(streamTable.endpoint, Table?.LatestStreamArn as string, [
      {
        functionId: 'StreamRouterFunction',
        handler: createStreamRouterHandler({ publisher }),
        ...streamSourceSettings(source.Properties),
        onFailure: (_id, records, error) => failures.push({ records, error }),
      },
    ]);

    // Act
    const read = await poller.pollOnce();
    await poller.stop();

    // Assess
    expect(read).toBe(10);
    expect(published.sort()).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9].map((index) => `shipment#shp-poison-${index}#shipped#email`).sort());
    expect(failures.map((failure) => failure.records.map((record) => record.dynamodb?.Keys?.PK?.S))).toEqual([['SHIPMENT#shp-poison-4']]);
  });
});
