import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/lib/adapters/dynamo-documents.ts';
import { DynamoNotificationCounts } from '../../functions/lib/adapters/dynamo-notification-counts.ts';
import { DynamoShipmentStore } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { DynamoWallets } from '../../functions/lib/adapters/dynamo-wallets.ts';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import { RequestRateLimiter } from '../../functions/lib/domain/request-rate.ts';
import { MAX_WALLET_BALANCE_MINOR_UNITS } from '../../functions/lib/domain/wallet.ts';
import type { Registration, Warehouse } from '../../functions/lib/domain/warehouse.ts';
import { ingestEventsRequest } from '../../functions/lib/http/ingest-controller.ts';
import { problemFor, problemResponse } from '../../functions/lib/http/problem.ts';
import { SignatureVerifier } from '../../functions/lib/http/webhook-signature.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';
import { cloudEvent, customer, postEvents, TEST_SECRET } from '../support/events.ts';
import { stateAfter } from '../support/shipments.ts';

// Three warehouses on one table, through the ingest controller with the real adapters: each writes
// only what it owns (issue 12 items 2 and 3). Each posts to its own path, signed with its own key;
// the registry is in memory (tests/integration/warehouses.test.ts tests the real one).
let table: TestTable;

const LIMITS = { requestsPerSecond: 1_000_000, burst: 1_000_000, notificationsPerDay: 1_000_000 };
const AMS: Warehouse = {
  id: 'ams-1',
  sources: [{ prefix: '//warehouse/ams-1' }],
  scopes: ['shipments', 'wallets'],
  sharedWallets: [],
  limits: LIMITS,
};
const MAD: Warehouse = { id: 'mad-2', sources: [{ exact: '//warehouse/mad-2' }], scopes: ['shipments'], sharedWallets: [], limits: LIMITS };
const BCN: Warehouse = {
  id: 'bcn-3',
  sources: [{ exact: '//warehouse/bcn-3' }],
  scopes: ['wallets'],
  sharedWallets: [{ prefix: 'wal-shared-' }],
  limits: LIMITS,
};
const REGISTRY = new Map<string, Registration>(
  [AMS, MAD, BCN].map((warehouse) => [warehouse.id, { warehouse, keys: [{ secret: TEST_SECRET }] }]),
);
const SOURCE: Record<string, string> = { 'ams-1': '//warehouse/ams-1', 'mad-2': '//warehouse/mad-2', 'bcn-3': '//warehouse/bcn-3' };

/** One container per warehouse: its own adapters, as separate Lambda containers have. */
const containers = new Map<string, Parameters<typeof ingestEventsRequest>[0]>();

beforeAll(async () => {
  table = await createTestTable();
  for (const warehouse of [AMS, MAD, BCN]) {
    const documents = documentClient(new DynamoDBClient({ endpoint: table.endpoint }));
    containers.set(warehouse.id, {
      shipments: new DynamoShipmentStore(documents, table.tableName),
      wallets: new DynamoWallets(documents, table.tableName),
      warehouses: { registrations: async () => REGISTRY },
      signatures: new SignatureVerifier(),
      rate: new RequestRateLimiter(),
      counts: new DynamoNotificationCounts(documents, table.tableName),
    });
  }
});

/** Posts `body` as `warehouse`, answering as the handler would (problem.ts maps errors). */
async function post(warehouse: Warehouse, body: unknown) {
  const request = postEvents(body, {
    contentType: Array.isArray(body) ? 'application/cloudevents-batch+json' : undefined,
    warehouse: warehouse.id,
  });
  try {
    const response = await ingestEventsRequest(containers.get(warehouse.id)!, request);
    return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') };
  } catch (error) {
    const response = problemResponse(problemFor(error));
    return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') };
  }
}

const from = (warehouse: Warehouse, type: string, data: Record<string, unknown>, minute?: number) =>
  cloudEvent(type, data, { source: SOURCE[warehouse.id], ...(minute === undefined ? {} : { minute }) });
const created = (warehouse: Warehouse, shipmentId: string, extra: Record<string, unknown> = {}, minute = 0) =>
  from(warehouse, 'shipment.created', { shipmentId, orderId: `ord-${shipmentId}`, customer, ...extra }, minute);
const status = (warehouse: Warehouse, name: string, shipmentId: string, minute: number, extra: Record<string, unknown> = {}) =>
  from(warehouse, `shipment.${name}`, { shipmentId, ...extra }, minute);
const entry = (warehouse: Warehouse, kind: 'credited' | 'debited', walletId: string, value: number) =>
  from(warehouse, `wallet.${kind}`, { walletId, customerId: customer.id, amount: { value, currency: 'EUR' }, reference: `ref-${value}` });

const itemsOf = async (pk: string) => (await table.scan()).filter((item) => item.PK === pk);
const stateOf = async (shipmentId: string) => (await itemsOf(`SHIPMENT#${shipmentId}`)).find((item) => item.SK === 'SHIPMENT');

describe('what a warehouse may send', () => {
  it('refuses with 403 an event whose source is not the warehouse’s, storing nothing of the request', async () => {
    const before = await table.scan();

    const response = await post(MAD, [created(MAD, 'shp-mad-own'), created(AMS, 'shp-spoofed')]);

    expect(response).toMatchObject({ status: 403, body: { errors: [{ path: '[1].source' }] } });
    expect(await table.scan()).toHaveLength(before.length);
  });

  it('refuses with 403 a wallet event from a warehouse without the wallets scope', async () => {
    const response = await post(
      MAD,
      from(MAD, 'wallet.credited', { walletId: 'wal-mad', customerId: 'c', amount: { value: 1, currency: 'EUR' }, reference: 'r' }),
    );
    expect(response).toMatchObject({
      status: 403,
      body: { errors: [{ path: 'type', message: expect.stringContaining('"wallets" scope') }] },
    });
  });
});

describe('shipments belong to the warehouse that wrote their first event', () => {
  it("refuses another warehouse's events for it, saying no more than a 404 would, and the owner's traffic goes on", async () => {
    expect((await post(AMS, created(AMS, 'shp-ams-owned'))).status).toBe(202);
    const before = await itemsOf('SHIPMENT#shp-ams-owned');

    const attacks = [
      created(MAD, 'shp-ams-owned', { customer: { ...customer, phone: '+34699000000' }, trackingUrl: 'https://evil.example/pay' }),
      status(MAD, 'cancelled', 'shp-ams-owned', 1, { reason: 'pay the customs fee at https://evil.example' }),
    ];
    for (const attack of attacks) {
      const response = await post(MAD, attack);
      expect(response).toEqual({
        status: 403,
        body: expect.objectContaining({ errors: [{ path: 'data.shipmentId', message: 'is not a shipment this warehouse may write' }] }),
      });
      expect(JSON.stringify(response.body)).not.toContain('ams-1');
    }
    expect(await itemsOf('SHIPMENT#shp-ams-owned')).toEqual(before);

    expect((await post(AMS, status(AMS, 'delivered', 'shp-ams-owned', 30))).status).toBe(202);
    expect(await stateOf('shp-ams-owned')).toMatchObject({ owner: 'ams-1', status: 'delivered', customer: { phone: customer.phone } });
  });

  it('refuses a whole batch that names one shipment of another warehouse, its own events included', async () => {
    await post(AMS, created(AMS, 'shp-ams-batch'));
    const before = await table.scan();

    const response = await post(MAD, [created(MAD, 'shp-mad-batch'), status(MAD, 'picked', 'shp-ams-batch', 2)]);

    expect(response).toMatchObject({ status: 403, body: { errors: [{ path: '[1].data.shipmentId' }] } });
    expect(response.body).not.toHaveProperty('results');
    expect(await table.scan()).toHaveLength(before.length);
  });

  it("takes the owner's newest correction of the customer, whatever time it carries", async () => {
    await post(AMS, created(AMS, 'shp-corrected', {}, 30));
    await post(AMS, created(AMS, 'shp-corrected', { customer: { ...customer, phone: '+34600000099' } }, 0));

    expect((await stateOf('shp-corrected'))?.customer).toMatchObject({ phone: '+34600000099' });
  });
});

describe('wallets belong to the warehouse that opened them, unless shared', () => {
  it("refuses another warehouse's entry on a wallet, and lets a warehouse the registry shares it with book to it", async () => {
    expect((await post(AMS, entry(AMS, 'credited', 'wal-ams', 5000))).status).toBe(202);
    expect((await post(AMS, entry(AMS, 'credited', 'wal-shared-1', 5000))).status).toBe(202);

    const refused = await post(BCN, entry(BCN, 'debited', 'wal-ams', 4999));
    const shared = await post(BCN, entry(BCN, 'debited', 'wal-shared-1', 1000));

    expect(refused).toMatchObject({
      status: 403,
      body: { errors: [{ path: 'data.walletId', message: 'is not a wallet this warehouse may write' }] },
    });
    expect(shared.status).toBe(202);
    const wallets = (await table.scan()).filter((item) => item.SK === 'WALLET');
    expect(wallets.find((item) => item.walletId === 'wal-ams')).toMatchObject({ owner: 'ams-1', balance: 5000 });
    expect(wallets.find((item) => item.walletId === 'wal-shared-1')).toMatchObject({ owner: 'ams-1', balance: 4000 });
    // The shared entry is BCN's: its own idempotency key, its own owner on the ledger entry.
    const ledger = await itemsOf('WALLET#wal-shared-1');
    expect(ledger.filter((item) => item.entity === 'ledger').map((item) => [String(item.SK).split('#')[1], item.owner])).toEqual(
      expect.arrayContaining([
        ['ams-1', 'ams-1'],
        ['bcn-3', 'bcn-3'],
      ]),
    );
  });

  it('refuses with 400 before any write an entry that would pass the balance limit, and lets a resend of a booked one through', async () => {
    const walletId = 'wal-limit';
    await post(AMS, entry(AMS, 'credited', walletId, 100));
    // Ten billion euros a thousand times over, less ten cents: as a thousand of the largest credits would leave it.
    await table.documents.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { PK: `WALLET#${walletId}`, SK: 'WALLET' },
        UpdateExpression: 'SET balance = :balance',
        ExpressionAttributeValues: { ':balance': MAX_WALLET_BALANCE_MINOR_UNITS - 10 },
      }),
    );
    const toTheLimit = entry(AMS, 'credited', walletId, 10);
    expect((await post(AMS, toTheLimit)).status).toBe(202);
    const stored = await table.scan();

    const over = await post(AMS, [
      entry(AMS, 'debited', walletId, 5),
      entry(AMS, 'credited', walletId, 5),
      entry(AMS, 'credited', walletId, 1),
    ]);
    const resend = await post(AMS, toTheLimit);

    expect(over).toMatchObject({ status: 400, body: { errors: [{ path: '[2].data.amount.value' }] } });
    expect(resend).toMatchObject({ status: 202, body: { results: [{ status: 'duplicate' }] } });
    expect(await table.scan()).toHaveLength(stored.length);
  });
});

describe('any interleaving of two warehouses', () => {
  it("never lets one warehouse's events change anything the other owns", async () => {
    const action = fc.record({
      by: fc.constantFrom(AMS, MAD),
      shipment: fc.constantFrom('s1', 's2', 's3'),
      kind: fc.constantFrom('created', 'picked', 'shipped', 'delivered', 'cancelled'),
      minute: fc.integer({ min: 0, max: 30 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 2, maxLength: 10 }), async (actions) => {
        const run = randomUUID().slice(0, 8);
        const accepted = new Map<string, { warehouse: string; events: ReturnType<typeof created>[] }>();
        for (const { by, shipment, kind, minute } of actions) {
          const shipmentId = `shp-${run}-${shipment}`;
          const event =
            kind === 'created'
              ? created(by, shipmentId, { customer: { ...customer, phone: by === AMS ? '+34600000001' : '+34600000002' } }, minute)
              : status(by, kind, shipmentId, minute, kind === 'shipped' ? { carrier: by.id } : {});
          const response = await post(by, event);
          const owner = accepted.get(shipmentId)?.warehouse;
          if (owner === undefined || owner === by.id) {
            expect(response.status).toBe(202);
            accepted.set(shipmentId, { warehouse: by.id, events: [...(accepted.get(shipmentId)?.events ?? []), event] });
          } else {
            expect(response).toMatchObject({ status: 403, body: { errors: [{ path: 'data.shipmentId' }] } });
          }
        }
        for (const [shipmentId, { warehouse, events }] of accepted) {
          const items = await itemsOf(`SHIPMENT#${shipmentId}`);
          const state = items.find((item) => item.SK === 'SHIPMENT') as Record<string, unknown>;
          const expected = stateAfter(parseEvents(events).events as ShipmentEvent[], warehouse)!;
          expect(items.filter((item) => item.entity === 'event').every((item) => item.owner === warehouse)).toBe(true);
          expect(state).toMatchObject({
            owner: warehouse,
            status: expected.status,
            ...(expected.carrier ? { carrier: expected.carrier } : {}),
            ...(expected.customer ? { customer: { phone: expected.customer.phone } } : {}),
          });
        }
      }),
      { numRuns: 15, seed: 20261203 },
    );
  });
});
