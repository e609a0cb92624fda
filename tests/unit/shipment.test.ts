import { describe, expect, it } from 'vitest';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import {
  mergeEvent,
  receiptKey,
  type ShipmentEntry,
  type ShipmentState,
  timelineKey,
  toShipmentEntry,
} from '../../functions/lib/domain/shipment.ts';
import { type cloudEvent, customer, shipmentCreated, shipmentStatus } from '../support/events.ts';

// The shipment's rules (docs/data-model.md, "Precedence"), pure: entries in, state out.
const ID = 'shp-rules';
const OWNER = 'ams';
const RECEIVED = Date.UTC(2026, 10, 2, 8, 0);
let received = 0;

/** A validated shipment event as the store records it: for OWNER, received after every entry made before it. */
function event(raw: ReturnType<typeof cloudEvent>): ShipmentEntry {
  received += 1;
  const validated = parseEvents(raw).events[0] as ShipmentEvent;
  return toShipmentEntry(validated, OWNER, { receivedAt: new Date(RECEIVED + received * 1000).toISOString(), position: 0 });
}

const created = (minute: number, extra: Record<string, unknown> = {}) => event(shipmentCreated(ID, minute, extra));
const status = (name: string, minute: number, extra: Record<string, unknown> = {}) =>
  name === 'created' ? created(minute, extra) : event(shipmentStatus(name, ID, minute, extra));
const failed = (minute: number) => status('delivery_failed', minute, { reason: 'nobody home' });

/** Merges entries in arrival order, as the store does one request at a time. */
function fold(...entries: ShipmentEntry[]): ShipmentState {
  return entries.reduce<ShipmentState | undefined>(mergeEvent, undefined)!;
}

describe('status order', () => {
  const lifecycle = ['created', 'picked', 'packed', 'shipped', 'in_transit', 'out_for_delivery', 'delivered'];
  const pairs = lifecycle.slice(1).map((next, index) => [lifecycle[index]!, next] as const);

  it.each(pairs)('moves from %s to %s when the later status arrives', (from, to) => {
    const shipment = fold(status(from, 1), status(to, 2));
    expect(shipment.status).toBe(to);
  });

  it.each(pairs.map(([from, to]) => [to, from] as const))('stays at %s when an older %s arrives after it', (to, from) => {
    const shipment = fold(status(to, 2), status(from, 1));
    expect(shipment.status).toBe(to);
  });

  it('does not move back to an earlier stage even for a newer event', () => {
    const shipment = fold(created(0), status('out_for_delivery', 30), status('picked', 40));
    expect(shipment.status).toBe('out_for_delivery');
  });

  it('moves forward to a later stage even when that event is older than the current one', () => {
    const shipment = fold(created(0), status('in_transit', 20), status('delivered', 10));
    expect(shipment.status).toBe('delivered');
  });

  it('records the time of the event that set the status, in UTC', () => {
    const shipped = event({ ...shipmentStatus('shipped', ID, 0), time: '2026-11-01T10:30:00+02:00' });
    const shipment = fold(created(0), shipped);
    expect(shipment.statusTime).toBe('2026-11-01T08:30:00.000Z');
  });

  it('orders history by when each event happened, whatever order they arrived in', () => {
    const arrivals = [status('shipped', 30), created(0), status('packed', 20), status('picked', 10)];
    const history = [...arrivals].sort((a, b) => (timelineKey(a) < timelineKey(b) ? -1 : 1));
    expect(history.map((entry) => entry.status)).toEqual(['created', 'picked', 'packed', 'shipped']);
  });

  it('orders two events of one instant by stage, so history reads as it happened', () => {
    const [shipped, packed] = [status('shipped', 10), status('packed', 10)] as [ShipmentEntry, ShipmentEntry];
    expect(timelineKey(packed) < timelineKey(shipped)).toBe(true);
  });
});

describe('failed deliveries', () => {
  it('moves to delivery_failed after out_for_delivery', () => {
    const shipment = fold(status('out_for_delivery', 10), failed(20));
    expect(shipment.status).toBe('delivery_failed');
  });

  it('moves on to a later attempt (in_transit) after delivery_failed', () => {
    const shipment = fold(status('out_for_delivery', 10), failed(20), status('in_transit', 30));
    expect(shipment.status).toBe('in_transit');
  });

  it('moves on to a later out_for_delivery after delivery_failed', () => {
    const shipment = fold(status('out_for_delivery', 10), failed(20), status('out_for_delivery', 30));
    expect(shipment.status).toBe('out_for_delivery');
  });

  it('stays at delivery_failed when an in_transit older than the failure arrives late', () => {
    const shipment = fold(status('out_for_delivery', 10), failed(20), status('in_transit', 15));
    expect(shipment.status).toBe('delivery_failed');
  });

  it('takes the failure over an out_for_delivery of the same instant', () => {
    const shipment = fold(failed(20), status('out_for_delivery', 20));
    expect(shipment.status).toBe('delivery_failed');
  });

  it('moves to delivered after delivery_failed', () => {
    const shipment = fold(failed(20), status('delivered', 40));
    expect(shipment.status).toBe('delivered');
  });
});

describe('terminal statuses', () => {
  it.each([
    ['cancelled', 'returned'],
    ['returned', 'cancelled'],
  ])('stays %s when a later %s arrives', (first, second) => {
    const shipment = fold(status(first, 10, { reason: 'r' }), status(second, 20, { reason: 'r' }));
    expect(shipment.status).toBe(first);
  });

  it('takes the terminal status that happened first, even when it arrives last', () => {
    const shipment = fold(status('cancelled', 20), status('returned', 10));
    expect(shipment.status).toBe('returned');
  });

  it.each(['picked', 'shipped', 'out_for_delivery', 'delivered'])('stays cancelled when a later %s arrives', (later) => {
    const shipment = fold(created(0), status('cancelled', 10), status(later, 20));
    expect(shipment.status).toBe('cancelled');
  });

  it('moves from delivered to returned', () => {
    const shipment = fold(status('delivered', 10), status('returned', 20));
    expect(shipment.status).toBe('returned');
  });
});

describe('events before shipment.created', () => {
  it('keeps a status event that arrives before the shipment is created, without a customer', () => {
    const shipment = fold(status('shipped', 10, { carrier: 'DHL' }));
    const { status: current, carrier, customer: contact, orderId } = shipment;
    expect({ current, carrier, contact, orderId }).toEqual({ current: 'shipped', carrier: 'DHL', contact: undefined, orderId: undefined });
  });

  it('keeps the later status and fills in the order and customer when shipment.created arrives after it', () => {
    const shipment = fold(status('shipped', 10), created(0));
    expect(shipment).toMatchObject({ status: 'shipped', orderId: `ord-${ID}`, customer: { id: customer.id, phone: customer.phone } });
  });
});

describe('merging again', () => {
  it('returns the very same state when an entry is merged again', () => {
    const shipped = status('shipped', 10);
    const shipment = fold(created(0), shipped);
    expect(mergeEvent(shipment, shipped)).toBe(shipment);
  });

  it('returns the very same state for an older entry that changes nothing', () => {
    const shipment = fold(created(0), status('shipped', 10));
    expect(mergeEvent(shipment, status('picked', 5))).toBe(shipment);
  });

  it('treats the same id from another source as a different event', () => {
    const picked = status('picked', 10);
    const other = event({ ...shipmentStatus('packed', ID, 20), id: picked.id, source: '//warehouse/mad-2' });
    expect(fold(created(0), picked, other).status).toBe('packed');
  });

  it("refuses to merge another warehouse's entry into a state", () => {
    const shipment = fold(created(0));
    expect(() => mergeEvent(shipment, { ...status('shipped', 10), owner: 'mad' })).toThrow(/another warehouse/);
  });
});

describe("the current status's own details", () => {
  it("keeps the reason of a failed delivery for the customer's message", () => {
    const shipment = fold(created(0), status('delivery_failed', 10, { reason: 'nobody home', nextAttemptAt: '2026-11-02T09:00:00Z' }));
    expect(shipment.statusDetails).toEqual({ reason: 'nobody home', nextAttemptAt: '2026-11-02T09:00:00Z' });
  });

  it('drops them when the status moves on, and keeps them when an older event arrives', () => {
    const failedFirst = fold(failed(10), status('delivered', 20, { signedBy: 'neighbour' }));
    expect(failedFirst.statusDetails).toEqual({ signedBy: 'neighbour' });
    expect(fold(failed(10), status('in_transit', 5, { location: 'Lyon' })).statusDetails).toEqual({ reason: 'nobody home' });
  });

  it('holds no detail that is a field of the shipment itself', () => {
    expect(fold(status('shipped', 10, { carrier: 'DHL' })).statusDetails).toEqual({});
  });
});

describe('the customer: the newest correction by receipt wins', () => {
  const contact = (phone: string, minute: number) => created(minute, { customer: { ...customer, phone } });

  it('takes the later-received shipment.created even when it says it happened earlier', () => {
    const first = contact('+34600000001', 30);
    const correction = contact('+34600000002', 0);
    expect(fold(first, correction).customer?.phone).toBe('+34600000002');
    expect(fold(correction, first).customer?.phone).toBe('+34600000002');
  });

  it('is not moved by an old shipment.created merged again with its first receipt', () => {
    const first = contact('+34600000001', 0);
    const correction = contact('+34600000002', 5);
    const shipment = fold(first, correction);
    expect(mergeEvent(shipment, first)).toBe(shipment);
  });

  it('orders two corrections of one request by their place in it', () => {
    const receivedAt = '2026-11-03T08:00:00.000Z';
    const [a, b] = [contact('+34600000001', 9), contact('+34600000002', 1)].map((entry, position) => ({ ...entry, receivedAt, position }));
    expect(receiptKey(a as ShipmentEntry) < receiptKey(b as ShipmentEntry)).toBe(true);
    expect(fold(b as ShipmentEntry, a as ShipmentEntry).customer?.phone).toBe('+34600000002');
  });

  it('keeps the order and promised date of the latest shipment.created by event time', () => {
    const late = created(30, { orderId: 'ord-late', promisedBy: '2026-11-09T18:00:00Z' });
    const early = created(0, { orderId: 'ord-early', promisedBy: '2026-11-05T18:00:00Z' });
    expect(fold(late, early)).toMatchObject({ orderId: 'ord-late', promisedBy: '2026-11-09T18:00:00Z' });
  });
});

describe('details', () => {
  it('takes the carrier and tracking number of the later event', () => {
    const shipment = fold(
      created(0, { carrier: 'DHL', trackingNumber: 'JD0001' }),
      status('shipped', 10, { carrier: 'UPS', trackingNumber: '1Z999' }),
    );
    expect(shipment).toMatchObject({ carrier: 'UPS', trackingNumber: '1Z999' });
  });

  it('takes the carrier of the later event even when it arrives first', () => {
    const shipment = fold(status('shipped', 10, { carrier: 'UPS' }), created(0, { carrier: 'DHL' }));
    expect(shipment.carrier).toBe('UPS');
  });

  it('keeps a detail that a later event does not mention', () => {
    const shipment = fold(status('shipped', 10, { trackingNumber: 'JD0001' }), status('in_transit', 20, { location: 'Madrid' }));
    expect(shipment.trackingNumber).toBe('JD0001');
  });

  it('takes the eta of out_for_delivery', () => {
    const shipment = fold(created(0), status('out_for_delivery', 10, { eta: '2026-11-01T18:00:00Z' }));
    expect(shipment.eta).toBe('2026-11-01T18:00:00Z');
  });
});
