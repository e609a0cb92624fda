import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daytimeZone } from '../../support/time-zones.ts';
import { postSignedEvent, TEST_SECRET } from '../support/events.ts';
import { type Delivered, receivedBy, type StartedStack, startNpmStartInTempDir, until } from '../support/npm-start.ts';

// Split orders through `npm start` with SPLIT_ORDER_WINDOW_SECONDS=10: three parcels of one order
// marked out_for_delivery within the window reach the customer as one message per channel (the
// SplitOrderWindow execution waits, closes the window, publishes through NotificationsTopic to the
// senders); a one-parcel order's message goes at once; an order that says its parcel count holds
// its first parcel before the second exists, and is told as soon as the last one joins.
const WINDOW_SECONDS = 10;
let stack: StartedStack;
let url: string;

beforeAll(async () => {
  stack = await startNpmStartInTempDir('parcelcast-e2e-orders-', {
    WEBHOOK_SECRETS: TEST_SECRET,
    SPLIT_ORDER_WINDOW_SECONDS: String(WINDOW_SECONDS),
  });
  url = stack.url;
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 15_000);

let counter = 0;
function event(type: string, data: Record<string, unknown>) {
  counter += 1;
  return {
    specversion: '1.0',
    id: `order-${counter}-${Date.now()}`,
    source: '//warehouse/ams-1',
    type,
    time: new Date().toISOString(),
    data,
  };
}

const customer = (id: string, phone: string) => ({ id, phone, email: `${id}@example.com`, locale: 'en-GB', timeZone: daytimeZone() });

const received = (contact: { phone: string; email: string }) => receivedBy(url, contact);

interface Execution {
  name: string;
  status: string;
  input: { orderId?: string; windowSeconds?: number };
  output?: unknown;
  startDate: string;
  stopDate?: string;
}

/** The order's SplitOrderWindow executions: the one that waits the window, and the one that closes it early if any. */
async function executionsOf(orderId: string): Promise<{ waiting?: Execution; early?: Execution }> {
  const all = (await (await fetch(`${url}/local/executions`)).json()) as Execution[];
  const mine = all.filter((execution) => execution.input?.orderId === orderId);
  return {
    waiting: mine.find((execution) => Number(execution.input.windowSeconds) > 0),
    early: mine.find((execution) => execution.input.windowSeconds === 0),
  };
}

describe(`split orders through npm start (SPLIT_ORDER_WINDOW_SECONDS=${WINDOW_SECONDS})`, () => {
  it('tells a customer of three parcels out for delivery once per channel, naming all three; a one-parcel order at once', async () => {
    const many = customer('cus-order', '+447700900501');
    const single = customer('cus-single', '+447700900502');
    const parcels = ['shp-o1', 'shp-o2', 'shp-o3'];
    for (const shipmentId of parcels) {
      await postSignedEvent(
        url,
        event('shipment.created', { shipmentId, orderId: 'ord-split', customer: many, trackingNumber: `TRK-${shipmentId}` }),
      );
    }
    await postSignedEvent(url, event('shipment.created', { shipmentId: 'shp-solo', orderId: 'ord-solo', customer: single }));
    // Let the stream router count the order's shipments before their statuses arrive, as in life.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    for (const shipmentId of parcels) await postSignedEvent(url, event('shipment.out_for_delivery', { shipmentId }));
    await postSignedEvent(url, event('shipment.out_for_delivery', { shipmentId: 'shp-solo' }));

    // The one-parcel order is not held for a window. Its status was posted after the order's, so a
    // window of its own would close after the order's: its messages arriving while the order's are
    // still held proves it went at once. (No wall-clock bound: on a loaded machine posting and routing
    // alone can take seconds, and that says nothing about holding.)
    await until(async () => (await received(single)).length >= 2, 30_000);
    expect((await received(single)).map((entry) => entry.channel).sort()).toEqual(['email', 'sms']);
    // Nothing yet for the order: its parcels wait for the window.
    expect(await received(many)).toEqual([]);

    await until(async () => (await received(many)).length >= 2, 30_000);
    // Long enough after for a per-parcel message, a repeated execution or a second publish to have shown up.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const messages = await received(many);
    expect(messages.map((entry) => entry.channel).sort()).toEqual(['email', 'sms']);
    const sms = messages.find((entry) => entry.channel === 'sms') as Delivered;
    expect(sms.text).toBe('Parcelcast: 3 parcels of your order ord-split are out for delivery: TRK-shp-o1, TRK-shp-o2, TRK-shp-o3.');
    const email = messages.find((entry) => entry.channel === 'email') as Delivered;
    expect(email.subject).toBe('Your parcels are out for delivery');
  }, 90_000);
  it('holds the first parcel of an order with parcelCount 2 before the second exists, and tells both at once when it joins', async () => {
    const buyer = customer('cus-known', '+447700900503');
    const orderId = 'ord-known';
    const created = (shipmentId: string) =>
      event('shipment.created', { shipmentId, orderId, parcelCount: 2, customer: buyer, trackingNumber: `TRK-${shipmentId}` });
    await postSignedEvent(url, created('shp-k1'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await postSignedEvent(url, event('shipment.out_for_delivery', { shipmentId: 'shp-k1' }));
    // Held though it is the only shipment of its order known: its window's execution waits.
    await until(async () => (await executionsOf(orderId)).waiting !== undefined, 30_000);
    expect((await executionsOf(orderId)).waiting?.status).toBe('RUNNING');
    expect(await received(buyer)).toEqual([]);

    // The second parcel is created after the first is out for delivery, and follows it.
    await postSignedEvent(url, created('shp-k2'));
    await postSignedEvent(url, event('shipment.out_for_delivery', { shipmentId: 'shp-k2' }));
    await until(async () => (await received(buyer)).length >= 2, 30_000);
    const told = await received(buyer);
    expect(told.map((entry) => entry.channel).sort()).toEqual(['email', 'sms']);
    expect(told.find((entry) => entry.channel === 'sms')?.text).toBe(
      'Parcelcast: 2 parcels of your order ord-known are out for delivery: TRK-shp-k1, TRK-shp-k2.',
    );
    // Sent by the execution started when the window was complete, before the waiting one's window
    // ended: the messages are in the outbox while it still waits, or from before it stopped.
    const { waiting, early } = await executionsOf(orderId);
    expect(early).toMatchObject({ status: 'SUCCEEDED', output: { members: 2, named: 2, published: 2 } });
    const lastTold = told
      .map((entry) => entry.time as string)
      .sort()
      .at(-1) as string;
    expect(waiting?.status === 'RUNNING' || lastTold < (waiting?.stopDate ?? '')).toBe(true);

    // When its window ends, the waiting execution finds the window published and sends nothing more.
    await until(async () => (await executionsOf(orderId)).waiting?.status !== 'RUNNING', 30_000);
    expect((await executionsOf(orderId)).waiting).toMatchObject({ status: 'SUCCEEDED', output: { members: 2, named: 0, published: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await received(buyer)).map((entry) => entry.channel).sort()).toEqual(['email', 'sms']);
    // Each parcel's read model points at the combined message.
    for (const shipmentId of ['shp-k1', 'shp-k2']) {
      const shipment = (await (await fetch(`${url}/v1/shipments/${shipmentId}`)).json()) as {
        parcelCount: number;
        notifications: { channel: string; status: string; order?: { orderId: string; shipmentIds: string[] } }[];
      };
      expect(shipment.parcelCount).toBe(2);
      const combined = shipment.notifications.filter((notification) => notification.status === 'out_for_delivery');
      expect(combined.map((notification) => [notification.channel, notification.order])).toEqual(
        expect.arrayContaining([
          ['sms', { orderId, shipmentIds: ['shp-k1', 'shp-k2'] }],
          ['email', { orderId, shipmentIds: ['shp-k1', 'shp-k2'] }],
        ]),
      );
      expect(combined).toHaveLength(2);
    }
  }, 120_000);
});
