import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoCustomerContacts } from '../../functions/lib/adapters/dynamo-customer-contacts.ts';
import { claimKeyOf, DynamoNotificationClaims } from '../../functions/lib/adapters/dynamo-notification-claims.ts';
import { DynamoNotificationCounts } from '../../functions/lib/adapters/dynamo-notification-counts.ts';
import { DynamoShipmentStore } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { keys } from '../../functions/lib/adapters/keys.ts';
import { deliverEmail } from '../../functions/lib/app/deliver-notification.ts';
import { type RouteShipmentPorts, routeShipmentChanges } from '../../functions/lib/app/route-shipment-changes.ts';
import type { ShipmentChange } from '../../functions/lib/domain/changes.ts';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import { notificationsForChange } from '../../functions/lib/domain/notification-policy.ts';
import { mergeEvent, type ShipmentState, toShipmentEntry } from '../../functions/lib/domain/shipment.ts';
import { capDay } from '../../functions/lib/domain/warehouse.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';
import { shipmentCreated, shipmentStatus } from '../support/events.ts';
import { MemoryPreferences, MemorySuppressions } from '../support/notification-fakes.ts';
import { orderWindows } from '../support/orders.ts';
import { stallTimers } from '../support/stalls.ts';

// The daily notification cap as the stream router keeps it, on a real DynamoDB Local table: one
// atomic ADD per warehouse per batch, what goes over recorded `suppressed`, and the ingest's read.

const NOW = new Date('2026-11-28T10:00:00Z');
let table: TestTable;
let claims: DynamoNotificationClaims;

beforeAll(async () => {
  table = await createTestTable();
  claims = new DynamoNotificationClaims(table.documents, table.tableName);
});

let sequence = 0;
/** A shipment of `owner` moving from packed to shipped: one SMS and one email. */
function shipped(shipmentId: string, owner: string): ShipmentChange {
  const fold = (events: unknown[]) =>
    events
      .map((event) => parseEvents(event).events[0] as ShipmentEvent)
      .reduce<ShipmentState | undefined>(
        (current, event, position) => mergeEvent(current, toShipmentEntry(event, owner, { receivedAt: NOW.toISOString(), position })),
        undefined,
      ) as ShipmentState;
  const history = [shipmentCreated(shipmentId, 0), shipmentStatus('packed', shipmentId, 1)];
  const before = fold(history);
  sequence += 1;
  return { sequenceNumber: String(sequence), before, after: fold([...history, shipmentStatus('shipped', shipmentId, 2)]) };
}

function ports(caps: Record<string, number>): RouteShipmentPorts & { published: NotificationMessage[] } {
  const published: NotificationMessage[] = [];
  return {
    publisher: {
      async publish(messages) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        published.push(...messages);
        return { failed: [] };
      },
    },
    counts: new DynamoNotificationCounts(table.documents, table.tableName),
    capOf: async (warehouseId) => caps[warehouseId] ?? 1_000,
    suppressions: claims,
    clock: () => NOW,
    profiles: { remember: async () => undefined },
    stalls: stallTimers(),
    orders: orderWindows().ports,
    published,
  };
}

async function count(warehouseId: string) {
  const { Item } = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: keys.warehouseDay(warehouseId, capDay(NOW)), ConsistentRead: true }),
  );
  return Item;
}

describe('the daily notification cap in the stream router', () => {
  it('publishes exactly the cap across concurrent batches, and records the rest suppressed with the reason', async () => {
    const router = ports({ 'cap-5': 5 });
    // Three batches at once of two shipments each: 12 messages for a cap of 5.
    const batches = [0, 1, 2].map((batch) => [shipped(`shp-cap-${batch}-a`, 'cap-5'), shipped(`shp-cap-${batch}-b`, 'cap-5')]);

    const results = await Promise.all(batches.map((changes) => routeShipmentChanges(router, changes)));
    const suppressed = (await table.scan()).filter((item) => item.outcome === 'suppressed' && String(item.PK).includes('shp-cap-'));

    expect(router.published).toHaveLength(5);
    expect(results.reduce((sum, result) => sum + (result.suppressed.get('cap-5') ?? 0), 0)).toBe(7);
    expect(suppressed).toHaveLength(7);
    expect(suppressed[0]).toMatchObject({ reason: 'warehouse cap-5 reached its daily cap of 5 notifications', status: 'shipped' });
    expect(new Set([...router.published, ...suppressed].map((item) => item.notificationId)).size).toBe(12);
    expect(await count('cap-5')).toMatchObject({ notifications: 12, warehouseId: 'cap-5', expiresAt: expect.any(Number) });
  });

  it('counts each warehouse on its own, one without a cap of its own against the default', async () => {
    const router = ports({ 'cap-a': 2, 'cap-b': 2 });
    await routeShipmentChanges(router, [shipped('shp-own-a', 'cap-a'), shipped('shp-own-b', 'cap-b'), shipped('shp-own-c', 'cap-c')]);

    expect(router.published).toHaveLength(6);
    expect([(await count('cap-a'))?.notifications, (await count('cap-b'))?.notifications, (await count('cap-c'))?.notifications]).toEqual([
      2, 2, 2,
    ]);
  });

  it('shows a suppressed notification in the shipment, and a sender that ever gets it sends nothing', async () => {
    const router = ports({ 'cap-0': 0 });
    const change = shipped('shp-cap-zero', 'cap-0');
    const store = new DynamoShipmentStore(table.documents, table.tableName);
    for (const [position, event] of [shipmentCreated('shp-cap-zero', 0), shipmentStatus('shipped', 'shp-cap-zero', 2)].entries()) {
      await store.recordShipmentEvent(parseEvents(event).events[0] as ShipmentEvent, 'cap-0', { receivedAt: NOW.toISOString(), position });
    }
    await routeShipmentChanges(router, [change]);
    const [email] = (await store.getShipment('shp-cap-zero', { order: 'oldest', limit: 10 }))?.notifications.filter(
      (notification) => notification.channel === 'email',
    ) ?? [undefined];
    let sent = 0;
    const message = notificationsForChange(change.before, change.after).find((candidate) => candidate.channel === 'email');
    const outcome = await deliverEmail(
      {
        claims,
        contacts: new DynamoCustomerContacts(table.documents, table.tableName),
        email: {
          send: async () => {
            sent += 1;
            return { providerMessageId: `ses-${sent}` };
          },
        },
        clock: () => NOW,
        suppressions: new MemorySuppressions(),
        preferences: new MemoryPreferences(),
        publisher: { publish: async () => ({ failed: [] }) },
        links: { linkFor: async () => 'https://api.parcelcast.example/v1/preferences/t' },
      },
      message as NotificationMessage,
    );

    expect(router.published).toEqual([]);
    expect(email).toMatchObject({ status: 'shipped', outcome: 'suppressed', reason: expect.stringContaining('daily cap of 0') });
    expect([outcome, sent]).toEqual(['duplicate', 0]);
  });

  it('never turns a notification already sent into a suppressed one (a retried batch)', async () => {
    const change = shipped('shp-cap-retry', 'cap-1');
    await routeShipmentChanges(ports({ 'cap-1': 2 }), [change]);
    const [first] = notificationsForChange(change.before, change.after);
    const claim = await claims.claim(first as NotificationMessage, NOW);
    if (claim.kind !== 'claimed') throw new Error('expected to claim');
    await claims.settle(first as NotificationMessage, claim.token, { status: 'sent', providerMessageId: 'ses-1' }, NOW);

    const retry = await routeShipmentChanges(ports({ 'cap-1': 2 }), [change]);
    const { Item } = await table.documents.send(
      new GetCommand({ TableName: table.tableName, Key: claimKeyOf(first as NotificationMessage) }),
    );

    expect(retry.suppressed.get('cap-1')).toBe(2);
    expect(Item).toMatchObject({ outcome: 'sent' });
  });
});

describe('the count the ingest reads', () => {
  it('is read once per cache time per warehouse, then again', async () => {
    let now = 0;
    const counts = new DynamoNotificationCounts(table.documents, table.tableName, { cacheSeconds: 10, clock: () => now });
    const day = capDay(NOW);
    const before = await counts.counted('cached', day);
    await counts.add('cached', day, 3);
    const cached = await counts.counted('cached', day);
    now = 10_001;
    const fresh = await counts.counted('cached', day);

    expect([before, cached, fresh]).toEqual([0, 0, 3]);
  });
});
