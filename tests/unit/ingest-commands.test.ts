import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import { applyEvent } from '../../functions/lib/domain/shipment.ts';
import { cloudEvent, postEvents, shipmentCreated, shipmentStatus, walletEvent } from '../support/events.ts';

// The ingest handler with DynamoDB mocked: which commands it sends, with which keys and conditions.
const dynamo = mockClient(DynamoDBDocumentClient);
const TABLE = process.env.TABLE_NAME!;
let ingest: typeof import('../../functions/ingest-events.ts')['handler'];

beforeAll(async () => {
  ({ handler: ingest } = await import('../../functions/ingest-events.ts'));
});

beforeEach(() => {
  dynamo.on(GetCommand).resolves({});
  dynamo.on(BatchGetCommand).resolves({ Responses: {} });
  dynamo.on(TransactWriteCommand).resolves({});
  // No jitter between transaction attempts, so retries do not slow the suite down.
  vi.spyOn(Math, 'random').mockReturnValue(0);
});

afterEach(() => {
  dynamo.reset();
  vi.restoreAllMocks();
});

async function send(request: APIGatewayProxyEventV2) {
  const response = await ingest(request, lambdaContext('IngestFunction'));
  return {
    status: response.statusCode,
    headers: response.headers ?? {},
    body: JSON.parse(response.body ?? '{}'),
  };
}

function cancelled(...codes: string[]) {
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

function transactItems(call = 0) {
  const calls = dynamo.commandCalls(TransactWriteCommand);
  return calls[call]?.args[0].input.TransactItems ?? [];
}

function storedAggregate(events: ReturnType<typeof shipmentCreated>[], version: number) {
  const parsed = parseEvents(events).events as ShipmentEvent[];
  const shipment = parsed.reduce<ReturnType<typeof applyEvent> | undefined>(applyEvent, undefined)!;
  return {
    PK: `SHIPMENT#${shipment.shipmentId}`,
    SK: 'SHIPMENT',
    entity: 'shipment',
    ...shipment,
    version,
    updatedAt: '2026-11-01T08:00:00.000Z',
  };
}

describe('shipment events', () => {
  it('reads the shipment aggregate on its key with a consistent read before recording a later event', async () => {
    // Prepare
    const event = cloudEvent('shipment.picked', { shipmentId: 'shp-read' }, { minute: 1 });

    // Act
    await send(postEvents(event));

    // Assess
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { PK: 'SHIPMENT#shp-read', SK: 'SHIPMENT' },
      ConsistentRead: true,
    });
  });

  it('records shipment.created without a read, on the condition that the shipment does not exist yet', async () => {
    // Act
    await send(postEvents(shipmentCreated('shp-unread')));

    // Assess
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
    expect(transactItems()[1]).toMatchObject({
      Put: { Item: { PK: 'SHIPMENT#shp-unread', SK: 'SHIPMENT', version: 1 }, ConditionExpression: 'attribute_not_exists(PK)' },
    });
  });

  it('writes the event record first, under its URI-encoded (source, id) key, only if it does not exist', async () => {
    // Prepare
    const event = cloudEvent('shipment.picked', { shipmentId: 'shp-key' }, { id: 'evt#1/ä', source: '//warehouse/ams-1', minute: 1 });

    // Act
    await send(postEvents(event));

    // Assess
    expect(transactItems()[0]).toEqual({
      Put: {
        TableName: TABLE,
        Item: {
          PK: 'EVENT#%2F%2Fwarehouse%2Fams-1#evt%231%2F%C3%A4',
          SK: 'EVENT',
          entity: 'event',
          type: 'shipment.picked',
          subjectPartition: 'SHIPMENT#shp-key',
          receivedAt: expect.any(String),
          event,
        },
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    });
  });

  it('creates a new shipment aggregate at version 1 only if none exists yet', async () => {
    // Prepare
    const event = shipmentCreated('shp-new');

    // Act
    await send(postEvents(event));

    // Assess
    expect(transactItems()[1]).toEqual({
      Put: {
        TableName: TABLE,
        Item: expect.objectContaining({ PK: 'SHIPMENT#shp-new', SK: 'SHIPMENT', status: 'created', version: 1 }),
        ConditionExpression: 'attribute_not_exists(PK)',
      },
    });
  });

  it('replaces an existing aggregate only at the version it read', async () => {
    // Prepare
    dynamo
      .on(GetCommand, { Key: { PK: 'SHIPMENT#shp-old', SK: 'SHIPMENT' } })
      .resolves({ Item: storedAggregate([shipmentCreated('shp-old', 0)], 4) });
    const shipped = shipmentStatus('shipped', 'shp-old', 10, { carrier: 'DHL' });

    // Act
    await send(postEvents(shipped));

    // Assess
    expect(transactItems()[1]).toEqual({
      Put: {
        TableName: TABLE,
        Item: expect.objectContaining({ PK: 'SHIPMENT#shp-old', status: 'shipped', carrier: 'DHL', version: 5 }),
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':expected': 4 },
      },
    });
  });
});

describe('wallet events', () => {
  it('checks the currency of every wallet in the batch with one consistent BatchGet before any write', async () => {
    // Prepare
    const batch = [walletEvent('credited', 'wal-1', 500), walletEvent('debited', 'wal-2', 200), walletEvent('debited', 'wal-1', 100)];

    // Act
    await send(postEvents(batch, { contentType: 'application/cloudevents-batch+json' }));

    // Assess
    expect(dynamo.calls()[0]?.args[0].input).toEqual({
      RequestItems: {
        [TABLE]: {
          Keys: [
            { PK: 'WALLET#wal-1', SK: 'WALLET' },
            { PK: 'WALLET#wal-2', SK: 'WALLET' },
          ],
          ProjectionExpression: 'walletId, currency',
          ConsistentRead: true,
        },
      },
    });
  });

  it('appends the ledger entry and adds to the balance in one transaction guarded by the wallet currency', async () => {
    // Prepare
    const debit = cloudEvent(
      'wallet.debited',
      { walletId: 'wal-tx', customerId: 'cus-1', amount: { value: 700, currency: 'EUR' }, reference: 'order-9' },
      { id: 'evt-debit', source: '//warehouse/ams-1' },
    );

    // Act
    await send(postEvents(debit));

    // Assess
    expect(transactItems()).toEqual([
      {
        Put: expect.objectContaining({
          TableName: TABLE,
          Item: expect.objectContaining({ PK: 'EVENT#%2F%2Fwarehouse%2Fams-1#evt-debit', SK: 'EVENT' }),
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      },
      {
        Put: {
          TableName: TABLE,
          Item: expect.objectContaining({
            PK: 'WALLET#wal-tx',
            SK: 'LEDGER#%2F%2Fwarehouse%2Fams-1#evt-debit',
            entity: 'ledger',
            delta: -700,
            currency: 'EUR',
          }),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      {
        Update: expect.objectContaining({
          TableName: TABLE,
          Key: { PK: 'WALLET#wal-tx', SK: 'WALLET' },
          UpdateExpression: expect.stringContaining('ADD balance :delta'),
          ConditionExpression: 'attribute_not_exists(currency) OR currency = :currency',
          ExpressionAttributeValues: expect.objectContaining({ ':delta': -700, ':currency': 'EUR' }),
        }),
      },
    ]);
  });

  it('adds a credit to the balance as a positive delta', async () => {
    // Prepare
    const credit = walletEvent('credited', 'wal-credit', 2500);

    // Act
    await send(postEvents(credit));

    // Assess
    expect(transactItems()[2]?.Update?.ExpressionAttributeValues).toMatchObject({ ':delta': 2500 });
  });

  it('rejects with 400 at data.amount.currency when the wallet was opened in another currency meanwhile', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'));

    // Act
    const response = await send(postEvents(walletEvent('debited', 'wal-race', 100, 'USD')));

    // Assess
    expect(response).toMatchObject({ status: 400, body: { errors: [{ path: 'data.amount.currency' }] } });
  });
});

describe('idempotency and contention', () => {
  it('answers duplicate when the event record already exists', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    const event = shipmentCreated('shp-dup');

    // Act
    const response = await send(postEvents(event));

    // Assess
    expect(response).toMatchObject({ status: 202, body: { results: [{ id: event.id, status: 'duplicate' }] } });
  });

  it('does not retry a duplicate', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));

    // Act
    await send(postEvents(shipmentCreated('shp-dup-once')));

    // Assess
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it('retries a TransactionConflict on the aggregate and accepts the event when the second attempt succeeds', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'TransactionConflict')).resolves({});
    const event = shipmentStatus('packed', 'shp-conflict', 2);

    // Act
    const response = await send(postEvents(event));

    // Assess
    expect(response).toMatchObject({ status: 202, body: { results: [{ id: event.id, status: 'accepted' }] } });
  });

  it('re-reads the aggregate before retrying a transaction that lost the optimistic lock', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).rejectsOnce(cancelled('None', 'ConditionalCheckFailed')).resolves({});

    // Act
    await send(postEvents(shipmentStatus('packed', 'shp-lock', 2)));

    // Assess
    expect(dynamo.calls().map((call) => call.args[0].constructor.name)).toEqual([
      'GetCommand',
      'TransactWriteCommand',
      'GetCommand',
      'TransactWriteCommand',
    ]);
  });

  it('answers 503 problem+json with retry-after and no results when the conflict persists', async () => {
    // Prepare
    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'));

    // Act
    const response = await send(postEvents(shipmentStatus('packed', 'shp-busy', 2)));

    // Assess
    expect(response).toEqual({
      status: 503,
      headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
      body: { type: expect.any(String), title: expect.any(String), status: 503, detail: expect.any(String) },
    });
  });

  it.each([
    ['the read of the aggregate', GetCommand, () => cloudEvent('shipment.picked', { shipmentId: 'shp-broken-read' }, { minute: 1 })],
    ['the event transaction', TransactWriteCommand, () => shipmentCreated('shp-broken-write')],
  ] as const)('answers 500 problem+json, without the error text, when %s fails unexpectedly', async (_what, command, event) => {
    // Prepare
    dynamo.on(command as typeof GetCommand).rejects(new Error('socket hang up at 10.0.0.7'));

    // Act
    const response = await send(postEvents(event()));

    // Assess
    expect(response).toEqual({
      status: 500,
      headers: { 'content-type': 'application/problem+json' },
      body: { type: expect.any(String), title: expect.any(String), status: 500, detail: expect.not.stringContaining('socket') },
    });
  });
});
