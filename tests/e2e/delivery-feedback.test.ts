import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStack, startStack } from '../../local/stack.ts';
import { PROJECT_ROOT } from '../../support/project.ts';
import { daytimeZone } from '../../support/time-zones.ts';
import { cloudEvent, postSignedEvent, TEST_SECRET } from '../support/events.ts';

// Delivery feedback through `npm start`'s stack: the senders hand SES and End User Messaging the
// messages, the emulator's providers report on the AWS simulator addresses and numbers as AWS does
// (a short delay here), record-delivery records each receipt, suppresses, and falls back; and the
// one-click unsubscribe link in each email is followed as a mail client would.
let stack: RunningStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-e2e-feedback-'));
  stack = await startStack({ port: 0, dataDir, warehouses: { webhookSecrets: TEST_SECRET }, deliveryEventDelayMs: 200 });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = async (event: unknown) => {
  const answer = await postSignedEvent(stack.url, event);
  expect(answer.results?.[0]?.status).toBe('accepted');
};

interface Delivered {
  channel: string;
  recipient: string;
  text: string;
  subject?: string;
  headers?: Record<string, string>;
}

interface Notification {
  status: string;
  channel: string;
  outcome: string;
  reason?: string;
  providerMessageId?: string;
  fallbackFrom?: string;
}

async function outboxFor(...recipients: string[]): Promise<Delivered[]> {
  const entries = (await (await fetch(`${stack.url}/local/outbox`)).json()) as Delivered[];
  return entries.filter((entry) => recipients.includes(entry.recipient));
}

/** The shipment's notifications once there are `count` of them and none is still only claimed. */
function settledNotifications(shipmentId: string, count: number): Promise<Notification[]> {
  return eventually(
    () => notifications(shipmentId),
    (list) => list.length === count && list.every((n) => n.outcome !== 'claimed'),
  );
}

async function notifications(shipmentId: string): Promise<Notification[]> {
  const shipment = (await (await fetch(`${stack.url}/v1/shipments/${shipmentId}`)).json()) as { notifications: Notification[] };
  return shipment.notifications;
}

/** Drains the stack (the providers' delayed receipts included), then waits, bounded, until `done` holds. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  await stack.settled();
  let value = await read();
  for (let attempt = 0; attempt < 60 && !done(value); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

const summary = (list: Notification[]) =>
  list
    .map((n) => `${n.status}/${n.channel}: ${n.outcome}${n.reason ? ` (${n.reason})` : ''}${n.fallbackFrom ? ` ← ${n.fallbackFrom}` : ''}`)
    .sort();

function customer(id: string, contact: { phone: string; email: string; channels?: string[] }) {
  return { id, name: 'Sam Doe', locale: 'en', timeZone: daytimeZone(), channels: contact.channels ?? ['sms', 'email'], ...contact };
}

describe('delivery feedback through the local stack', () => {
  it('records a bounce on the email, never writes to that address again, and keeps texting', async () => {
    const id = 'e2e-fb-bounce';
    const email = 'bounce+e2e-fb-1@simulator.amazonses.com';
    const phone = '+447700900301';
    await post(
      cloudEvent(
        'shipment.created',
        { shipmentId: id, orderId: `o-${id}`, customer: customer('cus-fb-1', { phone, email }) },
        { minute: 0 },
      ),
    );
    await post(cloudEvent('shipment.shipped', { shipmentId: id, trackingNumber: 'FB1' }, { minute: 1 }));

    const bounced = await eventually(
      () => notifications(id),
      (list) => list.some((n) => n.channel === 'email' && n.outcome === 'bounced'),
    );
    expect(summary(bounced)).toEqual(['shipped/email: bounced (Permanent/General)', 'shipped/sms: sent']);
    expect(bounced.find((n) => n.channel === 'email')?.providerMessageId).toMatch(/\S/);

    await post(cloudEvent('shipment.out_for_delivery', { shipmentId: id }, { minute: 2 }));
    await post(cloudEvent('shipment.delivered', { shipmentId: id }, { minute: 3 }));
    const after = await settledNotifications(id, 6);

    expect(summary(after)).toEqual([
      'delivered/email: suppressed (bounced)',
      'delivered/sms: sent',
      'out_for_delivery/email: suppressed (bounced)',
      'out_for_delivery/sms: sent',
      'shipped/email: bounced (Permanent/General)',
      'shipped/sms: sent',
    ]);
    const delivered = await outboxFor(email, phone);
    expect(delivered.filter((entry) => entry.recipient === email)).toHaveLength(1);
    expect(delivered.filter((entry) => entry.recipient === phone)).toHaveLength(3);
  });

  it('sends the out-for-delivery message by email when the SMS fails permanently, once, even to a customer who wanted texts', async () => {
    const id = 'e2e-fb-fallback';
    const phone = '+33755512502'; // the destination simulator's failure number for France
    const email = 'fallback-e2e@example.com';
    await post(
      cloudEvent(
        'shipment.created',
        { shipmentId: id, orderId: `o-${id}`, customer: customer('cus-fb-2', { phone, email, channels: ['sms'] }) },
        { minute: 0 },
      ),
    );
    await post(cloudEvent('shipment.out_for_delivery', { shipmentId: id }, { minute: 1 }));

    const recorded = await eventually(
      () => notifications(id),
      (list) => list.some((n) => n.channel === 'email' && n.outcome === 'sent'),
    );

    expect(summary(recorded)).toEqual(['out_for_delivery/email: sent ← sms', 'out_for_delivery/sms: failed (TEXT_INVALID)']);
    const emails = (await outboxFor(email)).filter((entry) => entry.channel === 'email');
    expect(emails).toHaveLength(1);
    expect(emails[0]?.subject).toBe('Your parcel is out for delivery');

    // The number is invalid: the next message does not try it again.
    await post(cloudEvent('shipment.delivered', { shipmentId: id }, { minute: 2 }));
    const next = await eventually(
      () => notifications(id),
      (list) => list.some((n) => n.status === 'delivered' && n.channel === 'email'),
    );
    expect(summary(next)).toContain('delivered/sms: suppressed (invalid_number)');
    expect(summary(next)).toContain('delivered/email: sent ← sms');
    expect((await outboxFor(phone)).filter((entry) => entry.channel === 'sms')).toHaveLength(1);
  });

  it('stops non-essential email after a one-click unsubscribe POST, and still sends the essential ones', async () => {
    const id = 'e2e-fb-unsubscribe';
    const email = 'unsubscribe-e2e@example.com';
    const phone = '+447700900302';
    await post(
      cloudEvent(
        'shipment.created',
        { shipmentId: id, orderId: `o-${id}`, customer: customer('cus-fb-3', { phone, email }) },
        { minute: 0 },
      ),
    );
    await post(cloudEvent('shipment.shipped', { shipmentId: id }, { minute: 1 }));
    const [first] = await eventually(
      () => outboxFor(email),
      (entries) => entries.length === 1,
    );
    const link = /^<(.+)>$/.exec(first?.headers?.['List-Unsubscribe'] ?? '')?.[1] as string;
    expect(first?.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(link.startsWith(`${stack.url}/v1/preferences/`)).toBe(true);

    // A mail scanner fetching the link changes nothing; the mail client's one-click POST does, without a redirect.
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/name="email" value="all" checked/);
    const unsubscribe = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
    expect(unsubscribe.status).toBe(200);
    expect(await (await fetch(link)).text()).toMatch(/name="email" value="essential" checked/);

    await post(cloudEvent('shipment.out_for_delivery', { shipmentId: id }, { minute: 2 }));
    await post(cloudEvent('shipment.delivery_failed', { shipmentId: id, reason: 'nobody home' }, { minute: 3 }));
    const recorded = await settledNotifications(id, 6);

    expect(summary(recorded)).toEqual([
      'delivery_failed/email: sent',
      'delivery_failed/sms: sent',
      'out_for_delivery/email: suppressed (preference)',
      'out_for_delivery/sms: sent',
      'shipped/email: sent',
      'shipped/sms: sent',
    ]);
    expect((await outboxFor(email)).map((entry) => entry.subject)).toEqual([
      'Your parcel is on its way',
      'We could not deliver your parcel',
    ]);
  });

  it('takes the preference form as multipart/form-data too, and refuses a link it did not sign', async () => {
    const id = 'e2e-fb-form';
    const email = 'form-e2e@example.com';
    await post(
      cloudEvent(
        'shipment.created',
        { shipmentId: id, orderId: `o-${id}`, customer: customer('cus-fb-4', { phone: '+447700900303', email }) },
        { minute: 0 },
      ),
    );
    await post(cloudEvent('shipment.shipped', { shipmentId: id }, { minute: 1 }));
    const [first] = await eventually(
      () => outboxFor(email),
      (entries) => entries.length === 1,
    );
    const link = /^<(.+)>$/.exec(first?.headers?.['List-Unsubscribe'] ?? '')?.[1] as string;

    const form = new FormData();
    form.set('sms', 'essential');
    const saved = await fetch(link, { method: 'POST', body: form });
    expect(saved.status).toBe(200);
    const text = await saved.text();
    expect(text).toMatch(/name="sms" value="essential" checked/);
    expect(text).toMatch(/name="email" value="all" checked/);

    const forged = `${link.slice(0, -4)}AAAA`;
    expect((await fetch(forged)).status).toBe(404);
    const refused = await fetch(forged, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'sms=all',
    });
    expect(refused.status).toBe(404);
    const wrong = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'sms=loud' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ errors: [{ path: 'sms' }] });
  });

  it('lets an operator list the suppressed contacts, masked, and clear one with npm run suppression', async () => {
    const run = (...args: string[]) =>
      promisify(execFile)(
        process.execPath,
        ['scripts/suppression.ts', ...args, '--table', stack.tableNames.ParcelTable as string, '--endpoint', stack.dynamoEndpoint],
        { cwd: PROJECT_ROOT, encoding: 'utf8' },
      );
    const address = 'bounce+e2e-fb-1@simulator.amazonses.com';

    const listed = (await run('list', '--channel', 'email')).stdout;
    expect(listed).toMatch(/email\s+b•••@simulator\.amazonses\.com\s+bounced/);
    expect(listed).not.toContain(address);

    expect((await run('clear', 'email', address)).stdout).toMatch(/^Cleared: email [0-9a-f]{64} may be written to again\./);
    expect((await run('list', '--channel', 'email')).stdout).not.toMatch(/bounced/);
    await expect(run('clear', 'email', address)).rejects.toMatchObject({ code: 1 });
  });
});
