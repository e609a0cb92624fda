import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoShipmentStore } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { DynamoWallets } from '../../functions/lib/adapters/dynamo-wallets.ts';
import { recordEvents } from '../../functions/lib/app/record-events.ts';
import { isWalletEvent, type ParcelEvent, parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import { ForbiddenError, ValidationError } from '../../functions/lib/domain/errors.ts';
import { type ShipmentState, toShipmentEntry } from '../../functions/lib/domain/shipment.ts';
import { recordEntry } from '../../functions/lib/domain/status-episodes.ts';
import { parseRegistration, type Warehouse } from '../../functions/lib/domain/warehouse.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';
import { TEST_SECRET } from '../support/events.ts';

// For any interleaving of two warehouses' events, recorded by the use case into DynamoDB Local,
// warehouse B's events never change anything A owns: each of A's shipments is exactly the fold of
// A's own events, and each of A's wallets holds exactly A's entries. In the second property B posts
// under its own source, and the data model's ownership of shipments and wallets refuses it
// (docs/data-model.md, "Who may write what"). A shipment or wallet belongs to the warehouse that
// wrote it first, so there B's events about one of A's subjects come after A's first event about
// it: before that the subject is nobody's, and B writing it first would make it B's, not A's.

const RUNS = { numRuns: 25 };
const DEFAULTS = { requestsPerSecond: 50, burst: 200, notificationsPerDay: 10_000 };

function warehouse(id: string, source: string): Warehouse {
  const parsed = parseRegistration({ id, sources: [source], secrets: [TEST_SECRET], scopes: ['shipments', 'wallets'] }, DEFAULTS);
  if (!parsed.ok) throw new Error('invalid test warehouse');
  return parsed.registration.warehouse;
}
const A_SOURCE = '//warehouse/ams-1';
const A = warehouse('ams-1', A_SOURCE);
const B = warehouse('rtm-9', '//warehouse/rtm-9');

let table: TestTable;
let shipments: DynamoShipmentStore;
let wallets: DynamoWallets;
let run = 0;

beforeAll(async () => {
  table = await createTestTable();
  shipments = new DynamoShipmentStore(table.documents, table.tableName);
  wallets = new DynamoWallets(table.documents, table.tableName);
});

const NOW = Date.now();
const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();
const customer = (id: string, phone: string) => ({ id, phone, email: `${id}@example.com`, channels: ['sms', 'email'] });

interface Raw {
  id: string;
  source: string;
  type: string;
  time: string;
  data: Record<string, unknown>;
}

/** A's own story: two shipments through their lifecycle, and a wallet credited and debited. */
function storyOfA(prefix: string): Raw[] {
  const events: Raw[] = [];
  const add = (type: string, data: Record<string, unknown>) =>
    events.push({ id: `${prefix}-a-${events.length}`, source: A_SOURCE, type, time: minutesAgo(600 - 10 * events.length), data });
  for (const index of [0, 1]) {
    const shipmentId = `${prefix}-shp-${index}`;
    add('shipment.created', {
      shipmentId,
      orderId: `ord-${index}`,
      customer: customer(`cus-a-${index}`, '+34600111222'),
      trackingUrl: 'https://track.example.com/a',
    });
    add('shipment.shipped', { shipmentId, carrier: 'DHL' });
    add('shipment.delivered', { shipmentId });
  }
  add('wallet.credited', {
    walletId: `${prefix}-wal`,
    customerId: 'cus-a-0',
    amount: { value: 5000, currency: 'EUR' },
    reference: 'top-up',
  });
  add('wallet.debited', { walletId: `${prefix}-wal`, customerId: 'cus-a-0', amount: { value: 1200, currency: 'EUR' }, reference: 'fee' });
  return events;
}

/** What B sends at A's shipments and wallet: takeovers, early terminals, floods, debits; any time. */
function attackOfB(sources: fc.Arbitrary<string>) {
  const target = fc.constantFrom('shp-0', 'shp-1');
  const time = fc.oneof(fc.constant('0001-01-01T00:00:00Z'), fc.integer({ min: 0, max: 900 }).map(minutesAgo));
  return fc.oneof(
    fc.record({
      type: fc.constant('shipment.created'),
      source: sources,
      time,
      data: target.map((shipmentId) => ({
        shipmentId,
        orderId: 'ord-x',
        customer: customer('cus-a-0', '+447700900666'),
        trackingUrl: 'https://evil.example/pay',
      })),
    }),
    fc.record({
      type: fc.constantFrom('shipment.cancelled', 'shipment.returned'),
      source: sources,
      time,
      data: target.map((shipmentId) => ({ shipmentId, reason: 'pay at https://evil.example' })),
    }),
    fc.record({
      type: fc.constant('shipment.in_transit'),
      source: sources,
      time,
      data: target.map((shipmentId) => ({ shipmentId, location: 'x'.repeat(190) })),
    }),
    fc.record({
      type: fc.constantFrom('wallet.debited', 'wallet.credited'),
      source: sources,
      time,
      data: fc
        .integer({ min: 1, max: 4999 })
        .map((value) => ({ walletId: 'wal', customerId: 'cus-a-0', amount: { value, currency: 'EUR' }, reference: 'x' })),
    }),
  );
}

/** B's events, A's ids made concrete for this run. */
function concrete(
  prefix: string,
  attack: { type: string; source: string; time: string; data: Record<string, unknown> },
  index: number,
): Raw {
  const data = { ...attack.data };
  if (typeof data.shipmentId === 'string') data.shipmentId = `${prefix}-${data.shipmentId}`;
  if (typeof data.walletId === 'string') data.walletId = `${prefix}-${data.walletId}`;
  return { ...attack, id: `${prefix}-b-${index}`, data };
}

/** Records one warehouse's request the way the ingest does; B's may be refused (403, 400), which leaves nothing behind. */
async function post(as: Warehouse, raw: Raw): Promise<void> {
  try {
    const { events, batch } = parseEvents({ specversion: '1.0', ...raw }, new Date(NOW));
    await recordEvents({ shipments, wallets }, { warehouse: as, events, batch, receivedAt: new Date(NOW) });
  } catch (error) {
    if (as === A || !(error instanceof ForbiddenError || error instanceof ValidationError)) throw error;
  }
}

/** Runs an interleaving, then checks every shipment and wallet of A against A's events alone. */
async function interleaveAndCheck(
  attacks: { type: string; source: string; time: string; data: Record<string, unknown> }[],
  order: boolean[],
  afterAOpensThem = false,
) {
  run += 1;
  const prefix = `iso${run}-${Math.random().toString(36).slice(2, 6)}`;
  const ofA = storyOfA(prefix);
  const ofB = attacks.map((attack, index) => concrete(prefix, attack, index));
  const queue: [Warehouse, Raw][] = [];
  let a = 0;
  let b = 0;
  for (const takeA of order) {
    if (takeA && a < ofA.length) queue.push([A, ofA[a++] as Raw]);
    else if (b < ofB.length) queue.push([B, ofB[b++] as Raw]);
  }
  while (a < ofA.length) queue.push([A, ofA[a++] as Raw]);
  while (b < ofB.length) queue.push([B, ofB[b++] as Raw]);
  const subjectOf = (raw: Raw) => String(raw.data.shipmentId ?? raw.data.walletId);
  const opened = new Set<string>();
  let waiting: Raw[] = [];
  for (const [as, raw] of queue) {
    if (as === B && afterAOpensThem && !opened.has(subjectOf(raw))) {
      waiting.push(raw);
      continue;
    }
    await post(as, raw);
    if (as !== A) continue;
    opened.add(subjectOf(raw));
    const now = waiting.filter((held) => opened.has(subjectOf(held)));
    waiting = waiting.filter((held) => !opened.has(subjectOf(held)));
    for (const held of now) await post(B, held);
  }

  const parsedOfA: ParcelEvent[] = ofA.map((raw) => parseEvents({ specversion: '1.0', ...raw }, new Date(NOW)).events[0] as ParcelEvent);
  for (const index of [0, 1]) {
    const shipmentId = `${prefix}-shp-${index}`;
    const expected = parsedOfA
      .filter((event): event is ShipmentEvent => !isWalletEvent(event) && event.data.shipmentId === shipmentId)
      .reduce<ShipmentState | undefined>(
        // In the order A posted them, as the store counts entries into a status (recordEntry).
        (current, event) => recordEntry(current, toShipmentEntry(event, A.id, { receivedAt: new Date(NOW).toISOString(), position: 0 })),
        undefined,
      );
    expect((await shipments.getShipment(shipmentId, { order: 'oldest', limit: 1 }))?.state).toEqual(expected);
  }
  expect(await wallets.readWallet(`${prefix}-wal`)).toMatchObject({ balance: 3800, entryCount: 2 });
}

const interleavings = (sources: fc.Arbitrary<string>) =>
  fc.tuple(fc.array(attackOfB(sources), { minLength: 1, maxLength: 8 }), fc.array(fc.boolean(), { maxLength: 16 }));

describe("warehouse B's events never change what A owns", () => {
  it('when B posts under A’s sources (impersonation): every one is refused', async () => {
    await fc.assert(
      fc.asyncProperty(interleavings(fc.constantFrom('//warehouse/ams-1', '//warehouse/ams-1/')), ([attacks, order]) =>
        interleaveAndCheck(attacks, order),
      ),
      RUNS,
    );
  });

  it('ownership: when B posts under its own source, at A’s shipments and wallet', async () => {
    await fc.assert(
      fc.asyncProperty(interleavings(fc.constantFrom('//warehouse/rtm-9', '//warehouse/ams-1')), ([attacks, order]) =>
        interleaveAndCheck(attacks, order, true),
      ),
      { ...RUNS, numRuns: 10 },
    );
  });
});
