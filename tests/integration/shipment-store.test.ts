import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/lib/adapters/dynamo-documents.ts';
import { DynamoShipmentStore } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import { NotYoursError } from '../../functions/lib/domain/errors.ts';
import type { Receipt } from '../../functions/lib/domain/shipment.ts';
import { createTestTable, dynamoItemBytes, type TestTable } from '../support/dynamo.ts';
import { cloudEvent, customer, shipmentCreated, shipmentStatus } from '../support/events.ts';

// Two stores stand for two Lambda containers that each remember the states they wrote.
let table: TestTable;
let containerA: DynamoShipmentStore;
let containerB: DynamoShipmentStore;

const AMS = 'ams';
const MAD = 'mad';
const valid = (event: unknown) => parseEvents(event).events[0] as ShipmentEvent;
/** A client of its own, as each container has (region and credentials from tests/support/setup.ts). */
const newClient = () => documentClient(new DynamoDBClient({ endpoint: table.endpoint }));

let receipts = 0;
/** A receipt later than every one handed out before it. */
const receipt = (): Receipt => ({ receivedAt: new Date(Date.UTC(2026, 10, 2, 8, 0) + ++receipts * 1000).toISOString(), position: 0 });
const record = (store: DynamoShipmentStore, event: unknown, owner = AMS) => store.recordShipmentEvent(valid(event), owner, receipt());
const history = async (shipmentId: string) =>
  (await containerA.getShipment(shipmentId, { order: 'oldest', limit: 1000 }))?.entries.map((entry) => entry.status);
const itemsOf = async (shipmentId: string) => (await table.scan()).filter((item) => item.PK === `SHIPMENT#${shipmentId}`);

beforeAll(async () => {
  table = await createTestTable();
  containerA = new DynamoShipmentStore(newClient(), table.tableName);
  containerB = new DynamoShipmentStore(newClient(), table.tableName);
});

/** Counts the commands a client sends, by name (GetItemCommand, PutItemCommand, ...). */
function countCommands(client: DynamoDBDocumentClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counts.set(context.commandName as string, (counts.get(context.commandName as string) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return counts;
}

/** Makes every write of a state item (SK = SHIPMENT) fail as a throttled table would: a crash between the two writes. */
function failStateWrites(client: DynamoDBDocumentClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { Item?: { SK?: string } };
      if (input.Item?.SK === 'SHIPMENT') throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      return next(args);
    },
    { step: 'initialize', name: 'failStateWrites' },
  );
}

describe('a container that remembers the state it wrote', () => {
  it('notices another container wrote since, merges again, and loses no event', async () => {
    expect(await record(containerA, shipmentCreated('shp-two-containers', 0))).toBe('accepted');
    expect(await record(containerB, shipmentStatus('picked', 'shp-two-containers', 1))).toBe('accepted');

    // A still remembers version 1; its conditional write fails and it merges into what the table holds.
    expect(await record(containerA, shipmentStatus('packed', 'shp-two-containers', 2))).toBe('accepted');
    expect(await record(containerB, shipmentStatus('shipped', 'shp-two-containers', 3))).toBe('accepted');

    expect(await history('shp-two-containers')).toEqual(['created', 'picked', 'packed', 'shipped']);
    const stored = await containerA.getShipment('shp-two-containers', { order: 'oldest', limit: 10 });
    expect(stored?.state).toMatchObject({ status: 'shipped', owner: AMS, customer: { id: customer.id } });
  });

  it('still answers duplicate for an event it wrote itself', async () => {
    const event = shipmentCreated('shp-remembered-duplicate', 0);
    expect(await record(containerA, event)).toBe('accepted');
    expect(await record(containerA, event)).toBe('duplicate');
    expect(await record(containerB, event)).toBe('duplicate');
    expect(await itemsOf('shp-remembered-duplicate')).toHaveLength(2);
  });
});

describe('a shipment.created with nothing remembered', () => {
  it('creates the state, then stores the event, without reading the table first', async () => {
    const client = newClient();
    const counts = countCommands(client);
    const container = new DynamoShipmentStore(client, table.tableName);

    expect(await record(container, shipmentCreated('shp-created-unread', 0))).toBe('accepted');

    expect(Object.fromEntries(counts)).toEqual({ PutItemCommand: 2 });
  });

  it("arriving after the shipment's later events, is still recorded once, in its place", async () => {
    expect(await record(containerB, shipmentStatus('picked', 'shp-created-late', 1))).toBe('accepted');
    const client = newClient();
    const counts = countCommands(client);
    const container = new DynamoShipmentStore(client, table.tableName);

    // The guess (no state yet) is wrong: the creation fails and answers the stored state; nothing is read.
    const created = shipmentCreated('shp-created-late', 0);
    expect(await record(container, created)).toBe('accepted');
    expect(await record(containerA, created)).toBe('duplicate');

    expect(Object.fromEntries(counts)).toEqual({ PutItemCommand: 3 });
    expect(await history('shp-created-late')).toEqual(['created', 'picked']);
    const stored = await containerA.getShipment('shp-created-late', { order: 'oldest', limit: 10 });
    expect(stored?.state).toMatchObject({ status: 'picked', orderId: 'ord-shp-created-late', customer: { id: customer.id } });
  });
});

describe('ownership', () => {
  it("refuses another warehouse's event for a shipment, writing nothing", async () => {
    await record(containerA, shipmentCreated('shp-owned', 0));
    const before = await itemsOf('shp-owned');

    await expect(record(containerB, shipmentStatus('cancelled', 'shp-owned', 5), MAD)).rejects.toThrow(NotYoursError);
    await expect(record(containerB, shipmentCreated('shp-owned', 9), MAD)).rejects.toThrow(NotYoursError);

    expect(await itemsOf('shp-owned')).toEqual(before);
  });

  it('gives a shipment to exactly one of two warehouses creating it at once, and stores only its events', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        record(
          new DynamoShipmentStore(newClient(), table.tableName),
          shipmentStatus('picked', 'shp-contested', index),
          index % 2 ? MAD : AMS,
        ),
      ),
    );
    const owner = (await containerA.getShipment('shp-contested', { order: 'oldest', limit: 20 }))?.state.owner;
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(refused.every((outcome) => (outcome as PromiseRejectedResult).reason instanceof NotYoursError)).toBe(true);
    expect(refused).toHaveLength(5);
    const events = (await itemsOf('shp-contested')).filter((item) => String(item.SK).startsWith('EVENT#'));
    expect(events).toHaveLength(5);
    expect(events.every((item) => item.owner === owner)).toBe(true);
  });

  it('keeps idempotency keys per warehouse: the same source and id from another warehouse is its own event', async () => {
    const a = cloudEvent('shipment.created', { shipmentId: 'shp-key-a', orderId: 'o', customer }, { id: 'evt-shared', minute: 0 });
    const b = { ...a, data: { ...a.data, shipmentId: 'shp-key-b' } };
    expect(await record(containerA, a)).toBe('accepted');
    expect(await record(containerB, b, MAD)).toBe('accepted');
    // The same warehouse reusing an id for another shipment is another event too.
    expect(await record(containerA, { ...a, data: { ...a.data, shipmentId: 'shp-key-c' } })).toBe('accepted');
  });
});

describe('the two writes without a transaction', () => {
  it('mends a state left without its event by a crash between the writes, when the event is sent again', async () => {
    await record(containerA, shipmentCreated('shp-mended', 0));
    const shipped = shipmentStatus('shipped', 'shp-mended', 10, { carrier: 'DHL' });
    const client = newClient();
    failStateWrites(client);
    const crashing = new DynamoShipmentStore(client, table.tableName);
    await expect(record(crashing, shipped)).rejects.toThrow('throttled');
    const [stateBefore] = (await itemsOf('shp-mended')).filter((item) => item.SK === 'SHIPMENT');
    expect(stateBefore).toMatchObject({ status: 'created' });
    expect(await history('shp-mended')).toEqual(['created', 'shipped']);

    const fresh = new DynamoShipmentStore(newClient(), table.tableName);
    expect(await record(fresh, shipped)).toBe('duplicate');

    const stored = await fresh.getShipment('shp-mended', { order: 'oldest', limit: 10 });
    expect(stored?.state).toMatchObject({ status: 'shipped', carrier: 'DHL' });
  });

  it('merges a repeat with its first receipt: an old correction sent again does not win over a newer one', async () => {
    const first = shipmentCreated('shp-corrected', 0);
    const correction = cloudEvent('shipment.created', {
      shipmentId: 'shp-corrected',
      orderId: 'ord-shp-corrected',
      customer: { ...customer, phone: '+34600999888' },
    });
    await record(containerA, first);
    await record(containerA, correction);
    expect(await record(containerB, first)).toBe('duplicate');

    const stored = await containerA.getShipment('shp-corrected', { order: 'oldest', limit: 10 });
    expect(stored?.state.customer?.phone).toBe('+34600999888');
  });

  it('writes no state when a repeat changes nothing', async () => {
    const event = shipmentStatus('packed', 'shp-quiet-repeat', 3);
    await record(containerA, shipmentCreated('shp-quiet-repeat', 0));
    await record(containerA, event);
    const client = newClient();
    const counts = countCommands(client);
    expect(await record(new DynamoShipmentStore(client, table.tableName), event)).toBe('duplicate');
    // The state is read (nothing remembered), the event's write fails as a repeat, and the merge changes nothing.
    expect(Object.fromEntries(counts)).toEqual({ GetItemCommand: 1, PutItemCommand: 1 });
  });
});

describe('entries into a status', () => {
  it('counts each entry once in the state item, whichever container writes it, however often it is sent, after a crash too', async () => {
    const shipmentId = 'shp-flapping';
    await record(containerA, shipmentCreated(shipmentId, 0));
    await record(containerA, shipmentStatus('shipped', shipmentId, 1));
    for (let flip = 0; flip < 20; flip++) {
      const event = shipmentStatus(flip % 2 === 0 ? 'out_for_delivery' : 'in_transit', shipmentId, 10 + flip);
      const [first, second] = flip % 3 === 0 ? [containerB, containerA] : [containerA, containerB];
      expect(await record(first, event)).toBe('accepted');
      expect(await record(second, event)).toBe('duplicate');
    }
    // Stored, but the state write failed (a crash between the two): the resend counts the entry, once.
    const crashed = newClient();
    failStateWrites(crashed);
    const missed = shipmentStatus('out_for_delivery', shipmentId, 40);
    await expect(record(new DynamoShipmentStore(crashed, table.tableName), missed)).rejects.toThrow(/throttled/);
    expect(await record(containerA, missed)).toBe('duplicate');
    expect(await record(containerB, missed)).toBe('duplicate');
    // Older than the status: stored in the history, no entry.
    expect(await record(containerB, shipmentStatus('in_transit', shipmentId, 5))).toBe('accepted');

    const [state] = (await itemsOf(shipmentId)).filter((item) => item.SK === 'SHIPMENT');
    // One count per status in ENTRY_SLOTS order: created, picked, packed, shipped, in_transit, out_for_delivery.
    expect(state?.statusEntries).toBe('1.0.0.1.10.11');
    expect((await new DynamoShipmentStore(newClient(), table.tableName).currentState(shipmentId))?.state.statusEntries).toEqual({
      created: 1,
      shipped: 1,
      in_transit: 10,
      out_for_delivery: 11,
    });
  });
});

describe('write units', () => {
  it('bills an ordinary event three write units: its item, its Timeline index entry and the state', async () => {
    await record(containerA, shipmentCreated('shp-units', 0));
    const client = newClient();
    const units: Record<string, number> = {};
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { ReturnConsumedCapacity?: string; Item?: { SK?: string } };
        if (!input.Item) return next(args);
        input.ReturnConsumedCapacity = 'INDEXES';
        const result = await next(args);
        const consumed = (
          result.output as {
            ConsumedCapacity?: { Table?: { CapacityUnits?: number }; LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }> };
          }
        ).ConsumedCapacity;
        const kind = input.Item?.SK === 'SHIPMENT' ? 'state' : 'event';
        units[kind] = consumed?.Table?.CapacityUnits ?? 0;
        if (consumed?.LocalSecondaryIndexes) units.index = consumed.LocalSecondaryIndexes.Timeline?.CapacityUnits ?? 0;
        return result;
      },
      { step: 'initialize', name: 'consumedCapacity' },
    );

    await record(new DynamoShipmentStore(client, table.tableName), shipmentStatus('shipped', 'shp-units', 1, { carrier: 'DHL' }));

    expect(units).toEqual({ event: 1, index: 1, state: 1 });
  });
});

describe('history', () => {
  it('pages through every event in time order, both ways, without gaps or repeats', async () => {
    const shipmentId = 'shp-pages';
    await record(containerA, shipmentCreated(shipmentId, 0));
    // Arrivals out of time order, and several events of one instant.
    for (const minute of [7, 3, 11, 3, 5, 1, 9, 3, 12, 2, 8]) await record(containerA, shipmentStatus('in_transit', shipmentId, minute));
    const read = async (order: 'oldest' | 'newest') => {
      const seen: string[] = [];
      let after: string | undefined;
      do {
        const page = await containerA.getShipment(shipmentId, { order, limit: 5, ...(after ? { after } : {}) });
        expect(page?.entries.length).toBeLessThanOrEqual(5);
        seen.push(...(page?.entries ?? []).map((entry) => `${entry.time} ${entry.id}`));
        after = page?.nextAfter;
      } while (after);
      return seen;
    };
    const oldest = await read('oldest');
    expect(oldest).toHaveLength(12);
    expect([...oldest].sort()).toEqual(oldest);
    expect(await read('newest')).toEqual([...oldest].reverse());
  });

  it('keeps a state item under 1 KB for an ordinary shipment, whatever its history', async () => {
    const shipmentId = 'shp-small-state';
    const timeZone = 'Europe/Madrid';
    const created = shipmentCreated(shipmentId, 0, {
      customer: { ...customer, name: 'Sam Doe', timeZone },
      promisedBy: '2026-11-05T18:00:00Z',
    });
    await record(containerA, created);
    await record(
      containerA,
      shipmentStatus('shipped', shipmentId, 3, {
        carrier: 'DHL',
        trackingNumber: 'JD0123456789',
        trackingUrl: `https://track.example/${shipmentId}`,
      }),
    );
    for (let minute = 10; minute < 60; minute++)
      await record(containerA, shipmentStatus('in_transit', shipmentId, minute, { location: 'Lyon' }));
    await record(containerA, shipmentStatus('out_for_delivery', shipmentId, 61, { eta: '2026-11-04T18:00:00Z' }));
    await record(
      containerA,
      shipmentStatus('delivery_failed', shipmentId, 62, { reason: 'nobody home', nextAttemptAt: '2026-11-04T09:00:00Z' }),
    );

    const [state] = (await itemsOf(shipmentId)).filter((item) => item.SK === 'SHIPMENT');
    // The tally of entries into each status rides in it too (status-episodes.ts).
    expect(state?.statusEntries).toBe('1.0.0.1.1.1.1');
    expect(dynamoItemBytes(marshall(state, { removeUndefinedValues: true }))).toBeLessThan(1024);
    expect(state).not.toHaveProperty('timeline');
  });
});
