import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { eventItem, stateItem } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { contentDigest, parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import { toShipmentEntry } from '../../functions/lib/domain/shipment.ts';
import { MAX_WALLET_BALANCE_MINOR_UNITS } from '../../functions/lib/domain/wallet.ts';
import { cloudEvent, postEvents, shipmentCreated, shipmentStatus, walletEvent } from '../support/events.ts';
import { stateAfter, TEST_OWNER } from '../support/shipments.ts';

// The ingest handler with DynamoDB mocked: which commands it sends, with which keys and conditions.
// The handler is the single-warehouse deployment's: every request comes from warehouse `local`.
const dynamo = mockClient(DynamoDBDocumentClient);
const TABLE = process.env.TABLE_NAME!;
let ingest: typeof import('../../functions/ingest-events.ts')['handler'];

beforeAll(async () => {
  ({ handler: ingest } = await import('../../functions/ingest-events.ts'));
});

beforeEach(() => {
  dynamo.on(GetCommand).resolves({});
  dynamo.on(BatchGetCommand).resolves({ Responses: {} });
  dynamo.on(PutCommand).resolves({});
  dynamo.on(TransactWriteCommand).resolves({});
  // No jitter between attempts, so retries do not slow the suite down.
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

/** A failed condition, answering the item it found as ReturnValuesOnConditionCheckFailure: ALL_OLD does. */
function conditionFailed(item?: Record<string, unknown>) {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: marshall(item, { removeUndefinedValues: true }) as never } : {}),
  });
}

function cancelled(...reasons: { Code: string; Item?: Record<string, unknown> }[]) {
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    $metadata: {},
    CancellationReasons: reasons.map(({ Code, Item }) => ({ Code, ...(Item ? { Item: marshall(Item) as never } : {}) })),
  });
}

const valid = (events: unknown[]) => parseEvents(events).events as ShipmentEvent[];

/** The state item the table would hold after `events`, at `version`. */
function storedState(events: ReturnType<typeof shipmentCreated>[], version: number, owner = TEST_OWNER) {
  return stateItem(stateAfter(valid(events), owner)!, version);
}

const puts = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);
const transactItems = (call = 0) => dynamo.commandCalls(TransactWriteCommand)[call]?.args[0].input.TransactItems ?? [];

/** The DynamoDB calls of a request, without the admission's read of the warehouse's notification count. */
function callsAfterAdmission() {
  return dynamo.calls().filter(({ args: [command] }) => !(command instanceof GetCommand && command.input.Key?.PK === 'WAREHOUSE#local'));
}

describe('shipment events', () => {
  it('reads who owns the shipments of a request with one consistent BatchGet before any write', async () => {
    // Prepare
    const batch = [shipmentCreated('shp-a'), shipmentStatus('picked', 'shp-b', 1), shipmentStatus('packed', 'shp-a', 2)];

    // Act
    await send(postEvents(batch, { contentType: 'application/cloudevents-batch+json' }));

    // Assess: the first call after the admission's read of the warehouse's notification count
    expect(callsAfterAdmission()[0]?.args[0].input).toEqual({
      RequestItems: {
        [TABLE]: {
          Keys: [
            { PK: 'SHIPMENT#shp-a', SK: 'SHIPMENT' },
            { PK: 'SHIPMENT#shp-b', SK: 'SHIPMENT' },
          ],
          ProjectionExpression: 'shipmentId, #owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ConsistentRead: true,
        },
      },
    });
  });

  it("refuses with 403 a batch naming another warehouse's shipment, writing nothing", async () => {
    // Prepare
    dynamo.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [{ shipmentId: 'shp-theirs', owner: 'ams-1' }] } });

    // Act
    const response = await send(
      postEvents([shipmentCreated('shp-mine'), shipmentStatus('cancelled', 'shp-theirs', 3)], {
        contentType: 'application/cloudevents-batch+json',
      }),
    );

    // Assess
    expect(response).toMatchObject({
      status: 403,
      body: { errors: [{ path: '[1].data.shipmentId', message: 'is not a shipment this warehouse may write' }] },
    });
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it("refuses with 403 a request about another warehouse's shipment alone at its first write, which writes nothing", async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({ Item: storedState([shipmentCreated('shp-theirs-alone', 0)], 1, 'ams-1') });

    // Act
    const response = await send(postEvents(shipmentStatus('cancelled', 'shp-theirs-alone', 3)));

    // Assess
    expect(response).toMatchObject({
      status: 403,
      body: { errors: [{ path: 'data.shipmentId', message: 'is not a shipment this warehouse may write' }] },
    });
    expect(JSON.stringify(response.body)).not.toContain('ams-1');
    expect(response.body).not.toHaveProperty('results');
    expect(dynamo).not.toHaveReceivedCommand(BatchGetCommand);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('reads the state on its key with a consistent read before recording a later event', async () => {
    // Act
    await send(postEvents(cloudEvent('shipment.picked', { shipmentId: 'shp-read' }, { minute: 1 })));

    // Assess
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { PK: 'SHIPMENT#shp-read', SK: 'SHIPMENT' },
      ConsistentRead: true,
    });
  });

  it('records shipment.created without reading its state: creates the state only if none exists, then stores the event', async () => {
    // Act
    await send(postEvents(shipmentCreated('shp-unread')));

    // Assess
    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
    expect(puts().map((input) => [input.Item?.SK, input.ConditionExpression])).toEqual([
      ['SHIPMENT', 'attribute_not_exists(PK)'],
      [expect.stringMatching(/^EVENT#/), 'attribute_not_exists(PK)'],
    ]);
    expect(puts()[0]).toMatchObject({
      Item: { PK: 'SHIPMENT#shp-unread', SK: 'SHIPMENT', owner: TEST_OWNER, status: 'created', version: 1 },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('stores the event under its URI-encoded (warehouse, source, id) key in its shipment, with its timeline key', async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({ Item: storedState([shipmentCreated('shp-key', 0)], 1) });
    const event = cloudEvent('shipment.picked', { shipmentId: 'shp-key' }, { id: 'evt#1/ä', source: '//warehouse/ams-1', minute: 1 });

    // Act
    await send(postEvents(event));

    // Assess
    expect(puts()[0]).toEqual({
      TableName: TABLE,
      Item: {
        PK: 'SHIPMENT#shp-key',
        SK: `EVENT#${TEST_OWNER}#%2F%2Fwarehouse%2Fams-1#evt%231%2F%C3%A4`,
        entity: 'event',
        owner: TEST_OWNER,
        timelineKey: `${event.time}#10#${TEST_OWNER}#%2F%2Fwarehouse%2Fams-1#evt%231%2F%C3%A4`,
        receivedAt: expect.any(String),
        position: 0,
        event,
        // What a repeat's content is compared with (an id reused for other content is a 409).
        contentDigest: contentDigest(event),
      },
      ConditionExpression: 'attribute_not_exists(PK)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('replaces an existing state only at the version it read', async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({ Item: storedState([shipmentCreated('shp-old', 0)], 4) });

    // Act
    await send(postEvents(shipmentStatus('shipped', 'shp-old', 10, { carrier: 'DHL' })));

    // Assess
    expect(puts()[1]).toEqual({
      TableName: TABLE,
      Item: expect.objectContaining({ PK: 'SHIPMENT#shp-old', SK: 'SHIPMENT', status: 'shipped', carrier: 'DHL', version: 5 }),
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: { '#version': 'version' },
      ExpressionAttributeValues: { ':expected': 4 },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(puts()[1]?.Item).not.toHaveProperty('timeline');
  });
});

describe('wallet events', () => {
  it('checks owner, currency and balance of every wallet in the batch with one consistent BatchGet before any write', async () => {
    // Prepare
    const batch = [walletEvent('credited', 'wal-1', 500), walletEvent('debited', 'wal-2', 200), walletEvent('debited', 'wal-1', 100)];

    // Act
    await send(postEvents(batch, { contentType: 'application/cloudevents-batch+json' }));

    // Assess: the first call after the admission's read of the warehouse's notification count
    expect(callsAfterAdmission()[0]?.args[0].input).toEqual({
      RequestItems: {
        [TABLE]: {
          Keys: [
            { PK: 'WALLET#wal-1', SK: 'WALLET' },
            { PK: 'WALLET#wal-2', SK: 'WALLET' },
          ],
          ProjectionExpression: 'walletId, #owner, currency, balance',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ConsistentRead: true,
        },
      },
    });
  });

  it('books the ledger entry, which is the event record, and moves the balance in one transaction of two items', async () => {
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
        Put: {
          TableName: TABLE,
          Item: expect.objectContaining({
            PK: 'WALLET#wal-tx',
            SK: `LEDGER#${TEST_OWNER}#%2F%2Fwarehouse%2Fams-1#evt-debit`,
            entity: 'ledger',
            owner: TEST_OWNER,
            delta: -700,
            currency: 'EUR',
            event: debit,
            contentDigest: contentDigest(debit),
          }),
          ConditionExpression: 'attribute_not_exists(PK)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Update: expect.objectContaining({
          TableName: TABLE,
          Key: { PK: 'WALLET#wal-tx', SK: 'WALLET' },
          UpdateExpression: expect.stringContaining('ADD balance :delta'),
          ConditionExpression:
            'attribute_not_exists(PK) OR (currency = :currency AND #owner = :warehouse AND balance BETWEEN :min AND :max)',
          ExpressionAttributeValues: expect.objectContaining({
            ':delta': -700,
            ':currency': 'EUR',
            ':warehouse': TEST_OWNER,
            ':min': -MAX_WALLET_BALANCE_MINOR_UNITS + 700,
            ':max': MAX_WALLET_BALANCE_MINOR_UNITS,
          }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      },
    ]);
  });

  it('adds a credit to the balance as a positive delta', async () => {
    // Act
    await send(postEvents(walletEvent('credited', 'wal-credit', 2500)));

    // Assess
    expect(transactItems()[1]?.Update?.ExpressionAttributeValues).toMatchObject({ ':delta': 2500 });
  });

  it.each([
    ['taken by another warehouse', [{ shipmentId: 'shp-probe', owner: 'ams-1' }]],
    ['free', []],
  ])(
    'answers the same 400 to a batch with a wrong-currency entry on its own wallet whether a shipment in it is %s',
    async (_case, shipments) => {
      // Prepare: the warehouse's own EUR wallet; the probed shipment taken or not. A 403 for the one
      // and a 400 for the other would tell a warehouse which ids are taken, storing nothing.
      const ownWallet = { walletId: 'wal-own', owner: TEST_OWNER, currency: 'EUR', balance: 0 };
      dynamo.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { PK: string }[] }> }) => {
        const wantsWallets = input.RequestItems[TABLE]?.Keys.some(({ PK }) => PK.startsWith('WALLET#'));
        return { Responses: { [TABLE]: wantsWallets ? [ownWallet] : shipments } };
      });
      const batch = [shipmentStatus('picked', 'shp-probe', 1), walletEvent('debited', 'wal-own', 100, 'USD')];

      // Act
      const response = await send(postEvents(batch, { contentType: 'application/cloudevents-batch+json' }));

      // Assess
      expect(response).toMatchObject({ status: 400, body: { errors: [{ path: '[1].data.amount.currency' }] } });
      expect(dynamo).not.toHaveReceivedCommand(PutCommand);
      expect(dynamo).not.toHaveReceivedCommand(TransactWriteCommand);
    },
  );

  it('refuses with 400 at data.amount.value, before any write, an entry past the balance bound', async () => {
    // Prepare
    const head = { walletId: 'wal-full', owner: TEST_OWNER, currency: 'EUR', balance: MAX_WALLET_BALANCE_MINOR_UNITS - 10 };
    // Then the ledger is asked whether the entry is booked already (a resend would move nothing): it is not.
    dynamo
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [head] } })
      .resolves({ Responses: {} });

    // Act
    const response = await send(postEvents(walletEvent('credited', 'wal-full', 11)));

    // Assess
    expect(response).toMatchObject({ status: 400, body: { errors: [{ path: 'data.amount.value' }] } });
    expect(response.body).not.toHaveProperty('results');
    expect(dynamo).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it.each([
    ['opened in another currency', { currency: 'USD', owner: TEST_OWNER, balance: 0 }, 400, 'data.amount.currency'],
    ['opened by another warehouse', { currency: 'EUR', owner: 'ams-1', balance: 0 }, 403, 'data.walletId'],
    ['moved to its bound', { currency: 'EUR', owner: TEST_OWNER, balance: -MAX_WALLET_BALANCE_MINOR_UNITS }, 400, 'data.amount.value'],
  ])('answers %s meanwhile with its refusal, saying which events of the batch are stored', async (_case, wallet, status, path) => {
    // Prepare: the batch's first entry is booked; by the second, another request changed its wallet.
    const found = { PK: 'WALLET#wal-race', SK: 'WALLET', walletId: 'wal-race', customerId: 'cus-1', ...wallet };
    dynamo.on(TransactWriteCommand).callsFake((input: { TransactItems: { Update?: { Key: { PK: string } } }[] }) => {
      if (input.TransactItems[1]?.Update?.Key.PK !== 'WALLET#wal-race') return {};
      throw cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: found });
    });
    const batch = [walletEvent('credited', 'wal-calm', 100), walletEvent('debited', 'wal-race', 100)];

    // Act
    const response = await send(postEvents(batch, { contentType: 'application/cloudevents-batch+json' }));

    // Assess
    expect(response).toMatchObject({
      status,
      body: {
        errors: [{ path: `[1].${path}` }],
        results: [
          { id: batch[0]!.id, status: 'accepted' },
          { id: batch[1]!.id, status: 'not_stored' },
        ],
      },
    });
    expect(dynamo).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });

  it('answers a refusal at the first write of a request, which stored nothing, without results', async () => {
    // Prepare
    const found = {
      PK: 'WALLET#wal-first',
      SK: 'WALLET',
      walletId: 'wal-first',
      customerId: 'cus-1',
      owner: 'ams-1',
      currency: 'EUR',
      balance: 0,
    };
    dynamo.on(TransactWriteCommand).rejects(cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: found }));

    // Act
    const response = await send(postEvents(walletEvent('debited', 'wal-first', 100)));

    // Assess
    expect(response).toMatchObject({ status: 403, body: { errors: [{ path: 'data.walletId' }] } });
    expect(response.body).not.toHaveProperty('results');
  });
});

describe('idempotency and contention', () => {
  const created = shipmentCreated('shp-dup', 0);
  /** Event items exist already (their write fails, answering `item`), and so does `state`; state updates succeed. */
  const eventsExist = (item: Record<string, unknown>, state?: Record<string, unknown>) =>
    dynamo.on(PutCommand).callsFake((input: { Item: { SK: string }; ConditionExpression: string }) => {
      if (input.Item.SK.startsWith('EVENT#')) throw conditionFailed(item);
      if (state && input.ConditionExpression === 'attribute_not_exists(PK)') throw conditionFailed(state);
      return {};
    });

  it('answers duplicate when the event item already exists, and writes no state when merging it changes nothing', async () => {
    // Prepare
    const event = shipmentStatus('picked', 'shp-dup', 1);
    const [picked] = valid([event]);
    eventsExist(eventItem(toShipmentEntry(picked!, TEST_OWNER, { receivedAt: '2026-11-01T08:00:00.000Z', position: 0 }), picked!));
    dynamo.on(GetCommand).resolves({ Item: storedState([created, event], 2) });

    // Act
    const response = await send(postEvents(event));

    // Assess
    expect(response).toMatchObject({ status: 202, body: { results: [{ id: event.id, status: 'duplicate' }] } });
    expect(puts().map((input) => input.Item?.SK)).toEqual([expect.stringMatching(/^EVENT#/)]);
  });

  it('merges a repeat as it was first stored, and writes the state when that mends it', async () => {
    // Prepare
    const first = shipmentCreated('shp-mend', 0);
    const [event] = valid([first]);
    const item = eventItem(toShipmentEntry(event!, TEST_OWNER, { receivedAt: '2026-11-01T08:00:00.000Z', position: 0 }), event!);
    // Nothing remembered: a shipment.created tries to create the state, and finds it (without the created: a crash lost it).
    eventsExist(item, storedState([shipmentStatus('picked', 'shp-mend', 1)], 3));

    // Act
    const response = await send(postEvents(first));

    // Assess
    expect(response).toMatchObject({ status: 202, body: { results: [{ status: 'duplicate' }] } });
    const state = puts().find((input) => input.ConditionExpression === '#version = :expected');
    expect(state?.Item).toMatchObject({ status: 'picked', orderId: 'ord-shp-mend', version: 4 });
    // Merged as stored: the customer's mark is the first receipt (08:00), not the resend's.
    expect(state?.Item?.marks).toContain(`2026-11-01T08:00:00.000Z#000#%2F%2Fwarehouse%2Fams-1#${encodeURIComponent(first.id)}`);
  });

  it('merges again into the state it finds when it loses the race for the version', async () => {
    // Prepare
    const event = shipmentStatus('packed', 'shp-lock', 2);
    dynamo.on(GetCommand).resolves({ Item: storedState([shipmentCreated('shp-lock', 0)], 1) });
    const moved = storedState([shipmentCreated('shp-lock', 0), shipmentStatus('picked', 'shp-lock', 1)], 2);
    dynamo
      .on(PutCommand, { Item: { SK: 'SHIPMENT' } })
      .rejectsOnce(conditionFailed(moved))
      .resolves({});

    // Act
    const response = await send(postEvents(event));

    // Assess
    expect(response).toMatchObject({ status: 202, body: { results: [{ status: 'accepted' }] } });
    const states = puts().filter((input) => input.Item?.SK === 'SHIPMENT');
    expect(states.map((input) => input.ExpressionAttributeValues?.[':expected'])).toEqual([1, 2]);
    expect(states[1]?.Item).toMatchObject({ status: 'packed', version: 3 });
    expect(dynamo).toHaveReceivedCommandTimes(GetCommand, 1);
  });

  it('answers 503 problem+json with retry-after, listing the event as not stored, when the race is lost every time', async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({ Item: storedState([shipmentCreated('shp-busy', 0)], 1) });
    dynamo.on(PutCommand, { Item: { SK: 'SHIPMENT' } }).rejects(conditionFailed(storedState([shipmentCreated('shp-busy', 0)], 1)));
    const event = shipmentStatus('packed', 'shp-busy', 2);

    // Act
    const response = await send(postEvents(event));

    // Assess
    expect(response).toEqual({
      status: 503,
      headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
      body: {
        type: 'urn:parcelcast:problem:busy',
        title: expect.any(String),
        status: 503,
        detail: expect.any(String),
        results: [{ id: event.id, status: 'not_stored' }],
      },
    });
  });

  it('lists, in a 503 for a batch, which events are stored and which to send again', async () => {
    // Prepare
    const batch = [shipmentCreated('shp-part-1'), shipmentCreated('shp-part-2'), shipmentCreated('shp-part-3')];
    dynamo
      .on(PutCommand, { Item: { PK: 'SHIPMENT#shp-part-2' } })
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));

    // Act
    const response = await send(postEvents(batch, { contentType: 'application/cloudevents-batch+json' }));

    // Assess
    expect(response).toMatchObject({
      status: 503,
      headers: { 'retry-after': '1' },
      body: {
        results: [
          { id: batch[0]!.id, status: 'accepted' },
          { id: batch[1]!.id, status: 'not_stored' },
          { id: batch[2]!.id, status: 'not_stored' },
        ],
      },
    });
    expect(puts().some((input) => input.Item?.PK === 'SHIPMENT#shp-part-3')).toBe(false);
  });

  it.each([
    [
      'the read of the owners',
      BatchGetCommand,
      () => [shipmentCreated('shp-broken-owners-1'), shipmentCreated('shp-broken-owners-2')],
      false,
    ],
    ['the read of the state', GetCommand, () => cloudEvent('shipment.picked', { shipmentId: 'shp-broken-read' }, { minute: 1 }), true],
    ['a write', PutCommand, () => shipmentCreated('shp-broken-write'), true],
  ] as const)('answers 500 problem+json, without the error text, when %s fails unexpectedly', async (_what, command, event, writing) => {
    // Prepare
    dynamo.on(command as typeof GetCommand).rejects(new Error('socket hang up at 10.0.0.7'));
    const sent = event();
    const batch = Array.isArray(sent);

    // Act
    const response = await send(postEvents(sent, batch ? { contentType: 'application/cloudevents-batch+json' } : {}));

    // Assess
    expect(response).toEqual({
      status: 500,
      headers: { 'content-type': 'application/problem+json' },
      body: {
        type: expect.any(String),
        title: expect.any(String),
        status: 500,
        detail: expect.not.stringContaining('socket'),
        // Once writing has begun, the answer says what is stored.
        ...(writing && !Array.isArray(sent) ? { results: [{ id: sent.id, status: 'not_stored' }] } : {}),
      },
    });
  });
});
