import type { Channel, ShipmentEvent } from './cloud-events.ts';

/**
 * The shipment aggregate and its rules. Pure: the same set of events always folds to the
 * same shipment, in whatever order and however often they arrive.
 */

export const SHIPMENT_STATUSES = [
  'created',
  'picked',
  'packed',
  'shipped',
  'in_transit',
  'out_for_delivery',
  'delivery_failed',
  'delivered',
  'returned',
  'cancelled',
] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/**
 * Stages order the lifecycle. A status may only be replaced by one of a later stage, or by a
 * later event (by `time`) of the same stage. in_transit, out_for_delivery and delivery_failed
 * share a stage because a failed delivery is followed by another attempt. Terminal statuses
 * (returned, cancelled) share the last stage and the first one reached stays.
 */
const STAGE: Record<ShipmentStatus, number> = {
  created: 0,
  picked: 1,
  packed: 2,
  shipped: 3,
  in_transit: 4,
  out_for_delivery: 4,
  delivery_failed: 4,
  delivered: 5,
  returned: 6,
  cancelled: 6,
};
/** Breaks ties between statuses of one stage that happened at the same instant. */
const WITHIN_STAGE: Partial<Record<ShipmentStatus, number>> = { out_for_delivery: 1, delivery_failed: 2 };
const TERMINAL_STAGE = STAGE.returned;

export function isTerminal(status: ShipmentStatus): boolean {
  return STAGE[status] === TERMINAL_STAGE;
}

export function statusOf(type: ShipmentEvent['type']): ShipmentStatus {
  return type.slice('shipment.'.length) as ShipmentStatus;
}

export interface Customer {
  id: string;
  name?: string;
  phone?: string;
  email?: string;
  locale?: string;
  timeZone?: string;
  channels?: Channel[];
}

/** One event as kept in a shipment's history. */
export interface TimelineEntry {
  /** Idempotency key of the event: its source and id. */
  source: string;
  id: string;
  status: ShipmentStatus;
  /** When it happened at the warehouse, normalised to UTC. */
  time: string;
  data: Record<string, unknown>;
}

export interface Shipment {
  shipmentId: string;
  orderId?: string;
  status: ShipmentStatus;
  statusTime: string;
  customer?: Customer;
  carrier?: string;
  trackingNumber?: string;
  trackingUrl?: string;
  promisedBy?: string;
  eta?: string;
  /** Every event ever recorded for the shipment, ordered by time. */
  timeline: TimelineEntry[];
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A total order of history: by time, then stage, then idempotency key. */
function chronological(a: TimelineEntry, b: TimelineEntry): number {
  return (
    compareText(a.time, b.time) ||
    STAGE[a.status] - STAGE[b.status] ||
    (WITHIN_STAGE[a.status] ?? 0) - (WITHIN_STAGE[b.status] ?? 0) ||
    compareText(a.source, b.source) ||
    compareText(a.id, b.id)
  );
}

/** Does `candidate` take over the current status from `current`? */
export function supersedes(candidate: TimelineEntry, current: TimelineEntry): boolean {
  const stageDelta = STAGE[candidate.status] - STAGE[current.status];
  if (stageDelta !== 0) return stageDelta > 0;
  const order = chronological(candidate, current);
  // The first terminal status reached is final; otherwise the later event of the stage wins.
  return isTerminal(candidate.status) ? order < 0 : order > 0;
}

export function toTimelineEntry(event: ShipmentEvent): TimelineEntry {
  return {
    source: event.source,
    id: event.id,
    status: statusOf(event.type),
    time: new Date(event.time).toISOString(),
    data: event.data as Record<string, unknown>,
  };
}

function sameEvent(a: TimelineEntry, b: TimelineEntry): boolean {
  return a.source === b.source && a.id === b.id;
}

const DETAIL_FIELDS = ['orderId', 'carrier', 'trackingNumber', 'trackingUrl', 'promisedBy', 'eta'] as const;

/** Derives the whole aggregate from its history; the only place shipment state is computed. */
export function projectShipment(shipmentId: string, history: readonly TimelineEntry[]): Shipment {
  const timeline = [...history].sort(chronological);
  const first = timeline[0];
  if (!first) throw new RangeError('a shipment needs at least one event');
  let current = first;
  const shipment: Shipment = { shipmentId, status: first.status, statusTime: first.time, timeline };
  for (const entry of timeline) {
    if (supersedes(entry, current)) current = entry;
    // Later facts override earlier ones (a re-labelled parcel gets a new tracking number).
    for (const field of DETAIL_FIELDS) {
      const value = entry.data[field];
      if (typeof value === 'string') shipment[field] = value;
    }
    if (entry.status === 'created' && entry.data.customer) shipment.customer = entry.data.customer as Customer;
  }
  shipment.status = current.status;
  shipment.statusTime = current.time;
  return shipment;
}

/**
 * Folds one event into the shipment (undefined before its first event). A duplicate
 * (same source and id) returns the shipment unchanged.
 */
export function applyEvent(shipment: Shipment | undefined, event: ShipmentEvent): Shipment {
  const entry = toTimelineEntry(event);
  if (!shipment) return projectShipment(event.data.shipmentId, [entry]);
  if (shipment.timeline.some((known) => sameEvent(known, entry))) return shipment;
  return projectShipment(shipment.shipmentId, [...shipment.timeline, entry]);
}

/** The shipment's history no longer fits in one stored item; the event is refused, nothing changes. */
export class ShipmentHistoryFullError extends Error {
  override readonly name = 'ShipmentHistoryFullError';
}
