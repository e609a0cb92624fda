import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/lib/adapters/dynamo-client.ts';
import { DynamoShipmentStore } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';
import { customer, shipmentCreated, shipmentStatus } from '../support/events.ts';

// Two stores stand for two Lambda containers that each remember the aggregates they wrote.
let table: TestTable;
let containerA: DynamoShipmentStore;
let containerB: DynamoShipmentStore;

const valid = (event: unknown) => parseEvents(event).events[0] as ShipmentEvent;

beforeAll(async () => {
  table = await createTestTable();
  containerA = new DynamoShipmentStore(createDocumentClient(table.endpoint), table.tableName);
  containerB = new DynamoShipmentStore(createDocumentClient(table.endpoint), table.tableName);
});

describe('a container that remembers the aggregate it wrote', () => {
  it('notices another container wrote since, re-reads, and loses no event', async () => {
    expect(await containerA.recordShipmentEvent(valid(shipmentCreated('shp-two-containers', 0)))).toBe('accepted');
    expect(await containerB.recordShipmentEvent(valid(shipmentStatus('picked', 'shp-two-containers', 1)))).toBe('accepted');

    // A still remembers version 1; its conditional write fails and it retries from the table.
    expect(await containerA.recordShipmentEvent(valid(shipmentStatus('packed', 'shp-two-containers', 2)))).toBe('accepted');
    expect(await containerB.recordShipmentEvent(valid(shipmentStatus('shipped', 'shp-two-containers', 3)))).toBe('accepted');

    const stored = await containerA.getShipment('shp-two-containers');
    expect(stored?.shipment.timeline.map((entry) => entry.status)).toEqual(['created', 'picked', 'packed', 'shipped']);
    expect(stored?.shipment.status).toBe('shipped');
  });

  it('still answers duplicate for an event it wrote itself', async () => {
    const event = valid(shipmentCreated('shp-remembered-duplicate', 0));
    expect(await containerA.recordShipmentEvent(event)).toBe('accepted');
    expect(await containerA.recordShipmentEvent(event)).toBe('duplicate');
    expect(await containerB.recordShipmentEvent(event)).toBe('duplicate');
  });
});

describe('the customer profile kept for wallet messages', () => {
  const profile = async (customerId: string) =>
    (await table.scan()).find((item) => item.PK === `CUSTOMER#${customerId}` && item.SK === 'PROFILE');

  it('is not changed by a repeated shipment.created carrying other contact details', async () => {
    const original = shipmentCreated('shp-profile', 0);
    const customerId = customer.id;
    await containerA.recordShipmentEvent(valid(original));
    const before = await profile(customerId);

    const replay = { ...original, data: { ...original.data, customer: { ...customer, phone: '+34699999999' } } };
    expect(await containerB.recordShipmentEvent(valid(replay))).toBe('duplicate');

    expect(await profile(customerId)).toEqual(before);
  });
});
