import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoCustomerContacts } from '../../functions/lib/adapters/dynamo-customer-contacts.ts';
import { DynamoNotificationClaims } from '../../functions/lib/adapters/dynamo-notification-claims.ts';
import { DynamoPreferences } from '../../functions/lib/adapters/dynamo-preferences.ts';
import { DynamoShipmentStore } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { keys } from '../../functions/lib/adapters/keys.ts';
import { deliverEmail, type EmailPorts } from '../../functions/lib/app/deliver-notification.ts';
import { readShipment } from '../../functions/lib/app/read-shipment.ts';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import type { EmailGateway } from '../../functions/lib/domain/notification-ports.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';
import { shipmentCreated } from '../support/events.ts';
import { MemorySuppressions } from '../support/notification-fakes.ts';

// Exactly-once claims against a real DynamoDB Local table declared as in template.yaml.
let table: TestTable;
let claims: DynamoNotificationClaims;
let contacts: DynamoCustomerContacts;
const LEASE_SECONDS = 30;

beforeAll(async () => {
  table = await createTestTable();
  claims = new DynamoNotificationClaims(table.documents, table.tableName, LEASE_SECONDS);
  contacts = new DynamoCustomerContacts(table.documents, table.tableName);
});

/** The email sender's ports around `email`, at the time `clock` says: the claims and preferences on DynamoDB Local. */
function ports(email: EmailGateway, clock: () => Date): EmailPorts {
  return {
    claims,
    contacts,
    email,
    clock,
    suppressions: new MemorySuppressions(),
    preferences: new DynamoPreferences(table.documents, table.tableName),
    publisher: { publish: async () => ({ failed: [] }) },
    links: { linkFor: async () => 'https://api.parcelcast.example/v1/preferences/t' },
  };
}

function emailFor(shipmentId: string): NotificationMessage {
  return {
    notificationId: `shipment#${shipmentId}#delivered#email`,
    eventType: 'shipment.delivered',
    channel: 'email',
    recipient: 'ana@example.com',
    locale: 'en',
    customerId: 'cus-1',
    owner: 'ams',
    shipment: { shipmentId, status: 'delivered' },
    occurredAt: '2026-11-01T08:00:00.000Z',
  };
}

/** An email gateway that counts sends and takes a moment, so concurrent deliveries overlap. */
function countingGateway(): EmailGateway & { sent: number } {
  const gateway = {
    sent: 0,
    async send() {
      await new Promise((resolve) => setTimeout(resolve, 20));
      gateway.sent += 1;
      return { providerMessageId: `ses-${gateway.sent}` };
    },
  };
  return gateway;
}

async function claimItem(shipmentId: string) {
  const { Item } = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: keys.notification(shipmentId, 'delivered', 'email'), ConsistentRead: true }),
  );
  return Item;
}

describe('notification claims on DynamoDB Local', () => {
  it('sends once when the same notification is delivered 10 times concurrently', async () => {
    const email = countingGateway();
    const at = new Date('2026-11-01T12:00:00Z');

    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () =>
        deliverEmail(
          ports(email, () => at),
          emailFor('shp-claim-concurrent'),
        ),
      ),
    );

    expect(email.sent).toBe(1);
    expect(outcomes.filter((outcome) => outcome === 'sent')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(9);
    expect(await claimItem('shp-claim-concurrent')).toMatchObject({ outcome: 'sent', status: 'delivered', channel: 'email', attempts: 1 });
  });

  it('recovers a crash between claim and send: the stale claim is taken again after its lease and sent once', async () => {
    const message = emailFor('shp-claim-crash');
    const crashedAt = new Date('2026-11-01T12:00:00Z');
    // The first delivery claimed, then its Lambda died before sending: nothing settles the claim.
    expect(await claims.claim(message, crashedAt)).toMatchObject({ kind: 'claimed' });
    const email = countingGateway();

    const during = await deliverEmail(
      ports(email, () => new Date(crashedAt.getTime() + 10_000)),
      message,
    );
    const after = await deliverEmail(
      ports(email, () => new Date(crashedAt.getTime() + (LEASE_SECONDS + 1) * 1000)),
      message,
    );
    const again = await deliverEmail(
      ports(email, () => new Date(crashedAt.getTime() + 3_600_000)),
      message,
    );

    expect([during, after, again]).toEqual(['duplicate', 'sent', 'duplicate']);
    expect(email.sent).toBe(1);
    expect(await claimItem('shp-claim-crash')).toMatchObject({ outcome: 'sent', attempts: 2 });
  });

  it('frees a claim at once after a transient failure, so the retry sends without waiting for the lease', async () => {
    const message = emailFor('shp-claim-transient');
    const now = () => new Date('2026-11-01T12:00:00Z');
    const flaky = countingGateway();
    const failing: EmailGateway = {
      async send() {
        throw Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' });
      },
    };

    await expect(deliverEmail(ports(failing, now), message)).rejects.toThrow('slow down');
    expect(await claimItem('shp-claim-transient')).toMatchObject({ outcome: 'claimed', reason: 'TooManyRequestsException: slow down' });

    expect(await deliverEmail(ports(flaky, now), message)).toBe('sent');
    expect(flaky.sent).toBe(1);
  });

  it('shows the recorded outcome among the shipment’s notifications', async () => {
    const store = new DynamoShipmentStore(table.documents, table.tableName);
    await store.recordShipmentEvent(parseEvents(shipmentCreated('shp-claim-read')).events[0] as ShipmentEvent, 'ams-1', {
      receivedAt: '2026-11-01T11:00:00.000Z',
      position: 0,
    });
    await deliverEmail(
      ports(countingGateway(), () => new Date('2026-11-01T12:00:00Z')),
      emailFor('shp-claim-read'),
    );

    const stored = await store.getShipment('shp-claim-read', { order: 'oldest', limit: 10 });

    expect(stored?.notifications).toEqual([
      {
        status: 'delivered',
        channel: 'email',
        outcome: 'sent',
        at: '2026-11-01T12:00:00.000Z',
        providerMessageId: 'ses-1',
        sentAt: '2026-11-01T12:00:00.000Z',
      },
    ]);
  });

  it('claims a status once per episode: a re-entry is sent even after an earlier one was capped, each redelivered one once, listed in time order', async () => {
    const shipmentId = 'shp-claim-episodes';
    const store = new DynamoShipmentStore(table.documents, table.tableName);
    await store.recordShipmentEvent(parseEvents(shipmentCreated(shipmentId)).events[0] as ShipmentEvent, 'ams-1', {
      receivedAt: '2026-11-01T11:00:00.000Z',
      position: 0,
    });
    const outForDelivery = (episode: string): NotificationMessage => ({
      ...emailFor(shipmentId),
      notificationId: `shipment#${shipmentId}#out_for_delivery@${episode}#email`,
      eventType: 'shipment.out_for_delivery',
      shipment: { shipmentId, status: 'out_for_delivery' },
      episode,
      occurredAt: episode,
    });
    // A claim written before episodes, per status: it stays, and blocks nothing of the new ones.
    await table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...keys.notification(shipmentId, 'out_for_delivery', 'email'),
          entity: 'notification',
          status: 'out_for_delivery',
          channel: 'email',
          outcome: 'sent',
          updatedAt: '2026-10-30T09:00:00.000Z',
          sentAt: '2026-10-30T09:00:00.000Z',
        },
      }),
    );
    const first = outForDelivery('2026-11-01T08:00:00.000Z');
    const again = outForDelivery('2026-11-02T08:00:00.000Z');
    await claims.suppress(first, 'daily_cap', new Date('2026-11-01T08:00:01Z'));
    const email = countingGateway();
    const at = new Date('2026-11-02T12:00:00Z');
    await Promise.all(
      Array.from({ length: 5 }, () =>
        deliverEmail(
          ports(email, () => at),
          first,
        ),
      ),
    );
    await Promise.all(
      Array.from({ length: 5 }, () =>
        deliverEmail(
          ports(email, () => at),
          again,
        ),
      ),
    );

    expect(email.sent).toBe(1);
    const view = await readShipment(store, shipmentId);
    expect(view.notifications.map((n) => [n.status, n.statusTime, n.outcome])).toEqual([
      ['out_for_delivery', undefined, 'sent'],
      ['out_for_delivery', '2026-11-01T08:00:00.000Z', 'suppressed'],
      ['out_for_delivery', '2026-11-02T08:00:00.000Z', 'sent'],
    ]);
  });

  it('sends a wallet message without recipient to the profile’s address, and records failed when the profile has none', async () => {
    await table.documents.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...keys.customer('ams', 'cus-contacts'), entity: 'customer', owner: 'ams', id: 'cus-contacts', email: 'ana@example.com' },
      }),
    );
    const wallet = (customerId: string, reconciliation: string): NotificationMessage => ({
      notificationId: `wallet#wal-contacts#${reconciliation}#email`,
      eventType: 'wallet.balance_confirmed',
      channel: 'email',
      locale: 'en',
      customerId,
      owner: 'ams',
      wallet: { walletId: 'wal-contacts', balance: 1200, currency: 'EUR', reconciledAt: '2026-11-01T12:00:00.000Z' },
      occurredAt: '2026-11-01T12:00:00.000Z',
    });
    const sentTo: string[] = [];
    const email: EmailGateway = {
      async send({ to }) {
        sentTo.push(to);
        return { providerMessageId: 'ses-w' };
      },
    };
    const now = () => new Date('2026-11-01T12:00:00Z');

    expect(await contacts.contactFor('ams', 'cus-contacts', 'sms')).toBeUndefined();
    // Another warehouse's customer of the same id is another customer: not found.
    expect(await contacts.contactFor('mad', 'cus-contacts', 'email')).toBeUndefined();
    expect(await deliverEmail(ports(email, now), wallet('cus-contacts', 'exec-1'))).toBe('sent');
    expect(await deliverEmail(ports(email, now), wallet('cus-unknown', 'exec-2'))).toBe('failed');

    expect(sentTo).toEqual(['ana@example.com']);
    const { Item } = await table.documents.send(
      new GetCommand({ TableName: table.tableName, Key: keys.walletNotification('wal-contacts', 'exec-2', 'email'), ConsistentRead: true }),
    );
    expect(Item).toMatchObject({ outcome: 'failed', reason: 'customer cus-unknown has no email address on their profile any more' });
  });
  it('lists an order’s combined message, with its real delivery status, on each parcel it named and on no other', async () => {
    const store = new DynamoShipmentStore(table.documents, table.tableName);
    const record = async (shipmentId: string, owner: string) =>
      store.recordShipmentEvent(
        parseEvents(shipmentCreated(shipmentId, 0, { orderId: 'ord-together', parcelCount: 3 })).events[0] as ShipmentEvent,
        owner,
        { receivedAt: '2026-11-01T11:00:00.000Z', position: 0 },
      );
    for (const id of ['shp-together-1', 'shp-together-2', 'shp-together-3']) await record(id, 'ams-1');
    // Another warehouse's order with the same id, and a parcel of the order the message did not name.
    await record('shp-together-other', 'ber-1');
    const combined: NotificationMessage = {
      ...emailFor('shp-together-2'),
      notificationId: 'order#ams-1#ord-together#delivered#email',
      eventType: 'order.delivered',
      owner: 'ams-1',
      order: { orderId: 'ord-together', parcels: [{ shipmentId: 'shp-together-1' }, { shipmentId: 'shp-together-2' }] },
    };
    await deliverEmail(
      ports(countingGateway(), () => new Date('2026-11-01T12:00:00Z')),
      combined,
    );
    const reference = `${keys.orderNotification('ams-1', 'ord-together', 'delivered', 'email').PK}|${keys.orderNotification('ams-1', 'ord-together', 'delivered', 'email').SK}`;
    const receipt = { status: 'delivered' as const, permanent: false, reason: 'delivered', providerMessageId: 'ses-1' };
    expect(await claims.report(reference, { ...receipt, at: '2026-11-01T12:00:05.000Z' }, new Date('2026-11-01T12:00:06Z'))).toMatchObject({
      applied: true,
    });

    const expected = {
      status: 'delivered',
      channel: 'email',
      outcome: 'delivered',
      at: '2026-11-01T12:00:06.000Z',
      providerMessageId: 'ses-1',
      sentAt: '2026-11-01T12:00:00.000Z',
      // The provider's time for the receipt.
      finalAt: '2026-11-01T12:00:05.000Z',
      reason: 'delivered',
      order: { orderId: 'ord-together', shipmentIds: ['shp-together-1', 'shp-together-2'] },
    };
    for (const id of ['shp-together-1', 'shp-together-2']) {
      expect((await store.getShipment(id, { order: 'oldest', limit: 10 }))?.notifications, id).toEqual([expected]);
    }
    expect((await store.getShipment('shp-together-3', { order: 'oldest', limit: 10 }))?.notifications).toEqual([]);
    expect((await store.getShipment('shp-together-other', { order: 'oldest', limit: 10 }))?.notifications).toEqual([]);
  });
});
