import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daytimeZone } from '../../support/time-zones.ts';
import { postSignedEvent, TEST_SECRET } from '../support/events.ts';
import { receivedBy, type StartedStack, startNpmStartInTempDir, until } from '../support/npm-start.ts';

// Status episodes through `npm start` (docs/notifications.md): a parcel out for delivery, missed,
// then out for delivery again is told three times per channel; a second scan of a status it is
// already in is told nothing; a status entered again and again is told only its first three times.
let stack: StartedStack;

beforeAll(async () => {
  stack = await startNpmStartInTempDir('parcelcast-e2e-episodes-', { WEBHOOK_SECRETS: TEST_SECRET });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 15_000);

const base = Date.now() - 60 * 60_000;
let counter = 0;
function event(type: string, minute: number, data: Record<string, unknown>) {
  counter += 1;
  return {
    specversion: '1.0',
    id: `episode-${counter}-${Date.now()}`,
    source: '//warehouse/ams-1',
    type,
    time: new Date(base + minute * 60_000).toISOString(),
    data,
  };
}

const contact = { phone: '+447700900611', email: 'cus-episodes@example.com' };

const received = (of: { phone: string; email: string } = contact) => receivedBy(stack.url, of);

describe('status episodes through npm start', () => {
  it('tells out_for_delivery → attempted_delivery → out_for_delivery three times per channel, and a repeated scan not at all', async () => {
    const shipmentId = 'shp-episodes';
    const post = (body: unknown) => postSignedEvent(stack.url, body);
    const customer = { id: 'cus-episodes', ...contact, locale: 'en-GB', timeZone: daytimeZone() };
    await post(event('shipment.created', 0, { shipmentId, orderId: 'ord-episodes', customer }));
    await post(event('shipment.out_for_delivery', 10, { shipmentId }));
    await until(async () => (await received()).length >= 2, 30_000);
    // The same status scanned again minutes later, under another event id: a detail, not news.
    await post(event('shipment.out_for_delivery', 12, { shipmentId }));
    await post(event('shipment.attempted_delivery', 20, { shipmentId, nextAttemptAt: new Date(base + 86_400_000).toISOString() }));
    await post(event('shipment.out_for_delivery', 30, { shipmentId }));

    await until(async () => (await received()).length >= 6, 30_000);
    // Long enough after for a message of the repeated scan, or a second one of any episode, to show up.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const messages = await received();
    // Senders work in parallel, so the outbox's order is not the statuses'; GET's below is.
    const sms = messages.filter((entry) => entry.channel === 'sms').map((entry) => (/out for delivery/.test(entry.text) ? 'out' : 'other'));
    expect(sms.sort()).toEqual(['other', 'out', 'out']);
    expect(messages.filter((entry) => entry.channel === 'email')).toHaveLength(3);

    const shipment = (await (await fetch(`${stack.url}/v1/shipments/${shipmentId}`)).json()) as {
      notifications: { status: string; statusTime: string; channel: string; outcome: string }[];
    };
    const at = (minute: number) => new Date(base + minute * 60_000).toISOString();
    expect(shipment.notifications.map((n) => `${n.status}@${n.statusTime}/${n.channel}`)).toEqual([
      `out_for_delivery@${at(10)}/email`,
      `out_for_delivery@${at(10)}/sms`,
      `attempted_delivery@${at(20)}/email`,
      `attempted_delivery@${at(20)}/sms`,
      `out_for_delivery@${at(30)}/email`,
      `out_for_delivery@${at(30)}/sms`,
    ]);
  }, 90_000);

  it('tells a scanner flapping out_for_delivery ↔ in_transit ten times three times per channel, not ten', async () => {
    const shipmentId = 'shp-flapping';
    const flapper = { phone: '+447700900612', email: 'cus-flapping@example.com' };
    const post = (body: unknown) => postSignedEvent(stack.url, body);
    await post(
      event('shipment.created', 0, {
        shipmentId,
        orderId: 'ord-flapping',
        customer: { id: 'cus-flapping', ...flapper, timeZone: daytimeZone() },
      }),
    );
    for (let flip = 0; flip < 20; flip++) {
      await post(event(flip % 2 === 0 ? 'shipment.out_for_delivery' : 'shipment.in_transit', 10 + flip, { shipmentId }));
    }

    await until(async () => (await received(flapper)).length >= 6, 30_000);
    // Long enough after for a message of a later flip to show up, were one sent.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const messages = await received(flapper);
    expect(messages.filter((entry) => entry.channel === 'sms')).toHaveLength(3);
    expect(messages.filter((entry) => entry.channel === 'email')).toHaveLength(3);
  }, 90_000);
});
