import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daytimeZone } from '../../support/time-zones.ts';
import { postSignedEvent, TEST_SECRET } from '../support/events.ts';
import { type Delivered, receivedBy, type StartedStack, startNpmStartInTempDir } from '../support/npm-start.ts';

// Stall alerts through `npm start` with STALL_ALERT_SECONDS=3: the stream router arms a schedule
// on the local EventBridge Scheduler, which fires it into the stall timer queue, and the
// stall-alert function tells the customer once. A shipment left at `shipped` gets exactly one delay
// message per channel; one that moves on to `delivered` before its deadline gets none.
let stack: StartedStack;
let url: string;

beforeAll(async () => {
  stack = await startNpmStartInTempDir('parcelcast-e2e-stalls-', { WEBHOOK_SECRETS: TEST_SECRET, STALL_ALERT_SECONDS: '3' });
  url = stack.url;
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 15_000);

let counter = 0;
/** An event that happened now, as a warehouse posts it the moment it happens. */
function event(type: string, data: Record<string, unknown>) {
  counter += 1;
  return {
    specversion: '1.0',
    id: `stall-${counter}-${Date.now()}`,
    source: '//warehouse/ams-1',
    type,
    time: new Date().toISOString(),
    data,
  };
}

const customer = (id: string, phone: string) => ({
  id,
  phone,
  email: `${id}@example.com`,
  locale: 'en-GB',
  timeZone: daytimeZone(),
});

const received = (contact: { phone: string; email: string }) => receivedBy(url, contact);

const delayMessages = (entries: Delivered[]) =>
  entries.filter((entry) =>
    entry.channel === 'sms' ? /is delayed\. We are on it\./.test(entry.text) : entry.subject === 'Your parcel is delayed',
  );

describe('stall alerts through npm start (STALL_ALERT_SECONDS=3)', () => {
  it('tells a customer whose parcel stays at shipped once per channel, and one whose parcel moves on nothing', async () => {
    const stalled = customer('cus-stalled', '+447700900401');
    const moving = customer('cus-moving', '+447700900402');
    await postSignedEvent(url, event('shipment.created', { shipmentId: 'shp-stalled', orderId: 'ord-s', customer: stalled }));
    await postSignedEvent(url, event('shipment.created', { shipmentId: 'shp-moving', orderId: 'ord-m', customer: moving }));
    await postSignedEvent(url, event('shipment.shipped', { shipmentId: 'shp-stalled', carrier: 'DHL' }));
    await postSignedEvent(url, event('shipment.shipped', { shipmentId: 'shp-moving', carrier: 'DHL' }));
    // The dashboard shows each shipment's pending timer while it waits (about 3 s after its status).
    const pending = new Set<string>();
    for (let waited = 0; pending.size < 2 && waited < 3000; waited += 100) {
      const dashboard = (await (await fetch(`${url}/local/dashboard`)).json()) as { timers: { shipmentId: string }[] };
      for (const timer of dashboard.timers) pending.add(timer.shipmentId);
      if (pending.size < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([...pending].sort()).toEqual(['shp-moving', 'shp-stalled']);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await postSignedEvent(url, event('shipment.delivered', { shipmentId: 'shp-moving' }));

    const deadline = Date.now() + 30_000;
    while (delayMessages(await received(stalled)).length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Long enough after the alert for a second timer, a repeated fire or a late one to have shown up.
    await new Promise((resolve) => setTimeout(resolve, 5000));

    const alerts = delayMessages(await received(stalled));
    expect(alerts.map((entry) => entry.channel).sort()).toEqual(['email', 'sms']);
    expect(alerts.find((entry) => entry.channel === 'sms')?.text).toBe('Parcelcast: Your parcel shp-stalled is delayed. We are on it.');
    expect(delayMessages(await received(moving))).toEqual([]);
    // The moving customer heard of each status, and nothing else.
    expect((await received(moving)).map((entry) => entry.channel)).toHaveLength(4);

    const shipment = (await (await fetch(`${url}/v1/shipments/shp-stalled`)).json()) as {
      notifications: { status: string; channel: string }[];
    };
    expect(
      shipment.notifications
        .filter((entry) => entry.status === 'stalled')
        .map((entry) => entry.channel)
        .sort(),
    ).toEqual(['email', 'sms']);
    // Nothing is left waiting: the stalled shipment's timer ended with its alert, the other's when it found it delivered.
    const schedules = (await (await fetch(`${url}/local/schedules`)).json()) as unknown[];
    expect(schedules).toEqual([]);
  }, 60_000);
});
