import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStack, startStack } from '../../local/stack.ts';
import { daytimeZone } from '../../support/time-zones.ts';
import { cloudEvent, postSignedEvent, TEST_SECRET } from '../support/events.ts';

// The whole notification path through `npm start`'s stack: HTTP ingest → DynamoDB Local stream →
// stream-router → local SNS → SQS by the template's subscriptions → senders → SNS SMS and SES v2 →
// outbox. The outbox holds what the providers were handed (recipient, text, an email's tags), so
// each test writes to a customer of its own and reads what that customer received.
let stack: RunningStack;
let dataDir: string;

/**
 * A fixed-offset zone where it is early afternoon right now, so quiet hours (21:00–08:00 local)
 * never hold an SMS back whatever time the test runs. Etc/GMT-3 means UTC+3.
 */
function customer(id: string, locale: string) {
  return {
    id,
    name: 'Sam Doe',
    phone: phoneOf(id),
    email: `${id}@example.com`,
    locale,
    timeZone: daytimeZone(),
    channels: ['sms', 'email'],
  };
}

/** A UK test number of the customer's own (+44 7700 900xxx is reserved for drama and tests). */
const phoneOf = (customerId: string) => `+447700900${String(100 + Number(customerId.replace(/\D/g, '')) * 7).slice(-3)}`;

const post = (event: unknown) => postSignedEvent(stack.url, event);

/**
 * A two-hour window at local noon of `day` in a fixed-offset zone (`Etc/GMT-3` is UTC+3), given
 * in UTC as a warehouse would send it. A fixed UTC window would fall on the next local day for a
 * customer at UTC+13 (this suite's zone around midnight UTC), which is news for them.
 */
function sameDayWindow(timeZone: string, day: string) {
  const offsetHours = timeZone === 'Etc/GMT' ? 0 : -Number(timeZone.replace('Etc/GMT', ''));
  const at = (hour: number) => new Date(`${day}T00:00:00Z`).getTime() + (hour - offsetHours) * 3_600_000;
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  return { from: iso(at(11)), to: iso(at(13)), timeZone: 'UTC' };
}

interface Delivered {
  channel: string;
  recipient: string;
  text: string;
  subject?: string;
  tags?: { eventType?: string };
}

/** What customer `customerId` received, by phone and by email. */
async function outbox(customerId: string): Promise<Delivered[]> {
  const response = await fetch(`${stack.url}/local/outbox`);
  const mine = new Set([phoneOf(customerId), `${customerId}@example.com`]);
  return ((await response.json()) as Delivered[]).filter((entry) => mine.has(entry.recipient));
}

/** Waits for the stream and the queues to drain, then polls the outbox (bounded) until `count` arrived. */
async function outboxOnce(customerId: string, count: number): Promise<Delivered[]> {
  await stack.settled();
  for (let attempt = 0; attempt < 50; attempt++) {
    const entries = await outbox(customerId);
    if (entries.length >= count) return entries;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return outbox(customerId);
}

/** Emails by the eventType SES was given as a tag (`shipment-delivered`: SES allows no `.`); SMS by the status their text announces. */
const summary = (entries: Delivered[]) =>
  entries
    .map((entry) => (entry.channel === 'email' ? `${entry.tags?.eventType?.replace('-', '.')}/email` : `${smsStatus(entry.text)}/sms`))
    .sort();

/** The English wording of each announced status (the other languages are checked word for word below). */
const SMS_WORDING: Record<string, RegExp> = {
  'shipment.shipped': /has shipped/,
  'shipment.out_for_delivery': /is out for delivery/,
  'shipment.delivered': /has been delivered/,
};
const smsStatus = (text: string) => Object.entries(SMS_WORDING).find(([, wording]) => wording.test(text))?.[0] ?? `unknown: ${text}`;

/** The notifications GET /v1/shipments/{id} records, as `<status>/<channel>: <outcome>`. */
async function recorded(shipmentId: string): Promise<string[]> {
  const shipment = (await (await fetch(`${stack.url}/v1/shipments/${shipmentId}`)).json()) as {
    notifications: { status: string; channel: string; outcome: string }[];
  };
  return shipment.notifications.map((notification) => `${notification.status}/${notification.channel}: ${notification.outcome}`).sort();
}

/** Every function's log output, by the function whose worker wrote it (INFO, so the senders log each message). */
const logs: { functionId: string; text: string }[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-e2e-notifications-'));
  stack = await startStack({
    port: 0,
    dataDir,
    warehouses: { webhookSecrets: TEST_SECRET },
    logLevel: 'INFO',
    onFunctionOutput: (functionId, _stream, text) => void logs.push({ functionId, text }),
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('notifications through the local stack', () => {
  it('sends one SMS and one email per announced status, none for picked or packed', async () => {
    const id = 'e2e-n-happy';
    await post(cloudEvent('shipment.created', { shipmentId: id, orderId: 'o-1', customer: customer('cus-e2e-1', 'en-GB') }, { minute: 0 }));
    await post(cloudEvent('shipment.picked', { shipmentId: id }, { minute: 1 }));
    await post(cloudEvent('shipment.packed', { shipmentId: id }, { minute: 2 }));
    expect(await outboxOnce('cus-e2e-1', 0)).toEqual([]);

    await post(
      cloudEvent(
        'shipment.shipped',
        { shipmentId: id, carrier: 'DHL', trackingNumber: 'JD01', trackingUrl: 'https://t.example/JD01' },
        { minute: 3 },
      ),
    );
    await post(cloudEvent('shipment.out_for_delivery', { shipmentId: id }, { minute: 4 }));
    await post(cloudEvent('shipment.delivered', { shipmentId: id }, { minute: 5 }));

    const delivered = await outboxOnce('cus-e2e-1', 6);
    expect(summary(delivered)).toEqual([
      'shipment.delivered/email',
      'shipment.delivered/sms',
      'shipment.out_for_delivery/email',
      'shipment.out_for_delivery/sms',
      'shipment.shipped/email',
      'shipment.shipped/sms',
    ]);
    const shippedSms = delivered.find((entry) => entry.channel === 'sms' && smsStatus(entry.text) === 'shipment.shipped');
    expect(shippedSms).toMatchObject({ recipient: phoneOf('cus-e2e-1'), text: expect.stringContaining('https://t.example/JD01') });
    expect(shippedSms?.text.length).toBeLessThanOrEqual(160);

    expect(await recorded(id)).toEqual([
      'delivered/email: sent',
      'delivered/sms: sent',
      'out_for_delivery/email: sent',
      'out_for_delivery/sms: sent',
      'shipped/email: sent',
      'shipped/sms: sent',
    ]);
  });

  it('sends nothing more for a duplicate, a stale event, or the same status again', async () => {
    const id = 'e2e-n-repeat';
    await post(cloudEvent('shipment.created', { shipmentId: id, orderId: 'o-2', customer: customer('cus-e2e-2', 'en') }, { minute: 0 }));
    const delivered = cloudEvent('shipment.delivered', { shipmentId: id }, { minute: 10 });
    await post(delivered);
    expect(await outboxOnce('cus-e2e-2', 2)).toHaveLength(2);

    expect((await post(delivered)).results[0]?.status).toBe('duplicate');
    await post(cloudEvent('shipment.shipped', { shipmentId: id }, { minute: 5 }));
    await post(cloudEvent('shipment.out_for_delivery', { shipmentId: id }, { minute: 8 }));
    await post(cloudEvent('shipment.delivered', { shipmentId: id, signedBy: 'neighbour' }, { minute: 12 }));

    await stack.settled();
    expect(summary(await outbox('cus-e2e-2'))).toEqual(['shipment.delivered/email', 'shipment.delivered/sms']);
    expect(await recorded(id)).toEqual(['delivered/email: sent', 'delivered/sms: sent']);
  });

  it('tells the current status once contact details arrive after it', async () => {
    const id = 'e2e-n-late';
    await post(cloudEvent('shipment.shipped', { shipmentId: id, trackingNumber: 'LATE1' }, { minute: 5 }));
    expect(await outboxOnce('cus-e2e-3', 0)).toEqual([]);

    await post(cloudEvent('shipment.created', { shipmentId: id, orderId: 'o-3', customer: customer('cus-e2e-3', 'en') }, { minute: 0 }));

    expect(summary(await outboxOnce('cus-e2e-3', 2))).toEqual(['shipment.shipped/email', 'shipment.shipped/sms']);
  });

  it('tells a revised delivery date once, and a date that stays on its day not at all', async () => {
    const id = 'e2e-n-revised';
    const estimate = (date: string) => ({ date, timeZone: 'Europe/Madrid' });
    const profile = customer('cus-e2e-7', 'en');
    await post(
      cloudEvent(
        'shipment.created',
        { shipmentId: id, orderId: 'o-7', customer: profile, estimatedDelivery: estimate('2026-11-05') },
        { minute: 0 },
      ),
    );
    await post(cloudEvent('shipment.shipped', { shipmentId: id, trackingNumber: 'REV1' }, { minute: 5 }));
    expect((await outboxOnce('cus-e2e-7', 2)).find((entry) => entry.channel === 'sms')?.text).toBe(
      'Parcelcast: Your parcel REV1 has shipped, expected Thu, Nov 5.',
    );

    await post(cloudEvent('shipment.in_transit', { shipmentId: id, estimatedDelivery: estimate('2026-11-07') }, { minute: 20 }));
    const revised = (await outboxOnce('cus-e2e-7', 4)).slice(2);
    expect(revised.map((entry) => entry.channel).sort()).toEqual(['email', 'sms']);
    expect(revised.find((entry) => entry.channel === 'sms')?.text).toBe('Parcelcast: New delivery date for your parcel REV1: Sat, Nov 7.');
    expect(revised.find((entry) => entry.channel === 'email')?.subject).toBe('Your parcel has a new delivery date');

    // The same estimate again, and a window on that same day where the customer lives (the day is
    // judged in their zone, which is wherever it is early afternoon now): no news.
    await post(cloudEvent('shipment.in_transit', { shipmentId: id, estimatedDelivery: estimate('2026-11-07') }, { minute: 30 }));
    const window = sameDayWindow(profile.timeZone, '2026-11-07');
    await post(cloudEvent('shipment.in_transit', { shipmentId: id, estimatedDelivery: window }, { minute: 40 }));
    await stack.settled();
    const told = await outbox('cus-e2e-7');
    expect(told, JSON.stringify(told.map(({ channel, text, subject, tags }) => ({ channel, text, subject, tags })))).toHaveLength(4);
    const shipment = (await (await fetch(`${stack.url}/v1/shipments/${id}`)).json()) as Record<string, unknown>;
    expect([shipment.originalEstimatedDelivery, shipment.estimatedDelivery]).toEqual([estimate('2026-11-05'), window]);
  });

  it('writes to a Spanish-speaking customer in Spanish', async () => {
    const id = 'e2e-n-es';
    await post(cloudEvent('shipment.created', { shipmentId: id, orderId: 'o-4', customer: customer('cus-e2e-4', 'es-ES') }, { minute: 0 }));
    await post(cloudEvent('shipment.shipped', { shipmentId: id, carrier: 'Correos', trackingNumber: 'ES1' }, { minute: 3 }));

    const delivered = await outboxOnce('cus-e2e-4', 2);
    expect(delivered.find((entry) => entry.channel === 'sms')?.text).toBe('Parcelcast: Tu paquete ES1 ha sido enviado con Correos.');
    expect(delivered.find((entry) => entry.channel === 'email')).toMatchObject({
      subject: 'Tu paquete está en camino',
      text: expect.stringContaining('Hola Sam Doe:'),
    });
    expect(readFileSync(join(dataDir, 'outbox.jsonl'), 'utf8')).toContain(
      '"text":"Parcelcast: Tu paquete ES1 ha sido enviado con Correos."',
    );
  });

  it("runs each function with only its own environment: a sender logs as itself and sees no other function's settings", async () => {
    // Runs after the tests above, which made both senders log.
    const lines = (functionId: string) =>
      logs
        .filter((entry) => entry.functionId === functionId)
        .flatMap((entry) => entry.text.split('\n'))
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { function_name?: string; message: string });
    const emailLines = lines('SendEmailFunction').filter((line) => line.message === 'email notification');
    const smsLines = lines('SendSmsFunction').filter((line) => line.message === 'sms notification');
    expect(emailLines.length).toBeGreaterThan(0);
    expect(smsLines.length).toBeGreaterThan(0);
    expect(new Set(emailLines.map((line) => line.function_name))).toEqual(new Set(['SendEmailFunction']));
    expect(new Set(smsLines.map((line) => line.function_name))).toEqual(new Set(['SendSmsFunction']));

    const email = stack.environmentOf('SendEmailFunction');
    const sms = stack.environmentOf('SendSmsFunction');
    expect(sms.SMS_QUEUE_URL).toMatch(/\/SmsQueue$/);
    expect(email.SMS_QUEUE_URL).toBeUndefined();
    expect(email.EMAIL_FROM_ADDRESS).toBe('notifications@parcelcast.example');
    expect(sms.EMAIL_FROM_ADDRESS).toBeUndefined();
    expect(stack.environmentOf('StreamRouterFunction').NOTIFICATIONS_TOPIC_ARN).toBe(
      'arn:aws:sns:us-east-1:000000000000:NotificationsTopic',
    );
    expect(email.SMS_CONFIGURATION_SET).toBeUndefined();
    expect(sms.PREFERENCE_SECRETS_PARAMETER).toBeUndefined();
    expect(email.AWS_LAMBDA_FUNCTION_NAME).toBe('SendEmailFunction');
  });
});
