import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoCustomerContacts } from '../../functions/lib/adapters/dynamo-customer-contacts.ts';
import { DynamoNotificationClaims } from '../../functions/lib/adapters/dynamo-notification-claims.ts';
import { DynamoPreferences } from '../../functions/lib/adapters/dynamo-preferences.ts';
import { DynamoSuppressionList } from '../../functions/lib/adapters/dynamo-suppression-list.ts';
import { keys } from '../../functions/lib/adapters/keys.ts';
import { deliverEmail, deliverSms, type EmailPorts, type SmsPorts } from '../../functions/lib/app/deliver-notification.ts';
import { recordDelivery } from '../../functions/lib/app/record-delivery.ts';
import type { DeliveryReceipt } from '../../functions/lib/domain/delivery-status.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import type { NotificationPublisher } from '../../functions/lib/domain/notification-ports.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';

// Suppression, receipts and exactly-once across channels against DynamoDB Local, with the table
// declared as in template.yaml: the real claims, list, preferences and profiles; providers in memory.
let table: TestTable;
const now = () => new Date('2026-12-01T12:00:00Z');

beforeAll(async () => {
  table = await createTestTable();
});

const tablePorts = () => ({
  claims: new DynamoNotificationClaims(table.documents, table.tableName),
  suppressions: new DynamoSuppressionList(table.documents, table.tableName),
  preferences: new DynamoPreferences(table.documents, table.tableName),
  contacts: new DynamoCustomerContacts(table.documents, table.tableName),
  clock: now,
});

/** The warehouse whose customers these are: profiles and preferences are kept per warehouse. */
const OWNER = 'ams';

async function profile(customerId: string, contact: { phone?: string; email?: string; channels?: string[] }, owner = OWNER) {
  await table.documents.send(
    new PutCommand({
      TableName: table.tableName,
      Item: { ...keys.customer(owner, customerId), entity: 'customer', id: customerId, ...contact },
    }),
  );
}

function message(channel: 'sms' | 'email', shipmentId: string, customerId: string, recipient: string): NotificationMessage {
  return {
    notificationId: `shipment#${shipmentId}#out_for_delivery#${channel}`,
    eventType: 'shipment.out_for_delivery',
    channel,
    recipient,
    locale: 'en',
    timeZone: 'UTC',
    customerId,
    owner: OWNER,
    shipment: { shipmentId, status: 'out_for_delivery' },
    occurredAt: '2026-12-01T11:00:00.000Z',
  };
}

/** Providers in memory that count what they were handed; the topic hands each published message straight to its channel's sender. */
function providers() {
  const sent: { channel: string; to: string; notificationId: string }[] = [];
  let deliver: (message: NotificationMessage) => Promise<unknown> = async () => undefined;
  const publisher: NotificationPublisher = {
    async publish(messages) {
      for (const published of messages) await deliver(published);
      return { failed: [] };
    },
  };
  const email: EmailPorts = {
    ...tablePorts(),
    publisher,
    links: { linkFor: async () => 'https://api.parcelcast.example/v1/preferences/t' },
    email: {
      async send({ to, message: m }) {
        sent.push({ channel: 'email', to, notificationId: m.notificationId });
        return { providerMessageId: `ses-${sent.length}` };
      },
    },
  };
  const sms: SmsPorts = {
    ...tablePorts(),
    publisher,
    deferral: { redeliver: async () => undefined },
    sms: {
      async send({ phoneNumber, message: m }) {
        sent.push({ channel: 'sms', to: phoneNumber, notificationId: m.notificationId });
        return { kind: 'accepted', providerMessageId: `sms-${sent.length}` };
      },
    },
  };
  deliver = (m) => (m.channel === 'email' ? deliverEmail(email, m) : deliverSms(sms, m));
  return { sent, email, sms, publisher };
}

function receipt(channel: 'sms' | 'email', shipmentId: string, overrides: Partial<DeliveryReceipt>): DeliveryReceipt {
  return {
    channel,
    reference: `${keys.notification(shipmentId, 'out_for_delivery', channel).PK}|${keys.notification(shipmentId, 'out_for_delivery', channel).SK}`,
    status: 'delivered',
    permanent: false,
    reason: 'Delivery',
    at: '2026-12-01T12:00:01.000Z',
    providerMessageId: 'provider-1',
    ...overrides,
  };
}

describe('the suppression list on DynamoDB Local', () => {
  it('keeps the first reason for a contact, finds it however it is written, stores no contact, and clears it', async () => {
    const list = new DynamoSuppressionList(table.documents, table.tableName);
    await list.add('email', 'Gone@Example.com', { reason: 'bounced', since: '2026-12-01T10:00:00.000Z', source: 'n-1', owner: 'wh-1' });
    await list.add('email', 'gone@example.com', { reason: 'complained', since: '2026-12-01T11:00:00.000Z' });

    const found = await list.find('email', ' gone@EXAMPLE.com');
    expect(found).toMatchObject({ channel: 'email', reason: 'bounced', masked: 'g•••@example.com', source: 'n-1', owner: 'wh-1' });
    expect(await list.find('sms', 'gone@example.com')).toBeUndefined();
    const stored = JSON.stringify(await table.scan());
    expect(stored).not.toMatch(/gone@example\.com/i);
    expect((await list.list()).map((entry) => entry.digest)).toContain(found?.digest);

    expect(await list.clear('email', found?.digest as string)).toBe(true);
    expect(await list.find('email', 'gone@example.com')).toBeUndefined();
    expect(await list.clear('email', found?.digest as string)).toBe(false);
  });

  it('keeps a sender from writing to a suppressed address, and a different address of the customer is written to', async () => {
    const { sent, email } = providers();
    await email.suppressions.add('email', 'bounced@example.com', { reason: 'bounced', since: '2026-12-01T10:00:00.000Z' });

    expect(await deliverEmail(email, message('email', 'shp-supp-1', 'cus-supp', 'bounced@example.com'))).toBe('suppressed');
    expect(await deliverEmail(email, message('email', 'shp-supp-2', 'cus-supp', 'new@example.com'))).toBe('sent');

    expect(sent.map((entry) => entry.to)).toEqual(['new@example.com']);
    const [claim] = (await table.scan()).filter((item) => item.notificationId === 'shipment#shp-supp-1#out_for_delivery#email');
    expect(claim).toMatchObject({ outcome: 'suppressed', suppressedBecause: 'bounced' });
  });
});

describe('receipts on DynamoDB Local', () => {
  it('applies receipts forward only: a Complaint that overtook its Delivery stays complained', async () => {
    const { sent, email } = providers();
    await deliverEmail(email, message('email', 'shp-order', 'cus-order', 'ana@example.com'));
    const ports = { ...tablePorts(), publisher: email.publisher };

    const complaint = await recordDelivery(ports, receipt('email', 'shp-order', { status: 'complained', reason: 'Complaint/abuse' }));
    const delivery = await recordDelivery(ports, receipt('email', 'shp-order', { status: 'delivered' }));
    const again = await recordDelivery(ports, receipt('email', 'shp-order', { status: 'complained', reason: 'Complaint/abuse' }));

    expect([complaint, delivery, again].map((recorded) => `${recorded.result}:${recorded.status}`)).toEqual([
      'recorded:complained',
      'unchanged:complained',
      'unchanged:complained',
    ]);
    expect(sent).toHaveLength(1);
    expect(await recordDelivery(ports, { ...receipt('email', 'shp-unknown', {}) })).toEqual({ result: 'unknown' });
  });

  it('keeps a receipt that arrived before the sender’s settle write, and a claim a receipt ended is never sent again', async () => {
    const claims = new DynamoNotificationClaims(table.documents, table.tableName, 30);
    const m = message('sms', 'shp-early', 'cus-early', '+34600111999');
    const claimed = await claims.claim(m, now());
    if (claimed.kind !== 'claimed') throw new Error('not claimed');

    await claims.report(
      claimed.reference,
      receipt('sms', 'shp-early', { status: 'delivered', reason: 'TEXT_DELIVERED', providerMessageId: 'sms-early' }),
      now(),
    );
    await claims.settle(m, claimed.token, { status: 'sent', providerMessageId: 'sms-early' }, now());
    const [item] = (await table.scan()).filter((entry) => entry.notificationId === m.notificationId);

    expect(item).toMatchObject({ outcome: 'delivered', providerMessageId: 'sms-early', sentAt: '2026-12-01T12:00:00.000Z' });
    expect(item?.claimToken).toBeUndefined();
    // Had the sender died before settling, its lease would run out: the receipt already says the text arrived.
    expect(await claims.claim(m, new Date(now().getTime() + 3_600_000))).toEqual({ kind: 'settled', status: 'delivered' });
  });
});

describe('exactly once across channels on DynamoDB Local', () => {
  it('a customer told on both channels gets no second email when the SMS fails and falls back', async () => {
    const { sent, email, sms } = providers();
    await profile('cus-both', { phone: '+34600111333', email: 'both@example.com', channels: ['sms', 'email'] });
    await deliverSms(sms, message('sms', 'shp-both', 'cus-both', '+34600111333'));
    await deliverEmail(email, message('email', 'shp-both', 'cus-both', 'both@example.com'));

    const failed = receipt('sms', 'shp-both', { status: 'failed', permanent: true, reason: 'TEXT_BLOCKED', recipient: '+34600111333' });
    const first = await recordDelivery({ ...tablePorts(), publisher: sms.publisher }, failed);
    const repeated = await recordDelivery({ ...tablePorts(), publisher: sms.publisher }, failed);

    expect(first).toEqual({ result: 'recorded', status: 'failed', fallback: 'email' });
    expect(repeated).toEqual({ result: 'unchanged', status: 'failed', fallback: 'email' });
    expect(sent.filter((entry) => entry.channel === 'email')).toHaveLength(1);
  });

  it('a customer who wanted texts only gets the email once, however often the failure is reported', async () => {
    const { sent, sms } = providers();
    await profile('cus-texts', { phone: '+34600111444', email: 'texts@example.com', channels: ['sms'] });
    await deliverSms(sms, message('sms', 'shp-texts', 'cus-texts', '+34600111444'));

    const failed = receipt('sms', 'shp-texts', {
      status: 'failed',
      permanent: true,
      suppress: 'invalid_number',
      reason: 'TEXT_INVALID',
      recipient: '+34600111444',
    });
    await Promise.all(Array.from({ length: 5 }, () => recordDelivery({ ...tablePorts(), publisher: sms.publisher }, failed)));

    expect(sent).toEqual([
      { channel: 'sms', to: '+34600111444', notificationId: 'shipment#shp-texts#out_for_delivery#sms' },
      { channel: 'email', to: 'texts@example.com', notificationId: 'shipment#shp-texts#out_for_delivery#email' },
    ]);
    expect(await tablePorts().suppressions.find('sms', '+34600111444')).toMatchObject({
      reason: 'invalid_number',
      source: 'shipment#shp-texts#out_for_delivery#sms',
    });
    const [copy] = (await table.scan()).filter((item) => item.notificationId === 'shipment#shp-texts#out_for_delivery#email');
    expect(copy).toMatchObject({ outcome: 'sent', fallbackFrom: 'sms' });
  });

  it('a suppressed number falls back to email at send time, and no fallback reaches a customer without the other contact at their warehouse', async () => {
    const { sent, sms } = providers();
    await profile('cus-stop', { phone: '+34600111555', email: 'stop@example.com' });
    await profile('cus-nomail', { phone: '+34600111666' });
    // The same customer id at another warehouse is another person: never the fallback's address.
    await profile('cus-nomail', { email: 'someone-else@example.com' }, 'mad');
    await sms.suppressions.add('sms', '+34600111555', { reason: 'opted_out', since: '2026-12-01T10:00:00.000Z' });
    await sms.suppressions.add('sms', '+34600111666', { reason: 'opted_out', since: '2026-12-01T10:00:00.000Z' });

    expect(await deliverSms(sms, message('sms', 'shp-stop', 'cus-stop', '+34600111555'))).toBe('suppressed');
    expect(await deliverSms(sms, message('sms', 'shp-nomail', 'cus-nomail', '+34600111666'))).toBe('suppressed');

    expect(sent).toEqual([{ channel: 'email', to: 'stop@example.com', notificationId: 'shipment#shp-stop#out_for_delivery#email' }]);
  });
});
