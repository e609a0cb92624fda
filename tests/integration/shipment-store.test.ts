import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../functions/lib/adapters/dynamo-documents.ts';
import { DynamoShipmentStore } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';
import { customer, shipmentCreated, shipmentStatus } from '../support/events.ts';

// Two stores stand for two Lambda containers that each remember the aggregates they wrote.
let table: TestTable;
let containerA: DynamoShipmentStore;
let containerB: DynamoShipmentStore;

const valid = (event: unknown) => parseEvents(event).events[0] as ShipmentEvent;
/** A client of its own, as each container has (region and credentials from tests/support/setup.ts). */
const newClient = () => documentClient(new DynamoDBClient({ endpoint: table.endpoint }));

beforeAll(async () => {
  table = await createTestTable();
  containerA = new DynamoShipmentStore(newClient(), table.tableName);
  containerB = new DynamoShipmentStore(newClient(), table.tableName);
});

describe('a container that remembers the aggregate it wrote', () => {
  it('notices another container wrote since, re-reads, and loses no event', async () => {
    expect(await containerA.recordShipmentEvent(valid(shipmentCreated('shp-two-containers', 0)), 'ams-1')).toBe('accepted');
    expect(await containerB.recordShipmentEvent(valid(shipmentStatus('picked', 'shp-two-containers', 1)), 'ams-1')).toBe('accepted');

    // A still remembers version 1; its conditional write fails and it retries from the table.
    expect(await containerA.recordShipmentEvent(valid(shipmentStatus('packed', 'shp-two-containers', 2)), 'ams-1')).toBe('accepted');
    expect(await containerB.recordShipmentEvent(valid(shipmentStatus('shipped', 'shp-two-containers', 3)), 'ams-1')).toBe('accepted');

    const stored = await containerA.getShipment('shp-two-containers');
    expect(stored?.shipment.timeline.map((entry) => entry.status)).toEqual(['created', 'picked', 'packed', 'shipped']);
    expect(stored?.shipment.status).toBe('shipped');
  });

  it('still answers duplicate for an event it wrote itself', async () => {
    const event = valid(shipmentCreated('shp-remembered-duplicate', 0));
    expect(await containerA.recordShipmentEvent(event, 'ams-1')).toBe('accepted');
    expect(await containerA.recordShipmentEvent(event, 'ams-1')).toBe('duplicate');
    expect(await containerB.recordShipmentEvent(event, 'ams-1')).toBe('duplicate');
  });
});

/** Counts the commands a client sends, by name (GetItemCommand, TransactWriteItemsCommand, ...). */
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

describe('a shipment.created with nothing remembered', () => {
  it('is written without reading the table first', async () => {
    const client = newClient();
    const counts = countCommands(client);
    const container = new DynamoShipmentStore(client, table.tableName);

    expect(await container.recordShipmentEvent(valid(shipmentCreated('shp-created-unread', 0)), 'ams-1')).toBe('accepted');

    expect(counts.get('GetItemCommand') ?? 0).toBe(0);
    expect(counts.get('TransactWriteItemsCommand')).toBe(1);
  });

  it("arriving after the shipment's later events, is still recorded once, in its place", async () => {
    expect(await containerB.recordShipmentEvent(valid(shipmentStatus('picked', 'shp-created-late', 1)), 'ams-1')).toBe('accepted');
    const client = newClient();
    const counts = countCommands(client);
    const container = new DynamoShipmentStore(client, table.tableName);

    // The guess (no aggregate yet) is wrong: the write is cancelled, the retry reads and succeeds.
    const created = valid(shipmentCreated('shp-created-late', 0));
    expect(await container.recordShipmentEvent(created, 'ams-1')).toBe('accepted');
    expect(await containerA.recordShipmentEvent(created, 'ams-1')).toBe('duplicate');

    expect(counts.get('TransactWriteItemsCommand')).toBe(2);
    const stored = await containerA.getShipment('shp-created-late');
    expect(stored?.shipment.timeline.map((entry) => entry.status)).toEqual(['created', 'picked']);
    expect(stored?.shipment.status).toBe('picked');
  });
});

describe('the customer profile kept for wallet messages', () => {
  const profile = async (customerId: string) =>
    (await table.scan()).find((item) => item.PK === `CUSTOMER#${customerId}` && item.SK === 'PROFILE');

  it('is not changed by a repeated shipment.created carrying other contact details', async () => {
    const original = shipmentCreated('shp-profile', 0);
    const customerId = customer.id;
    await containerA.recordShipmentEvent(valid(original), 'ams-1');
    const before = await profile(customerId);

    const replay = { ...original, data: { ...original.data, customer: { ...customer, phone: '+34699999999' } } };
    expect(await containerB.recordShipmentEvent(valid(replay), 'ams-1')).toBe('duplicate');

    expect(await profile(customerId)).toEqual(before);
  });
});
