import { describe, expect, it } from 'vitest';
import { claimKeyOf } from '../../functions/lib/adapters/dynamo-notification-claims.ts';
import { closeOrderWindow } from '../../functions/lib/app/close-order-window.ts';
import { routeShipmentChanges } from '../../functions/lib/app/route-shipment-changes.ts';
import type { ShipmentChange } from '../../functions/lib/domain/changes.ts';
import type { ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import { parseNotificationMessage } from '../../functions/lib/domain/notification-message-schema.ts';
import { shipmentMessage } from '../../functions/lib/domain/notification-policy.ts';
import { renderEmail, renderSms } from '../../functions/lib/domain/notification-templates.ts';
import type { ShipmentState } from '../../functions/lib/domain/shipment.ts';
import {
  combinedMessages,
  expectedParcels,
  holdsBack,
  splitOrderExecutionName,
  windowComplete,
} from '../../functions/lib/domain/split-orders.ts';
import { shipmentCreated, shipmentStatus } from '../support/events.ts';
import { orderWindows } from '../support/orders.ts';
import { MemoryCounts, routerPorts } from '../support/router-ports.ts';
import { stateAfter, TEST_OWNER } from '../support/shipments.ts';

const ORDER = 'ord-77';
const created = (id: string, orderId = ORDER, parcelCount?: number) =>
  shipmentCreated(id, 0, { orderId, trackingNumber: `TRK-${id}`, ...(parcelCount === undefined ? {} : { parcelCount }) }) as ShipmentEvent;
const status = (name: string, id: string, minute: number) => shipmentStatus(name, id, minute) as ShipmentEvent;

let sequence = 0;
function change(before: ShipmentEvent[], event: ShipmentEvent): ShipmentChange {
  sequence += 1;
  return { sequenceNumber: String(sequence), before: stateAfter(before), after: stateAfter([...before, event]) as ShipmentState };
}

function recordingPublisher() {
  const published: NotificationMessage[] = [];
  return {
    published,
    publish: async (messages: readonly NotificationMessage[]) => {
      published.push(...messages);
      return { failed: [] };
    },
  };
}

describe('split orders: the domain rule', () => {
  it('holds back only a combinable status of an order known to have two shipments or more', () => {
    expect(holdsBack({ orderId: ORDER, status: 'out_for_delivery' }, { shipments: 2 })).toBe(true);
    expect(holdsBack({ orderId: ORDER, status: 'delivered' }, { shipments: 3 })).toBe(true);
    // A one-parcel order is never delayed, nor a shipment without an order, nor a status not combined.
    expect(holdsBack({ orderId: ORDER, status: 'out_for_delivery' }, { shipments: 1 })).toBe(false);
    expect(holdsBack({ orderId: ORDER, status: 'out_for_delivery' }, { shipments: 0 })).toBe(false);
    expect(holdsBack({ status: 'out_for_delivery' }, { shipments: 5 })).toBe(false);
    expect(holdsBack({ orderId: ORDER, status: 'delivery_failed' }, { shipments: 5 })).toBe(false);
    expect(holdsBack({ orderId: ORDER, status: 'shipped' }, { shipments: 5 })).toBe(false);
  });

  it('holds back the first parcel of an order whose parcel count says more are coming, from the order or the shipment', () => {
    expect(holdsBack({ orderId: ORDER, status: 'out_for_delivery' }, { shipments: 1, parcelCount: 2 })).toBe(true);
    expect(holdsBack({ orderId: ORDER, status: 'out_for_delivery', parcelCount: 3 }, { shipments: 1 })).toBe(true);
    // A count of one is a one-parcel order, and a count does not make another status combinable.
    expect(holdsBack({ orderId: ORDER, status: 'out_for_delivery', parcelCount: 1 }, { shipments: 1, parcelCount: 1 })).toBe(false);
    expect(holdsBack({ orderId: ORDER, status: 'shipped', parcelCount: 3 }, { shipments: 1 })).toBe(false);
    expect(expectedParcels({ shipments: 3, parcelCount: 2 })).toBe(3);
  });

  it('calls a window complete only when a parcel count was given and every expected parcel has joined', () => {
    expect(windowComplete(2, { shipments: 2, parcelCount: 2 }, {})).toBe(true);
    expect(windowComplete(2, { shipments: 1 }, { parcelCount: 2 })).toBe(true);
    expect(windowComplete(1, { shipments: 1, parcelCount: 2 }, {})).toBe(false);
    // More shipments seen than the count said: wait for them too.
    expect(windowComplete(2, { shipments: 3, parcelCount: 2 }, {})).toBe(false);
    // No count: the shipments seen so far may not be all of them.
    expect(windowComplete(3, { shipments: 3 }, {})).toBe(false);
    // The larger of the order's and the shipment's count.
    expect(windowComplete(2, { shipments: 2, parcelCount: 3 }, { parcelCount: 2 })).toBe(false);
    expect(windowComplete(1, { shipments: 1, parcelCount: 1 }, {})).toBe(false);
  });

  it('names one execution per (owner, order, status), within Step Functions name rules', () => {
    const name = splitOrderExecutionName('ams', 'ord #1/ü'.repeat(20), 'out_for_delivery');
    expect(name).toMatch(/^[0-9A-Za-z_-]{1,80}$/);
    expect(splitOrderExecutionName('ams', ORDER, 'out_for_delivery')).toBe(splitOrderExecutionName('ams', ORDER, 'out_for_delivery'));
    expect(splitOrderExecutionName('ams', ORDER, 'out_for_delivery')).not.toBe(splitOrderExecutionName('ber', ORDER, 'out_for_delivery'));
    expect(splitOrderExecutionName('ams', ORDER, 'out_for_delivery')).not.toBe(splitOrderExecutionName('ams', ORDER, 'delivered'));
    // The execution that closes a complete window at once has a name of its own, within the same rules.
    const complete = splitOrderExecutionName('ams', 'ord #1/ü'.repeat(20), 'out_for_delivery', 'complete');
    expect(complete).toMatch(/^[0-9A-Za-z_-]{1,80}-out_for_delivery-all$/);
    expect(splitOrderExecutionName('ams', ORDER, 'delivered', 'complete')).not.toBe(splitOrderExecutionName('ams', ORDER, 'delivered'));
    // No part of the order id: it is the warehouse's to choose, and execution names show in the console and the logs.
    expect(splitOrderExecutionName('ams', '+447700900123', 'available_for_pickup', 'complete')).toMatch(
      /^order-[0-9a-f]{24}-available_for_pickup-all$/,
    );
  });

  it('combines the members still at the status into one message per channel naming every parcel, claimed per order', () => {
    const states = ['s-b', 's-a', 's-c'].map(
      (id, index) => stateAfter([created(id), status('out_for_delivery', id, 10 + index)]) as ShipmentState,
    );
    const moved = stateAfter([created('s-d'), status('out_for_delivery', 's-d', 10), status('delivered', 's-d', 20)]) as ShipmentState;
    const messages = combinedMessages(
      { owner: TEST_OWNER, orderId: ORDER, status: 'out_for_delivery' },
      [...states, moved],
      shipmentMessage,
    );
    expect(messages.map((message) => message.channel)).toEqual(['sms', 'email']);
    for (const message of messages) {
      expect(message.eventType).toBe('order.out_for_delivery');
      expect(message.notificationId).toBe(`order#${TEST_OWNER}#${ORDER}#out_for_delivery#${message.channel}`);
      expect(message.order).toEqual({
        orderId: ORDER,
        parcels: ['s-a', 's-b', 's-c'].map((id) => ({ shipmentId: id, trackingNumber: `TRK-${id}` })),
      });
      expect(claimKeyOf(message)).toEqual({ PK: `ORDER#${TEST_OWNER}#${ORDER}`, SK: `NOTIFICATION#out_for_delivery#${message.channel}` });
      // What the senders read back from their queue.
      expect(parseNotificationMessage(JSON.stringify(message))).toEqual(message);
    }
    const sms = renderSms(messages[0] as NotificationMessage);
    expect(sms.segments).toBe(1);
    expect(sms.text).toContain('Parcelcast: 3 paquetes de tu pedido ord-77 estan en reparto: TRK-s-a, TRK-s-b, TRK-s-c.');
    expect(renderEmail(messages[1] as NotificationMessage).subject).toBe('Tus paquetes están en reparto');
  });

  it('never names one customer’s parcel to another customer the warehouse put under the same order id: it is told on its own', () => {
    const bob = { id: 'cus-2', name: 'Bob', phone: '+34600999888', email: 'bob@example.com', locale: 'en' };
    const ana = ['s-a', 's-b'].map((id, index) => stateAfter([created(id), status('out_for_delivery', id, 10 + index)]) as ShipmentState);
    const bobs = stateAfter([
      shipmentCreated('s-z', 0, { orderId: ORDER, trackingNumber: 'TRK-s-z', customer: bob }) as ShipmentEvent,
      status('out_for_delivery', 's-z', 30),
    ]) as ShipmentState;
    const window = { owner: TEST_OWNER, orderId: ORDER, status: 'out_for_delivery' as const };
    for (const members of [
      [...ana, bobs],
      [bobs, ...ana],
    ]) {
      const messages = combinedMessages(window, members, shipmentMessage);
      const toAna = messages.filter((message) => message.customerId === 'cus-1');
      const toBob = messages.filter((message) => message.customerId === 'cus-2');
      expect(toAna.map((message) => [message.recipient, message.order?.parcels.map((parcel) => parcel.shipmentId)])).toEqual([
        ['+34600111222', ['s-a', 's-b']],
        ['ana@example.com', ['s-a', 's-b']],
      ]);
      expect(toBob.map((message) => [message.recipient, message.notificationId])).toEqual([
        ['+34600999888', 'shipment#s-z#out_for_delivery@2026-11-01T08:30:00.000Z#sms'],
        ['bob@example.com', 'shipment#s-z#out_for_delivery@2026-11-01T08:30:00.000Z#email'],
      ]);
    }
  });

  it('sends a window left with one parcel as that parcel’s own message, and an empty one as nothing', () => {
    const one = stateAfter([created('s-a'), status('delivered', 's-a', 10)]) as ShipmentState;
    const messages = combinedMessages({ owner: TEST_OWNER, orderId: ORDER, status: 'delivered' }, [one], shipmentMessage);
    expect(messages.map((message) => message.notificationId)).toEqual([
      'shipment#s-a#delivered@2026-11-01T08:10:00.000Z#sms',
      'shipment#s-a#delivered@2026-11-01T08:10:00.000Z#email',
    ]);
    expect(messages.every((message) => message.order === undefined)).toBe(true);
    expect(combinedMessages({ owner: TEST_OWNER, orderId: ORDER, status: 'delivered' }, [], shipmentMessage)).toEqual([]);
    // Another owner's shipment with the same order id is never named.
    expect(combinedMessages({ owner: 'other', orderId: ORDER, status: 'delivered' }, [one], shipmentMessage)).toEqual([]);
  });
});

describe('split orders: the stream router and the closing task', () => {
  it('holds three parcels of one order for one window and execution; the closing task publishes one message per channel, once', async () => {
    const orders = orderWindows(5);
    const publisher = recordingPublisher();
    const ports = routerPorts(publisher, { orders: orders.ports });
    const ids = ['s-1', 's-2', 's-3'];
    await routeShipmentChanges(
      ports,
      ids.map((id) => change([], created(id))),
    );
    const routed = await routeShipmentChanges(
      ports,
      ids.map((id, index) => change([created(id)], status('out_for_delivery', id, 10 + index))),
    );
    expect(routed).toMatchObject({ published: 0, held: 3, failedSequenceNumbers: [] });
    expect(publisher.published).toEqual([]);
    expect([...orders.started.entries()]).toEqual([
      [
        splitOrderExecutionName(TEST_OWNER, ORDER, 'out_for_delivery'),
        { owner: TEST_OWNER, orderId: ORDER, status: 'out_for_delivery', windowSeconds: 5 },
      ],
    ]);

    const states = new Map(
      ids.map((id, index) => [id, stateAfter([created(id), status('out_for_delivery', id, 10 + index)]) as ShipmentState]),
    );
    const closing = {
      windows: orders.windows,
      states: { currentState: async (id: string) => ({ state: states.get(id) as ShipmentState, statusReceivedAt: '' }) },
      publisher,
      counts: new MemoryCounts(),
      capOf: async () => 100,
      suppressions: { suppress: async () => undefined },
      clock: () => new Date(),
    };
    const closed = await closeOrderWindow(closing, { owner: TEST_OWNER, orderId: ORDER, status: 'out_for_delivery' });
    expect(closed).toMatchObject({ members: 3, named: 3, published: 2 });
    expect(publisher.published.map((message) => [message.notificationId, message.order?.parcels.length])).toEqual([
      [`order#${TEST_OWNER}#${ORDER}#out_for_delivery#sms`, 3],
      [`order#${TEST_OWNER}#${ORDER}#out_for_delivery#email`, 3],
    ]);

    // A fourth parcel that reaches the status after the window closed gets its own message.
    await routeShipmentChanges(ports, [change([], created('s-4'))]);
    const late = await routeShipmentChanges(ports, [change([created('s-4')], status('out_for_delivery', 's-4', 30))]);
    expect(late).toMatchObject({ published: 2, held: 0 });
    expect(publisher.published.slice(2).map((message) => message.notificationId)).toEqual([
      'shipment#s-4#out_for_delivery@2026-11-01T08:30:00.000Z#sms',
      'shipment#s-4#out_for_delivery@2026-11-01T08:30:00.000Z#email',
    ]);
  });

  it('never delays a one-parcel order', async () => {
    const orders = orderWindows();
    const publisher = recordingPublisher();
    const ports = routerPorts(publisher, { orders: orders.ports });
    await routeShipmentChanges(ports, [change([], created('solo', 'ord-solo'))]);
    const routed = await routeShipmentChanges(ports, [change([created('solo', 'ord-solo')], status('out_for_delivery', 'solo', 10))]);
    expect(routed).toMatchObject({ published: 2, held: 0 });
    expect(orders.started.size).toBe(0);
  });

  it('counts a shipment created in the same batch before judging its order, and once however often it is replayed', async () => {
    const orders = orderWindows();
    const ports = routerPorts(recordingPublisher(), { orders: orders.ports });
    const batch = [
      change([], created('x-1')),
      change([], created('x-1')),
      change([], created('x-2')),
      change([created('x-2')], status('delivered', 'x-2', 10)),
    ];
    const routed = await routeShipmentChanges(ports, batch);
    expect(await orders.windows.size(TEST_OWNER, ORDER)).toEqual({ shipments: 2 });
    expect(routed.held).toBe(1);
  });

  it('reports a record failed, and publishes nothing for it, when its window cannot be joined', async () => {
    const orders = orderWindows();
    orders.ports.windows.join = async () => {
      throw new Error('throttled');
    };
    const publisher = recordingPublisher();
    const ports = routerPorts(publisher, { orders: orders.ports });
    await routeShipmentChanges(ports, [change([], created('f-1')), change([], created('f-2'))]);
    const failing = change([created('f-1')], status('out_for_delivery', 'f-1', 10));
    const routed = await routeShipmentChanges(ports, [failing]);
    expect(routed.failedSequenceNumbers).toEqual([failing.sequenceNumber]);
    expect(publisher.published.filter((message) => message.eventType === 'shipment.out_for_delivery')).toEqual([]);
  });
  it('holds the first parcel of an order with a parcel count, and closes the window at once when the last one joins', async () => {
    const orders = orderWindows(600);
    const publisher = recordingPublisher();
    const ports = routerPorts(publisher, { orders: orders.ports });
    // The first parcel is out for delivery before the second exists.
    await routeShipmentChanges(ports, [change([], created('k-1', ORDER, 2))]);
    const first = await routeShipmentChanges(ports, [change([created('k-1', ORDER, 2)], status('out_for_delivery', 'k-1', 10))]);
    expect(first).toMatchObject({ published: 0, held: 1, failedSequenceNumbers: [] });
    const wait = splitOrderExecutionName(TEST_OWNER, ORDER, 'out_for_delivery');
    const complete = splitOrderExecutionName(TEST_OWNER, ORDER, 'out_for_delivery', 'complete');
    expect([...orders.started.keys()]).toEqual([wait]);

    await routeShipmentChanges(ports, [change([], created('k-2', ORDER, 2))]);
    const second = await routeShipmentChanges(ports, [change([created('k-2', ORDER, 2)], status('out_for_delivery', 'k-2', 20))]);
    expect(second).toMatchObject({ published: 0, held: 1, failedSequenceNumbers: [] });
    expect([...orders.started.entries()]).toEqual([
      [wait, { owner: TEST_OWNER, orderId: ORDER, status: 'out_for_delivery', windowSeconds: 600 }],
      [complete, { owner: TEST_OWNER, orderId: ORDER, status: 'out_for_delivery', windowSeconds: 0 }],
    ]);

    const states = new Map(
      ['k-1', 'k-2'].map((id, index) => [
        id,
        stateAfter([created(id, ORDER, 2), status('out_for_delivery', id, 10 * (index + 1))]) as ShipmentState,
      ]),
    );
    const counts = new MemoryCounts();
    const closing = {
      windows: orders.windows,
      states: { currentState: async (id: string) => ({ state: states.get(id) as ShipmentState, statusReceivedAt: '' }) },
      publisher,
      counts,
      capOf: async () => 100,
      suppressions: { suppress: async () => undefined },
      clock: () => new Date(),
    };
    const window = { owner: TEST_OWNER, orderId: ORDER, status: 'out_for_delivery' as const };
    // The complete execution closes and publishes; the waiting one, when its time is up, finds it published.
    expect(await closeOrderWindow(closing, window)).toMatchObject({ members: 2, named: 2, published: 2 });
    expect(await closeOrderWindow(closing, window)).toMatchObject({ members: 2, named: 0, published: 0, suppressed: 0 });
    expect(publisher.published.map((message) => message.notificationId)).toEqual([
      `order#${TEST_OWNER}#${ORDER}#out_for_delivery#sms`,
      `order#${TEST_OWNER}#${ORDER}#out_for_delivery#email`,
    ]);
    // Counted against the daily cap once.
    expect([...counts.totals.values()].reduce((sum, count) => sum + count, 0)).toBe(2);

    // A member's record replayed after the close is still held: the combined message names it.
    const replay = await routeShipmentChanges(ports, [change([created('k-2', ORDER, 2)], status('out_for_delivery', 'k-2', 20))]);
    expect(replay).toMatchObject({ published: 0, held: 1 });
    expect(publisher.published).toHaveLength(2);
  });

  it('tells a member of a closed window that enters the status again (a new episode) on its own, never holds it for the window that went', async () => {
    const orders = orderWindows(600);
    const publisher = recordingPublisher();
    const ports = routerPorts(publisher, { orders: orders.ports });
    const story = (id: string) => [created(id, ORDER, 2), status('out_for_delivery', id, id === 'e-1' ? 10 : 20)];
    await routeShipmentChanges(ports, [change([], created('e-1', ORDER, 2)), change([], created('e-2', ORDER, 2))]);
    await routeShipmentChanges(ports, [change([created('e-1', ORDER, 2)], story('e-1')[1] as ShipmentEvent)]);
    await routeShipmentChanges(ports, [change([created('e-2', ORDER, 2)], story('e-2')[1] as ShipmentEvent)]);
    const states = new Map(['e-1', 'e-2'].map((id) => [id, stateAfter(story(id)) as ShipmentState]));
    const closing = {
      windows: orders.windows,
      states: { currentState: async (id: string) => ({ state: states.get(id) as ShipmentState, statusReceivedAt: '' }) },
      publisher,
      counts: new MemoryCounts(),
      capOf: async () => 100,
      suppressions: { suppress: async () => undefined },
      clock: () => new Date(),
    };
    const window = { owner: TEST_OWNER, orderId: ORDER, status: 'out_for_delivery' as const };
    expect(await closeOrderWindow(closing, window)).toMatchObject({ named: 2, published: 2 });

    // The first parcel is missed, then out for delivery again the next day: a new episode, told.
    const missed = [...story('e-1'), status('attempted_delivery', 'e-1', 40)];
    await routeShipmentChanges(ports, [change(story('e-1'), missed.at(-1) as ShipmentEvent)]);
    const again = change(missed, status('out_for_delivery', 'e-1', 24 * 60));
    const routed = await routeShipmentChanges(ports, [again]);
    expect(routed).toMatchObject({ held: 0, failedSequenceNumbers: [] });
    const told = [
      'shipment#e-1#out_for_delivery@2026-11-02T08:00:00.000Z#sms',
      'shipment#e-1#out_for_delivery@2026-11-02T08:00:00.000Z#email',
    ];
    expect(publisher.published.slice(-2).map((message) => message.notificationId)).toEqual(told);
    // Its record redelivered is the same episode: the same messages, which the senders' claims drop.
    expect(await routeShipmentChanges(ports, [again])).toMatchObject({ held: 0, published: 2 });
    expect(publisher.published.slice(-2).map((message) => message.notificationId)).toEqual(told);
  });

  it('keeps the largest parcel count an order was given, so a smaller one never closes a window early', async () => {
    const orders = orderWindows();
    const ports = routerPorts(recordingPublisher(), { orders: orders.ports });
    await routeShipmentChanges(ports, [change([], created('m-1', ORDER, 3)), change([], created('m-2', ORDER, 2))]);
    expect(await orders.windows.size(TEST_OWNER, ORDER)).toEqual({ shipments: 2, parcelCount: 3 });
    await routeShipmentChanges(ports, [
      change([created('m-1', ORDER, 3)], status('delivered', 'm-1', 10)),
      change([created('m-2', ORDER, 2)], status('delivered', 'm-2', 11)),
    ]);
    expect([...orders.started.keys()]).toEqual([splitOrderExecutionName(TEST_OWNER, ORDER, 'delivered')]);
  });
});
