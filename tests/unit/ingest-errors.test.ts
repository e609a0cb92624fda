import { createHmac } from 'node:crypto';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { apiGatewayEvent } from '../../emulator/lambda-events.ts';
import { eventItem, stateItem } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { encodeCursor } from '../../functions/lib/app/read-shipment.ts';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import {
  apiEvent,
  cloudEvent,
  customer,
  OTHER_SECRET,
  postEvents,
  shipmentCreated,
  shipmentStatus,
  TEST_SECRET,
  walletEvent,
} from '../support/events.ts';
import { entriesOf, stateAfter } from '../support/shipments.ts';

// Every 4xx of the contract, through the real handlers with DynamoDB mocked: the answer, and that nothing was written.
const dynamo = mockClient(DynamoDBDocumentClient);
const WRITES = [TransactWriteCommand, PutCommand, UpdateCommand, DeleteCommand, BatchWriteCommand] as const;
const BATCH = 'application/cloudevents-batch+json';
const KIB_256 = 256 * 1024;

let ingest: typeof import('../../functions/ingest-events.ts')['handler'];
let getShipment: typeof import('../../functions/get-shipment.ts')['handler'];
let getWallet: typeof import('../../functions/get-wallet.ts')['handler'];

beforeAll(async () => {
  ({ handler: ingest } = await import('../../functions/ingest-events.ts'));
  ({ handler: getShipment } = await import('../../functions/get-shipment.ts'));
  ({ handler: getWallet } = await import('../../functions/get-wallet.ts'));
});

beforeEach(() => {
  dynamo.on(GetCommand).resolves({});
  dynamo.on(BatchGetCommand).resolves({ Responses: {} });
  dynamo.on(TransactWriteCommand).resolves({});
  dynamo.on(QueryCommand).resolves({ Items: [] });
});

afterEach(() => {
  dynamo.reset();
});

async function send(request: APIGatewayProxyEventV2) {
  const response = await ingest(request, lambdaContext('IngestFunction'));
  return { status: response.statusCode, contentType: response.headers?.['content-type'], body: JSON.parse(response.body ?? 'null') };
}

function writesSent(): string[] {
  return dynamo
    .calls()
    .map((call) => call.args[0])
    .filter((command) => WRITES.some((Write) => command instanceof Write))
    .map((command) => command.constructor.name);
}

/** An RFC 9457 problem for `status`, with `errors` when given. */
function problem(status: number, errors?: { path: string }[]) {
  return {
    status,
    contentType: 'application/problem+json',
    body: expect.objectContaining({
      type: expect.stringMatching(/^[a-z][a-z0-9+.-]*:/),
      title: expect.any(String),
      status,
      ...(errors ? { errors: errors.map((error) => expect.objectContaining(error)) } : {}),
    }),
  };
}

function withoutContentType(request: APIGatewayProxyEventV2): APIGatewayProxyEventV2 {
  const { 'content-type': _removed, ...headers } = request.headers;
  return { ...request, headers };
}

const created = (data: Record<string, unknown> = {}) => shipmentCreated('shp-bad', 0, data);
const withCustomer = (fields: Record<string, unknown>) => created({ customer: { ...customer, ...fields } });
const debit = (amount: Record<string, unknown>) =>
  cloudEvent('wallet.debited', { walletId: 'wal-bad', customerId: 'cus-1', amount, reference: 'ref-1' });
const manyEvents = (count: number) => Array.from({ length: count }, (_, index) => shipmentStatus('picked', `shp-${index}`, index));

/**
 * A single event padded to exactly `bytes` bytes of JSON: with white space between tokens, which
 * JSON allows anywhere, or with `pad` repeated in one long extension attribute (refused for its
 * length if the size check ever let it through).
 */
function paddedTo(bytes: number, pad = ' ') {
  const event = shipmentCreated('shp-padded');
  if (pad === ' ') return JSON.stringify(event).replace(/^\{/, `{${' '.repeat(bytes - Buffer.byteLength(JSON.stringify(event)))}`);
  const room = bytes - Buffer.byteLength(JSON.stringify({ ...event, padding: '' }));
  return JSON.stringify({ ...event, padding: pad.repeat(Math.floor(room / Buffer.byteLength(pad))) });
}

describe('POST /v1/events rejections', () => {
  it.each<{ case: string; status: number; request: () => APIGatewayProxyEventV2; errors?: { path: string; message?: string }[] }>([
    { case: 'an unsupported content type', status: 415, request: () => postEvents(created(), { contentType: 'text/plain' }) },
    {
      case: 'a non-JSON content type similar to a supported one',
      status: 415,
      request: () => postEvents(created(), { contentType: 'application/cloudevents' }),
    },
    { case: 'no content type', status: 415, request: () => withoutContentType(postEvents(created())) },
    { case: 'a body over 256 KiB', status: 413, request: () => postEvents(null, { raw: paddedTo(KIB_256 + 1) }) },
    {
      case: 'a body over 256 KiB in bytes though not in characters',
      status: 413,
      request: () => postEvents(null, { raw: paddedTo(KIB_256 + 2, 'é') }),
    },
    { case: 'a batch of 101 events', status: 413, request: () => postEvents(manyEvents(101), { contentType: BATCH }) },
    { case: 'an unsigned request', status: 401, request: () => postEvents(created(), { secret: null }) },
    {
      case: 'a body that is not JSON',
      status: 400,
      request: () => postEvents(null, { raw: '{"specversion":"1.0",' }),
      errors: [{ path: '$' }],
    },
    {
      case: 'a JSON value that is not an object',
      status: 400,
      request: () => postEvents('hello', { contentType: 'application/json' }),
      errors: [{ path: '$' }],
    },
    {
      case: 'an object that is not a CloudEvent',
      status: 400,
      request: () => postEvents({ hello: 'world' }, { contentType: 'application/json' }),
      errors: [{ path: 'type' }],
    },
    {
      case: 'an unknown event type',
      status: 400,
      request: () => postEvents(cloudEvent('shipment.teleported', { shipmentId: 'shp-bad' })),
      errors: [{ path: 'type' }],
    },
    {
      case: 'a wrong specversion',
      status: 400,
      request: () => postEvents({ ...created(), specversion: '0.3' }),
      errors: [{ path: 'specversion' }],
    },
    { case: 'a missing time', status: 400, request: () => postEvents({ ...created(), time: undefined }), errors: [{ path: 'time' }] },
    {
      case: 'a time without offset',
      status: 400,
      request: () => postEvents({ ...created(), time: '2026-11-01T08:00:00' }),
      errors: [{ path: 'time' }],
    },
    {
      case: 'an attribute name CloudEvents does not allow',
      status: 400,
      request: () => postEvents({ ...created(), 'X-Trace': 'a' }),
      errors: [{ path: 'X-Trace' }],
    },
    {
      case: 'a missing required data field',
      status: 400,
      request: () => postEvents(shipmentStatus('delivery_failed', 'shp-bad', 3)),
      errors: [{ path: 'data.reason' }],
    },
    {
      case: 'a phone number that is not E.164',
      status: 400,
      request: () => postEvents(withCustomer({ phone: '600 111 222' })),
      errors: [{ path: 'data.customer.phone' }],
    },
    {
      case: 'a bad phone number in the fourth event of a batch',
      status: 400,
      request: () => postEvents([created(), created(), created(), withCustomer({ phone: '600 111 222' })], { contentType: BATCH }),
      errors: [{ path: '[3].data.customer.phone' }],
    },
    {
      case: 'an unknown field in data',
      status: 400,
      request: () => postEvents(created({ colour: 'red' })),
      errors: [{ path: 'data', message: 'unknown field(s): colour' }],
    },
    {
      case: 'a parcel count of no parcels',
      status: 400,
      request: () => postEvents(created({ parcelCount: 0 })),
      errors: [{ path: 'data.parcelCount', message: 'must be at least 1' }],
    },
    {
      case: 'a parcel count over 50',
      status: 400,
      request: () => postEvents([created(), created({ parcelCount: 51 })], { contentType: BATCH }),
      errors: [{ path: '[1].data.parcelCount', message: 'must be at most 50' }],
    },
    {
      case: 'a parcel count that is not a whole number',
      status: 400,
      request: () => postEvents(created({ parcelCount: 2.5 })),
      errors: [{ path: 'data.parcelCount', message: 'must be a whole number of parcels' }],
    },
    {
      case: 'a parcel count as text',
      status: 400,
      request: () => postEvents(created({ parcelCount: '2' })),
      errors: [{ path: 'data.parcelCount' }],
    },
    {
      case: 'a parcel count on an event that carries no orderId',
      status: 400,
      request: () => postEvents(shipmentStatus('out_for_delivery', 'shp-bad', 3, { parcelCount: 2 })),
      errors: [{ path: 'data', message: 'unknown field(s): parcelCount' }],
    },
    {
      case: 'an unknown field in the customer',
      status: 400,
      request: () => postEvents(withCustomer({ age: 40 })),
      errors: [{ path: 'data.customer' }],
    },
    {
      case: 'money that is not an integer',
      status: 400,
      request: () => postEvents(debit({ value: 12.5, currency: 'EUR' })),
      errors: [{ path: 'data.amount.value' }],
    },
    {
      case: 'money given as a string',
      status: 400,
      request: () => postEvents(debit({ value: '1250', currency: 'EUR' })),
      errors: [{ path: 'data.amount.value' }],
    },
    {
      case: 'money that is not positive',
      status: 400,
      request: () => postEvents(debit({ value: 0, currency: 'EUR' })),
      errors: [{ path: 'data.amount.value' }],
    },
    {
      case: 'a currency that is not ISO 4217',
      status: 400,
      request: () => postEvents(debit({ value: 100, currency: 'EURO' })),
      errors: [{ path: 'data.amount.currency' }],
    },
    {
      case: 'a locale that is not BCP 47',
      status: 400,
      request: () => postEvents(withCustomer({ locale: 'es_ES' })),
      errors: [{ path: 'data.customer.locale' }],
    },
    {
      case: 'a time zone that is not IANA',
      status: 400,
      request: () => postEvents(withCustomer({ timeZone: 'Mars/Olympus' })),
      errors: [{ path: 'data.customer.timeZone' }],
    },
    {
      case: 'an unknown channel',
      status: 400,
      request: () => postEvents(withCustomer({ channels: ['pigeon'] })),
      errors: [{ path: 'data.customer.channels[0]' }],
    },
    {
      case: 'an id with a lone UTF-16 surrogate',
      status: 400,
      request: () => postEvents({ ...created(), id: 'evt-\ud800' }),
      errors: [{ path: 'id' }],
    },
    {
      case: 'an id with white space around it (an idempotency key is never rewritten)',
      status: 400,
      request: () => postEvents({ ...created(), id: ' evt-1 ' }),
      errors: [{ path: 'id' }],
    },
    {
      case: 'a shipmentId with white space around it',
      status: 400,
      request: () => postEvents(shipmentStatus('picked', ' shp-1', 1)),
      errors: [{ path: 'data.shipmentId' }],
    },
    {
      case: 'a source with a lone UTF-16 surrogate',
      status: 400,
      request: () => postEvents({ ...created(), source: '//warehouse/\udc00' }),
      errors: [{ path: 'source' }],
    },
    {
      case: 'a shipmentId with a lone UTF-16 surrogate',
      status: 400,
      request: () => postEvents(shipmentStatus('picked', 'shp-\udbff', 1)),
      errors: [{ path: 'data.shipmentId' }],
    },
    {
      case: 'an extension attribute named constructor',
      status: 400,
      request: () => postEvents({ ...created(), constructor: 'x' }),
      errors: [{ path: 'constructor' }],
    },
    {
      case: 'a source whose table key would pass 2048 bytes (256 × 中)',
      status: 400,
      request: () => postEvents({ ...created(), source: '中'.repeat(256) }),
      errors: [{ path: 'source' }],
    },
    {
      case: 'a time past year 9999 once in UTC',
      status: 400,
      request: () => postEvents({ ...created(), time: '9999-12-31T23:59:59-23:59' }),
      errors: [{ path: 'time' }],
    },
    {
      case: 'a time more than 5 minutes after receipt',
      status: 400,
      request: () => postEvents({ ...created(), time: new Date(Date.now() + 6 * 60_000).toISOString() }),
      errors: [{ path: 'time' }],
    },
    {
      case: 'a credit of Number.MAX_SAFE_INTEGER minor units',
      status: 400,
      request: () => postEvents(walletEvent('credited', 'wal-bad', Number.MAX_SAFE_INTEGER)),
      errors: [{ path: 'data.amount.value' }],
    },
    {
      case: 'a tracking link to a look-alike Unicode host',
      status: 400,
      request: () => postEvents(created({ trackingUrl: 'https://раураl.com/' })),
      errors: [{ path: 'data.trackingUrl' }],
    },
    {
      case: 'an escape sequence in the carrier',
      status: 400,
      request: () => postEvents(created({ carrier: 'DHL\u001b[2J' })),
      errors: [{ path: 'data.carrier' }],
    },
    { case: 'an empty batch', status: 400, request: () => postEvents([], { contentType: BATCH }), errors: [{ path: '$' }] },
    {
      case: 'an array sent as application/cloudevents+json',
      status: 400,
      request: () => postEvents([created()], { contentType: 'application/cloudevents+json' }),
      errors: [{ path: '$' }],
    },
    {
      case: 'an object sent as application/cloudevents-batch+json',
      status: 400,
      request: () => postEvents(created(), { contentType: BATCH }),
      errors: [{ path: '$' }],
    },
  ])('rejects $case with $status problem+json', async ({ status, request, errors }) => {
    // Act
    const response = await send(request());

    // Assess
    expect(response).toEqual(problem(status, errors));
  });

  it.each<[string, () => APIGatewayProxyEventV2]>([
    ['an unsupported content type', () => postEvents(created(), { contentType: 'text/plain' })],
    ['a body over 256 KiB', () => postEvents(null, { raw: paddedTo(KIB_256 + 1) })],
    ['a batch of 101 events', () => postEvents(manyEvents(101), { contentType: BATCH })],
    ['an unsigned request', () => postEvents(created(), { secret: null })],
    ['a body that is not JSON', () => postEvents(null, { raw: '[{"specversion":"1.0"' })],
    ['an unknown event type', () => postEvents(cloudEvent('shipment.teleported', { shipmentId: 'shp-bad' }))],
    [
      'a batch with one invalid event after valid ones',
      () => postEvents([created(), withCustomer({ phone: 'x' })], { contentType: BATCH }),
    ],
    ['an array sent as application/cloudevents+json', () => postEvents([created()], { contentType: 'application/cloudevents+json' })],
    [
      'a batch whose second event has an extension attribute named constructor',
      () => postEvents([created(), { ...created(), constructor: 'x' }], { contentType: BATCH }),
    ],
    [
      'a batch whose second event has an id that cannot be a key',
      () => postEvents([created(), { ...created(), id: '\ud800' }], { contentType: BATCH }),
    ],
  ])('writes nothing for %s', async (_, request) => {
    // Act
    await send(request());

    // Assess
    expect(writesSent()).toEqual([]);
  });

  it('lists every failing field of every event of a batch, in request order', async () => {
    // Prepare
    const batch = [withCustomer({ phone: 'x' }), created(), debit({ value: 1.5, currency: 'XYZ' })];

    // Act
    const response = await send(postEvents(batch, { contentType: BATCH }));

    // Assess
    expect(response.body.errors.map((error: { path: string }) => error.path)).toEqual([
      '[0].data.customer.phone',
      '[2].data.amount.value',
      '[2].data.amount.currency',
    ]);
  });

  it('rejects an entry in another currency than its wallet holds at data.amount.currency, writing nothing', async () => {
    // Prepare
    dynamo
      .on(BatchGetCommand)
      .resolves({ Responses: { [process.env.TABLE_NAME!]: [{ walletId: 'wal-eur', owner: 'local', currency: 'EUR', balance: 0 }] } });

    // Act
    const response = await send(postEvents(walletEvent('debited', 'wal-eur', 100, 'USD')));

    // Assess
    expect({ response, writes: writesSent() }).toEqual({ response: problem(400, [{ path: 'data.amount.currency' }]), writes: [] });
  });

  it.each([
    ['a shipment', () => shipmentStatus('cancelled', 'shp-theirs', 3), { shipmentId: 'shp-theirs', owner: 'ams-1' }, 'data.shipmentId'],
    [
      'a wallet',
      () => walletEvent('debited', 'wal-theirs', 100),
      { walletId: 'wal-theirs', owner: 'ams-1', currency: 'EUR', balance: 500 },
      'data.walletId',
    ],
  ])("rejects an event for another warehouse's %s with 403 problem+json, writing nothing", async (_what, event, stored, path) => {
    // Prepare: the table holds the subject, owned by another warehouse (and nothing else the batch names).
    const table = process.env.TABLE_NAME!;
    const subject = 'shipmentId' in stored ? `SHIPMENT#${stored.shipmentId}` : `WALLET#${stored.walletId}`;
    dynamo.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { PK: string }[] }> }) => ({
      Responses: { [table]: input.RequestItems[table]?.Keys.some((key) => key.PK === subject) ? [stored] : [] },
    }));

    // Act
    const response = await send(postEvents([created(), event()], { contentType: BATCH }));

    // Assess
    expect({ response, writes: writesSent() }).toEqual({ response: problem(403, [{ path: `[1].${path}` }]), writes: [] });
  });

  it('answers a correctly signed body that is not UTF-8 400 at $, only after its signature: wrongly signed, it is a 401', async () => {
    const bytes = Buffer.concat([Buffer.from(JSON.stringify(created()).slice(0, -1)), Buffer.from(',"x":"\xc3"}', 'latin1')]);
    const id = 'msg_not_utf8';
    const timestamp = Math.floor(Date.now() / 1000);
    const signedWith = (secret: string) => {
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.`).update(bytes).digest('base64')}`;
    };
    const request = (secret: string) =>
      apiGatewayEvent({
        method: 'POST',
        path: '/v1/events',
        routePath: '/v1/events',
        headers: {
          'content-type': 'application/cloudevents+json',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signedWith(secret),
        },
        body: bytes.toString('base64'),
        isBase64Encoded: true,
      });

    expect(await send(request(TEST_SECRET))).toEqual(problem(400, [{ path: '$' }]));
    expect(await send(request(OTHER_SECRET))).toEqual(problem(401));
    expect(writesSent()).toEqual([]);
  });

  it('accepts a body of exactly 256 KiB', async () => {
    const response = await send(postEvents(null, { raw: paddedTo(KIB_256) }));
    expect(response.status).toBe(202);
  });

  it('accepts a batch of exactly 100 events', async () => {
    const response = await send(postEvents(manyEvents(100), { contentType: BATCH }));
    expect(response.status).toBe(202);
  });

  it('accepts a supported content type with parameters and in any letter case', async () => {
    const response = await send(postEvents(created(), { contentType: 'Application/CloudEvents+JSON; charset=utf-8' }));
    expect(response.status).toBe(202);
  });
});

describe('GET /v1/shipments/{shipmentId}', () => {
  async function read(shipmentId: string, query?: Record<string, string>) {
    const request = apiEvent('GET', `/v1/shipments/${shipmentId}`, { pathParameters: { shipmentId } });
    const response = await getShipment(
      { ...request, ...(query ? { queryStringParameters: query } : {}) },
      lambdaContext('GetShipmentFunction'),
    );
    return { status: response.statusCode, contentType: response.headers?.['content-type'], body: JSON.parse(response.body ?? 'null') };
  }

  const events = () =>
    parseEvents([shipmentCreated('shp-known', 0), shipmentStatus('shipped', 'shp-known', 5, { carrier: 'DHL' })]).events as ShipmentEvent[];

  /** The state item and the event items of a shipment with two events. */
  function storedShipment() {
    const history = events();
    return {
      state: stateItem(stateAfter(history)!, 2),
      events: entriesOf(history).map((entry, index) => eventItem(entry, history[index]!)),
    };
  }

  it('answers 404 problem+json for a shipment nobody has posted', async () => {
    // Act
    const response = await read('shp-nobody');

    // Assess
    expect(response).toEqual(problem(404));
  });

  it('looks the state up by its key, and the history in the Timeline index of its partition', async () => {
    // Act
    await read('shp-nobody');

    // Assess
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, { Key: { PK: 'SHIPMENT#shp-nobody', SK: 'SHIPMENT' } });
    expect(dynamo).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'Timeline',
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': 'SHIPMENT#shp-nobody' },
      ScanIndexForward: true,
      Limit: 51,
    });
  });

  it('answers 200 with the status, the owner and the phone and email masked', async () => {
    // Prepare
    const stored = storedShipment();
    dynamo.on(GetCommand).resolves({ Item: stored.state });
    dynamo.on(QueryCommand, { IndexName: 'Timeline' }).resolves({ Items: stored.events });

    // Act
    const response = await read('shp-known');

    // Assess
    expect(response).toMatchObject({
      status: 200,
      contentType: 'application/json',
      body: {
        shipmentId: 'shp-known',
        owner: 'local',
        status: 'shipped',
        customer: { id: 'cus-1', phone: '+34•••••••22', email: 'a•••@example.com' },
        timeline: [{ status: 'created' }, { status: 'shipped', details: { carrier: 'DHL' } }],
        nextCursor: null,
      },
    });
  });

  it('reveals the phone and email nowhere in the answer, not even in the timeline', async () => {
    // Prepare
    const stored = storedShipment();
    dynamo.on(GetCommand).resolves({ Item: stored.state });
    dynamo.on(QueryCommand, { IndexName: 'Timeline' }).resolves({ Items: stored.events });

    // Act
    const response = await read('shp-known');

    // Assess
    expect(JSON.stringify(response.body)).not.toMatch(/600111222|ana@example\.com/);
  });

  it.each([
    ['an order it does not know', { order: 'sideways' }, 'order'],
    ['a cursor that is not base64url JSON', { cursor: '%%%' }, 'cursor'],
    ['a cursor of JSON it did not write', { cursor: Buffer.from('{"after":1}').toString('base64url') }, 'cursor'],
    ['a cursor of another shipment', { cursor: encodeCursor('shp-other', 'oldest', `2026-11-01T08:00:00.000Z#00#local#s#e`) }, 'cursor'],
    ['a cursor whose key is not a timeline key', { cursor: encodeCursor('shp-known', 'oldest', 'EVENT#x') }, 'cursor'],
    [
      "an order other than the cursor's",
      { order: 'newest', cursor: encodeCursor('shp-known', 'oldest', '2026-11-01T08:00:00.000Z#00#l#s#e') },
      'order',
    ],
  ])('answers 400 problem+json for %s, reading nothing', async (_case, query, path) => {
    // Act
    const response = await read('shp-known', query);

    // Assess
    expect(response).toEqual(problem(400, [{ path }]));
    expect(dynamo.calls()).toHaveLength(0);
  });
});

describe('GET routes, for an id that cannot have been stored', () => {
  const routes = [
    { route: 'shipments', parameter: 'shipmentId', handler: () => getShipment, functionId: 'GetShipmentFunction' },
    { route: 'wallets', parameter: 'walletId', handler: () => getWallet, functionId: 'GetWalletFunction' },
  ] as const;
  const unstorable = [
    ['300 × 中 (too long for a table key)', '中'.repeat(300)],
    ['a control character', 'wal\u001b[2Jx'],
    ['white space at an end', ' wal-1'],
    ['an empty id', ''],
  ] as const;

  for (const { route, parameter, handler, functionId } of routes) {
    it.each(unstorable)(`answers /v1/${route}/{${parameter}} with %s with a 400 naming the parameter, and reads nothing`, async (_, id) => {
      // Act
      const response = await handler()(
        apiEvent('GET', `/v1/${route}/${encodeURIComponent(id)}`, { pathParameters: { [parameter]: id } }),
        lambdaContext(functionId),
      );

      // Assess
      expect({
        status: response.statusCode,
        contentType: response.headers?.['content-type'],
        body: JSON.parse(response.body ?? 'null'),
      }).toEqual(problem(400, [{ path: parameter }]));
      expect(dynamo.calls()).toEqual([]);
    });
  }

  it('still reads an id at the limit', async () => {
    // Act
    const response = await getWallet(
      apiEvent('GET', '/v1/wallets/x', { pathParameters: { walletId: 'w'.repeat(128) } }),
      lambdaContext('GetWalletFunction'),
    );

    // Assess
    expect(response.statusCode).toBe(404);
    expect(dynamo.calls()).toHaveLength(1);
  });
});

describe('the receipt time an event may not be dated far beyond', () => {
  const at = (offsetMs: number) => new Date(Date.now() + offsetMs);
  const datedIn = (minutes: number) => ({ ...shipmentCreated('shp-ahead'), time: at(minutes * 60_000).toISOString() });
  const receivedMinutesAgo = (request: APIGatewayProxyEventV2, minutes: number): APIGatewayProxyEventV2 => ({
    ...request,
    requestContext: { ...request.requestContext, timeEpoch: at(-minutes * 60_000).getTime() },
  });

  it('is when API Gateway received the request (requestContext.timeEpoch), not when the handler got round to it', async () => {
    // Act: 2 minutes ahead of now, but 6 after a receipt 4 minutes ago
    const response = await send(receivedMinutesAgo(postEvents(datedIn(2)), 4));

    // Assess
    expect(response).toEqual(problem(400, [{ path: 'time' }]));
    expect(writesSent()).toEqual([]);
  });

  it('accepts the same event received just now, and the clock stands in for a request without a receipt time', async () => {
    expect((await send(receivedMinutesAgo(postEvents(datedIn(2)), 0))).status).toBe(202);
    const { timeEpoch: _none, ...context } = postEvents(datedIn(2)).requestContext;
    expect((await send({ ...postEvents(datedIn(2)), requestContext: context as APIGatewayProxyEventV2['requestContext'] })).status).toBe(
      202,
    );
  });
});
