import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { DynamoNotificationCounts } from '../../functions/lib/adapters/dynamo-notification-counts.ts';
import { DynamoShipmentStore } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { DynamoWallets } from '../../functions/lib/adapters/dynamo-wallets.ts';
import { keys } from '../../functions/lib/adapters/keys.ts';
import { SsmWarehouseRegistry } from '../../functions/lib/adapters/warehouse-registry.ts';
import { idDigest } from '../../functions/lib/domain/id-digest.ts';
import { RequestRateLimiter } from '../../functions/lib/domain/request-rate.ts';
import { capDay, secondsUntilNextDay } from '../../functions/lib/domain/warehouse.ts';
import { ingestEventsHandler } from '../../functions/lib/handlers/ingest-events.ts';
import { SignatureVerifier } from '../../functions/lib/http/webhook-signature.ts';
import { createObservability, singleMetricOf } from '../../functions/lib/runtime/observability.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';
import { customer, postEvents, shipmentCreated, shipmentStatus, TEST_SECRET, walletEvent } from '../support/events.ts';

// The ingest's warehouse rules, through the real handler, the real registry adapter (Powertools
// Parameters over an SSM client whose answers the test sets) and a real DynamoDB Local table.

const PATH = '/parcelcast/test/warehouses';
const AMS_SECRET = TEST_SECRET;
const RTM_SECRET = `whsec_${Buffer.from('rtm-1 signs with this thirty-two!').toString('base64')}`;
const OLD_SECRET = `whsec_${Buffer.from('an old key, its rotation is over').toString('base64')}`;
const CAPPED_SECRET = `whsec_${Buffer.from('a warehouse with no notifications').toString('base64')}`;
const DEFAULTS = { requestsPerSecond: 50, burst: 200, notificationsPerDay: 10_000 };

const REGISTRY: Record<string, unknown> = {
  'ams-1': { id: 'ams-1', sources: ['//warehouse/ams-1'], secrets: [AMS_SECRET], scopes: ['shipments', 'wallets'] },
  'rtm-1': {
    id: 'rtm-1',
    sources: ['//warehouse/rtm-1/*'],
    secrets: [{ secret: OLD_SECRET, notAfter: '2020-01-01T00:00:00Z' }, RTM_SECRET],
    scopes: ['shipments'],
    limits: { requestsPerSecond: 1, burst: 3 },
  },
  capped: { id: 'capped', sources: ['urn:capped'], secrets: [CAPPED_SECRET], scopes: ['shipments'], limits: { notificationsPerDay: 0 } },
  // Refused, the others keep working: an entry that does not parse, and one stored under another's name.
  broken: { id: 'broken', sources: [], secrets: ['whsec_bm90LWEtc2VjcmV0LWJ1dC1sb25nLWVub3VnaA=='], scopes: ['shipments'] },
  impostor: { id: 'ams-1', sources: ['//warehouse/impostor'], secrets: [RTM_SECRET], scopes: ['shipments'] },
};

/** What each composition asked SSM. */
let pathReads: unknown[] = [];
let table: TestTable;
let refused: { name: string; problems: { path: string; message: string }[] }[];
let observability: ReturnType<typeof createObservability>;
let ingest: ReturnType<typeof ingestEventsHandler>;

function compose(registry: Record<string, unknown> = REGISTRY) {
  // Each composition has its own client, answering its own registry.
  const client = new SSMClient({});
  const reads: unknown[] = [];
  pathReads = reads;
  mockClient(client)
    .on(GetParametersByPathCommand)
    .callsFake((input) => {
      reads.push(input);
      return {
        Parameters: Object.entries(registry).map(([name, value]) => ({
          Name: `${PATH}/${name}`,
          Type: 'SecureString',
          Value: JSON.stringify(value),
        })),
      };
    });
  refused = [];
  observability = createObservability();
  return ingestEventsHandler(
    {
      shipments: new DynamoShipmentStore(table.documents, table.tableName),
      wallets: new DynamoWallets(table.documents, table.tableName),
      warehouses: new SsmWarehouseRegistry(client, {
        path: PATH,
        maxAgeSeconds: 300,
        defaults: DEFAULTS,
        refused: (entry) => void refused.push(entry),
      }),
      signatures: new SignatureVerifier(),
      rate: new RequestRateLimiter(),
      counts: new DynamoNotificationCounts(table.documents, table.tableName),
    },
    observability,
  );
}

async function send(request: APIGatewayProxyEventV2, handler = ingest) {
  const response = await handler(request, lambdaContext('IngestFunction'));
  return { status: response.statusCode, headers: response.headers ?? {}, body: JSON.parse(response.body ?? '{}') };
}

/** Every item of the table whose partition names `id` (a shipment, a wallet or an event of it). */
async function itemsAbout(id: string) {
  return (await table.scan()).filter((item) => JSON.stringify(item).includes(id));
}

const ams = (source = '//warehouse/ams-1') => ({ source });
const rtm = (source = '//warehouse/rtm-1/dock-4') => ({ source });

beforeAll(async () => {
  table = await createTestTable();
});

beforeEach(() => {
  ingest = compose();
});

afterEach(() => vi.restoreAllMocks());

describe('a warehouse posting to its own path', () => {
  it('is recorded, and the shipment it creates is its own', async () => {
    const created = { ...shipmentCreated('shp-wh-own'), ...ams() };
    const response = await send(postEvents(created, { warehouse: 'ams-1', secret: AMS_SECRET }));

    expect(response.status).toBe(202);
    expect((await itemsAbout('shp-wh-own')).find((item) => item.SK === 'SHIPMENT')).toMatchObject({ owner: 'ams-1' });
  });

  it('reads the registry once by path, recursively and decrypted, and keeps it for the cache time', async () => {
    await send(postEvents({ ...shipmentCreated('shp-wh-cache-1'), ...ams() }, { warehouse: 'ams-1', secret: AMS_SECRET }));
    await send(postEvents({ ...shipmentCreated('shp-wh-cache-2'), ...rtm() }, { warehouse: 'rtm-1', secret: RTM_SECRET }));

    expect(pathReads).toEqual([{ Path: PATH, Recursive: true, WithDecryption: true }]);
  });

  it('refuses the entries that do not parse or name another id, logging why without their values, and serves the rest', async () => {
    await send(postEvents({ ...shipmentCreated('shp-wh-refusals'), ...ams() }, { warehouse: 'ams-1', secret: AMS_SECRET }));

    expect(refused).toEqual([
      { name: `${PATH}/broken`, problems: [{ path: 'sources', message: expect.any(String) }] },
      { name: `${PATH}/impostor`, problems: [{ path: 'id', message: 'must be the parameter\'s last part, "impostor"' }] },
    ]);
    expect(JSON.stringify(refused)).not.toContain('whsec_');
    const broken = await send(
      postEvents(
        { ...shipmentCreated('shp-wh-broken'), source: 'x' },
        { warehouse: 'broken', secret: 'whsec_bm90LWEtc2VjcmV0LWJ1dC1sb25nLWVub3VnaA==' },
      ),
    );
    expect(broken.status).toBe(401);
  });

  it('is accepted on POST /v1/events only while it is the only warehouse registered', async () => {
    const alone = compose({ 'ams-1': REGISTRY['ams-1'] });
    const single = await send(postEvents({ ...shipmentCreated('shp-wh-single'), ...ams() }, { secret: AMS_SECRET }), alone);
    const several = await send(postEvents({ ...shipmentCreated('shp-wh-several'), ...ams() }, { secret: AMS_SECRET }));

    expect(single.status).toBe(202);
    expect(several).toMatchObject({ status: 404, body: { detail: expect.stringContaining('/v1/warehouses/{warehouseId}/events') } });
    expect(await itemsAbout('shp-wh-several')).toEqual([]);
  });
});

describe('authentication, before the body is read', () => {
  const unauthorized = async (request: APIGatewayProxyEventV2) => {
    const response = await send(request);
    return { status: response.status, body: response.body };
  };

  it('answers 401 to another warehouse’s key, to an unknown warehouse and to a bad signature alike, storing nothing', async () => {
    const event = { ...shipmentCreated('shp-wh-401'), ...ams() };
    const answers = [
      await unauthorized(postEvents(event, { warehouse: 'ams-1', secret: RTM_SECRET })),
      await unauthorized(postEvents(event, { warehouse: 'no-such-warehouse', secret: AMS_SECRET })),
      await unauthorized(postEvents(event, { warehouse: 'ams-1', secret: null })),
      await unauthorized(postEvents(event, { warehouse: 'broken', secret: AMS_SECRET })),
    ];

    expect(new Set(answers.map((answer) => JSON.stringify(answer)))).toEqual(new Set([JSON.stringify(answers[0])]));
    expect(answers[0]?.status).toBe(401);
    expect(await itemsAbout('shp-wh-401')).toEqual([]);
  });

  it('never reads a body it cannot authenticate: a 401 even for one that is not JSON', async () => {
    const response = await send(postEvents(undefined, { warehouse: 'ams-1', secret: RTM_SECRET, raw: '{not json' }));
    expect(response.status).toBe(401);
  });

  it('takes a key whose rotation has not ended, and refuses one whose has', async () => {
    const fresh = await send(postEvents({ ...shipmentCreated('shp-wh-rot-1'), ...rtm() }, { warehouse: 'rtm-1', secret: RTM_SECRET }));
    const old = await send(postEvents({ ...shipmentCreated('shp-wh-rot-2'), ...rtm() }, { warehouse: 'rtm-1', secret: OLD_SECRET }));

    expect([fresh.status, old.status]).toEqual([202, 401]);
  });
});

describe('what an authenticated warehouse may post', () => {
  it('refuses the whole batch with 403 when one event uses another warehouse’s source, naming it, storing nothing', async () => {
    const batch = [
      { ...shipmentCreated('shp-wh-403-own'), ...rtm() },
      { ...shipmentCreated('shp-wh-403-theft', 0, { trackingUrl: 'https://evil.example/pay' }), ...ams() },
    ];
    const response = await send(
      postEvents(batch, { warehouse: 'rtm-1', secret: RTM_SECRET, contentType: 'application/cloudevents-batch+json' }),
    );

    expect(response).toMatchObject({
      status: 403,
      headers: { 'content-type': 'application/problem+json' },
      body: {
        type: 'urn:parcelcast:problem:forbidden',
        status: 403,
        errors: [{ path: '[1].source', message: 'is not a source of warehouse rtm-1' }],
      },
    });
    expect([...(await itemsAbout('shp-wh-403-own')), ...(await itemsAbout('shp-wh-403-theft'))]).toEqual([]);
  });

  it('refuses a wallet event from a warehouse without the wallets scope, at its type', async () => {
    const debit = { ...walletEvent('debited', 'wal-wh-scope', 4999), ...rtm() };
    const response = await send(postEvents(debit, { warehouse: 'rtm-1', secret: RTM_SECRET }));

    expect(response).toMatchObject({
      status: 403,
      body: { errors: [{ path: 'type', message: 'needs the "wallets" scope, which warehouse rtm-1 has not got' }] },
    });
    expect(await itemsAbout('wal-wh-scope')).toEqual([]);
  });

  it('accepts the prefix rule’s sources, and wallet events with the wallets scope', async () => {
    const responses = [
      await send(
        postEvents(
          { ...shipmentStatus('picked', 'shp-wh-prefix', 1), source: '//warehouse/rtm-1/dock-9' },
          { warehouse: 'rtm-1', secret: RTM_SECRET },
        ),
      ),
      await send(postEvents({ ...walletEvent('credited', 'wal-wh-ok', 100), ...ams() }, { warehouse: 'ams-1', secret: AMS_SECRET })),
    ];
    expect(responses.map((response) => response.status)).toEqual([202, 202]);
  });
});

describe('limits', () => {
  it('answers 429 with retry-after past the request rate, before reading the body, storing nothing', async () => {
    const statuses: (number | undefined)[] = [];
    for (let index = 0; index < 4; index++) {
      const event = { ...shipmentStatus('picked', `shp-wh-rate-${index}`, 1), ...rtm() };
      statuses.push((await send(postEvents(event, { warehouse: 'rtm-1', secret: RTM_SECRET }))).status);
    }
    const limited = await send(postEvents(undefined, { warehouse: 'rtm-1', secret: RTM_SECRET, raw: '{not json' }));

    expect(statuses).toEqual([202, 202, 202, 429]);
    expect(limited).toMatchObject({
      status: 429,
      headers: { 'content-type': 'application/problem+json', 'retry-after': '1' },
      body: { type: 'urn:parcelcast:problem:rate-limited', detail: expect.stringContaining('1 requests per second') },
    });
    expect(await itemsAbout('shp-wh-rate-3')).toEqual([]);
    // Another warehouse's bucket is its own.
    expect(
      (await send(postEvents({ ...shipmentStatus('picked', 'shp-wh-rate-ams', 1), ...ams() }, { warehouse: 'ams-1', secret: AMS_SECRET })))
        .status,
    ).toBe(202);
  });

  it('answers 429 until midnight UTC once the warehouse’s notifications of the day reached its cap', async () => {
    const before = Date.now();
    const response = await send(
      postEvents({ ...shipmentCreated('shp-wh-capped'), source: 'urn:capped' }, { warehouse: 'capped', secret: CAPPED_SECRET }),
    );
    const retryAfter = Number(response.headers['retry-after']);

    expect(response).toMatchObject({ status: 429, body: { detail: expect.stringContaining('its 0 notifications for today') } });
    expect(Math.abs(retryAfter - secondsUntilNextDay(new Date(before)))).toBeLessThanOrEqual(2);
    expect(await itemsAbout('shp-wh-capped')).toEqual([]);
  });

  it('reads the count the stream router keeps: at the cap, the next request is refused', async () => {
    const withCap = compose({ ...REGISTRY, 'ams-1': { ...(REGISTRY['ams-1'] as object), limits: { notificationsPerDay: 3 } } });
    await table.documents.send(
      new PutCommand({ TableName: table.tableName, Item: { ...keys.warehouseDay('ams-1', capDay(new Date())), notifications: 3 } }),
    );
    const response = await send(
      postEvents({ ...shipmentCreated('shp-wh-at-cap'), ...ams() }, { warehouse: 'ams-1', secret: AMS_SECRET }),
      withCap,
    );

    expect(response.status).toBe(429);
  });
});

describe('the audit of refusals', () => {
  it('logs each 401, 403 and 429 with the warehouse, the reason and the event ids, never the body or a secret', async () => {
    const warn = vi.spyOn(observability.logger, 'warn');
    const counted: string[] = [];
    // The handlers count through one reused single-metric instance: each count's dimensions are its own.
    const single = singleMetricOf(observability.metrics);
    let dimensions = '';
    vi.spyOn(single, 'addDimensions').mockImplementation((added) => {
      dimensions = JSON.stringify(added);
      return single;
    });
    vi.spyOn(single, 'addDimension').mockImplementation((name, value) => {
      dimensions = JSON.stringify({ [name]: value });
      return single;
    });
    vi.spyOn(single, 'addMetric').mockImplementation((name, _unit, value) => {
      counted.push(`${name} ${dimensions} ${value}`);
      dimensions = '';
      return single;
    });
    const attack = { ...shipmentCreated('shp-wh-audit', 0, { customer: { ...customer, phone: '+34600999888' } }), ...ams() };
    const statuses = [
      (await send(postEvents(attack, { warehouse: 'rtm-1', secret: RTM_SECRET }))).status,
      (await send(postEvents(attack, { warehouse: `unknown-${'x'.repeat(200)}`, secret: RTM_SECRET }))).status,
      (await send(postEvents(attack, { warehouse: 'capped', secret: CAPPED_SECRET }))).status,
    ];

    const lines = warn.mock.calls.filter(([message]) => message === 'request refused').map(([, details]) => details);
    expect(statuses).toEqual([403, 401, 429]);
    expect(lines).toEqual([
      expect.objectContaining({
        status: 403,
        reason: 'source-not-owned',
        warehouse: 'rtm-1',
        eventIds: [idDigest(attack.id)],
        fields: ['source'],
      }),
      expect.objectContaining({
        status: 401,
        reason: 'unknown-warehouse',
        warehouse: undefined,
        claimedWarehouse: `unknown-${'x'.repeat(56)}…`,
      }),
      expect.objectContaining({ status: 429, reason: 'notification-cap', warehouse: 'capped', retryAfterSeconds: expect.any(Number) }),
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/\+34600999888|whsec_|shp-wh-audit/);
    // Counted by the proven warehouse only: an id made up in a path creates no metric of its own.
    expect(counted.filter((line) => !line.startsWith('EventsRejected'))).toEqual([
      'RequestsRefused {"warehouse":"rtm-1","reason":"source-not-owned"} 1',
      'RequestsRefused {"warehouse":"unauthenticated","reason":"unknown-warehouse"} 1',
      'RequestsRefused {"warehouse":"capped","reason":"notification-cap"} 1',
      'NotificationCapReached  1',
    ]);
  });
});
