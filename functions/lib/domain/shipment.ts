import type { Channel, ShipmentEvent } from './cloud-events.ts';
import type { EstimatedDelivery } from './estimated-delivery.ts';
import { idDigest } from './id-digest.ts';

/**
 * The shipment's rules. A shipment is its history (one entry per event, kept apart, paged in
 * time order) and its current state, which `mergeEvent` folds one entry at a time. Every field of
 * the state is a register that keeps the value of the entry with the highest precedence mark, so
 * the same set of entries gives the same state in whatever order and however often they are
 * merged (docs/data-model.md, "Precedence").
 */

export const SHIPMENT_STATUSES = [
  'created',
  'picked',
  'packed',
  'shipped',
  'in_transit',
  'out_for_delivery',
  'delivery_failed',
  'attempted_delivery',
  'available_for_pickup',
  'delivered',
  'returned',
  'cancelled',
  'returned_to_sender',
] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/**
 * Stages order the lifecycle: the one place carriers' milestones are given their place. A status
 * may only be replaced by one of a later stage, or by a later event (by `time`) of the same stage.
 * in_transit, out_for_delivery, delivery_failed, attempted_delivery and available_for_pickup share
 * a stage because after any of them the parcel may move again: another attempt, or a pickup point
 * handing it over. Terminal statuses (returned, cancelled) share a stage and the first one reached
 * stays; returned_to_sender, the parcel back at the warehouse, is the only one after them, so the
 * customer hears that a return (or a cancelled shipment already on its way) has ended.
 * `delivered_to_neighbour` and `safe_place` are not statuses: they are how a parcel was delivered
 * (`deliveredTo` on shipment.delivered).
 */
const STAGE: Record<ShipmentStatus, number> = {
  created: 0,
  picked: 1,
  packed: 2,
  shipped: 3,
  in_transit: 4,
  out_for_delivery: 4,
  delivery_failed: 4,
  attempted_delivery: 4,
  available_for_pickup: 4,
  delivered: 5,
  returned: 6,
  cancelled: 6,
  returned_to_sender: 7,
};
/**
 * Breaks ties between statuses of one stage that happened at the same instant. Part of every stored
 * timeline key (timelineKey), so a digit once given never changes.
 */
const WITHIN_STAGE: Partial<Record<ShipmentStatus, number>> = {
  out_for_delivery: 1,
  delivery_failed: 2,
  attempted_delivery: 3,
  available_for_pickup: 4,
};
const TERMINAL_STAGE = STAGE.returned;

export function isTerminal(status: ShipmentStatus): boolean {
  return STAGE[status] >= TERMINAL_STAGE;
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

/** One event as recorded in a shipment's history. (owner, source, id) is its idempotency key. */
export interface ShipmentEntry {
  /** The warehouse that sent it, which owns the shipment. */
  owner: string;
  source: string;
  id: string;
  status: ShipmentStatus;
  /** When it happened at the warehouse, normalised to UTC (24 characters: it sorts as text). */
  time: string;
  data: Record<string, unknown>;
  /** When Parcelcast received it (the request's receipt time, UTC). */
  receivedAt: string;
  /** Its index in the request that brought it: later in a batch is received later. */
  position: number;
}

/** How the request that brought an event is remembered: when, and where in it. */
export interface Receipt {
  receivedAt: string;
  position: number;
}

export function toShipmentEntry(event: ShipmentEvent, owner: string, receipt: Receipt): ShipmentEntry {
  return {
    owner,
    source: event.source,
    id: event.id,
    status: statusOf(event.type),
    time: new Date(event.time).toISOString(),
    data: event.data as Record<string, unknown>,
    receivedAt: receipt.receivedAt,
    position: receipt.position,
  };
}

const part = (value: string) => encodeURIComponent(value);
const stageDigits = (status: ShipmentStatus) => String(STAGE[status] * 10 + (WITHIN_STAGE[status] ?? 0)).padStart(2, '0');

/**
 * The entry's place in history, as text that sorts in it: `<time>#<stage>#<owner>#<source>#<id>`
 * (the parts after the stage URI-encoded, so a `#` inside one cannot reorder two keys). By time,
 * then stage (so of two events at one instant the later stage comes last), then the idempotency
 * key, which makes the order total. It is the sort key of the table's `Timeline` index and every
 * event-time precedence rule below compares it.
 */
export function timelineKey(entry: Pick<ShipmentEntry, 'time' | 'status' | 'owner' | 'source' | 'id'>): string {
  return `${entry.time}#${stageDigits(entry.status)}#${part(entry.owner)}#${part(entry.source)}#${part(entry.id)}`;
}

/**
 * The entry's place in receipt order: `<receivedAt>#<position>#<source>#<id>`, the idempotency key
 * making it total within a shipment (its owner is the shipment's). Built from what is stored with
 * the entry, so a repeat of an old event is merged with its first receipt, never as a new one.
 */
export function receiptKey(entry: Pick<ShipmentEntry, 'receivedAt' | 'position' | 'source' | 'id'>): string {
  return `${entry.receivedAt}#${String(entry.position).padStart(3, '0')}#${part(entry.source)}#${part(entry.id)}`;
}

/** The details a shipment carries, each the value of the latest event by time that carries it. */
export const DETAIL_FIELDS = ['orderId', 'carrier', 'trackingNumber', 'trackingUrl', 'promisedBy', 'eta'] as const;
export type DetailField = (typeof DETAIL_FIELDS)[number];

/**
 * The estimate registers: the current estimate is the latest event's by time that carries one, the
 * original the earliest's (what the read API shows beside it).
 */
export const ESTIMATE_FIELDS = ['estimatedDelivery', 'originalEstimatedDelivery'] as const;
export type EstimateField = (typeof ESTIMATE_FIELDS)[number];

/** The precedence mark of each register of the state: timeline keys, and a receipt key for the customer. */
export type StateMarks = { status: string; customer?: string } & Partial<Record<DetailField | EstimateField, string>>;

/**
 * The current state of a shipment: small and bounded whatever its history (no timeline in it).
 */
export interface ShipmentState {
  shipmentId: string;
  /** The warehouse that wrote its first event; only it may write more. */
  owner: string;
  status: ShipmentStatus;
  /** When the current status happened (UTC). */
  statusTime: string;
  /**
   * What the current status's own event said (reason, location, signedBy, nextAttemptAt,
   * pickupPoint, collectBy, deliveredTo), for messages.
   */
  statusDetails: Record<string, string>;
  customer?: Customer;
  orderId?: string;
  /**
   * How many parcels the order ships in, as the event that set `orderId` said (docs/alerts.md,
   * "Known parcel count"): it rides with `orderId`, one register, so the two always agree.
   */
  parcelCount?: number;
  carrier?: string;
  trackingNumber?: string;
  trackingUrl?: string;
  promisedBy?: string;
  eta?: string;
  /** When the parcel is expected now, and what was first said (docs/data-model.md, "Precedence"). */
  estimatedDelivery?: EstimatedDelivery;
  originalEstimatedDelivery?: EstimatedDelivery;
  /**
   * How many times the shipment entered each status, counted by `recordEntry` (status-episodes.ts)
   * as writes arrive: a tally, not a register, so mergeEvent only carries it along.
   */
  statusEntries?: Partial<Record<ShipmentStatus, number>>;
  marks: StateMarks;
}

/** Fields of an event's data that are not the status's own details. */
const NOT_STATUS_DETAILS: ReadonlySet<string> = new Set(['shipmentId', 'customer', 'estimatedDelivery', 'parcelCount', ...DETAIL_FIELDS]);

function statusDetailsOf(entry: ShipmentEntry): Record<string, string> {
  const details: Record<string, string> = {};
  for (const [field, value] of Object.entries(entry.data)) {
    if (!NOT_STATUS_DETAILS.has(field) && typeof value === 'string') details[field] = value;
  }
  return details;
}

/** Does a status set by the entry with key `candidate` take over from the one set by `current`? */
export function supersedes(candidate: { status: ShipmentStatus; key: string }, current: { status: ShipmentStatus; key: string }): boolean {
  const stageDelta = STAGE[candidate.status] - STAGE[current.status];
  if (stageDelta !== 0) return stageDelta > 0;
  if (candidate.key === current.key) return false;
  // The first terminal status reached in a stage is final; otherwise the later event of the stage wins.
  return isTerminal(candidate.status) ? candidate.key < current.key : candidate.key > current.key;
}

/** The shipment's state is another warehouse's: an entry of one owner never merges into another's. */
export class ForeignEntryError extends Error {
  override readonly name = 'ForeignEntryError';
}

/**
 * Folds one entry into the state (undefined before the shipment's first entry). Each register
 * takes the entry's value only if the entry's mark outranks the register's, so merging is
 * commutative and idempotent: any order of the same entries gives the same state, and an entry
 * merged again returns the very same state object (the store then writes nothing).
 * - status (with statusTime and statusDetails): the entry that `supersedes` all others;
 * - each detail field: the latest entry by timeline key that carries it;
 * - estimatedDelivery the latest entry by timeline key that carries one, originalEstimatedDelivery the earliest;
 * - customer: the latest `shipment.created` by receipt key, whatever `time` it carries, so the
 *   warehouse's newest correction of a contact wins.
 */
export function mergeEvent(state: ShipmentState | undefined, entry: ShipmentEntry): ShipmentState {
  const key = timelineKey(entry);
  if (state && state.owner !== entry.owner)
    throw new ForeignEntryError(`an entry of another warehouse for shipment ${idDigest(state.shipmentId)}`);
  let next: ShipmentState | undefined;
  const change = () => {
    next ??= state ? { ...state, marks: { ...state.marks } } : undefined;
    return next as ShipmentState;
  };

  if (!state) {
    next = {
      shipmentId: String(entry.data.shipmentId),
      owner: entry.owner,
      status: entry.status,
      statusTime: entry.time,
      statusDetails: statusDetailsOf(entry),
      marks: { status: key },
    };
  } else if (supersedes({ status: entry.status, key }, { status: state.status, key: state.marks.status })) {
    Object.assign(change(), { status: entry.status, statusTime: entry.time, statusDetails: statusDetailsOf(entry) });
    change().marks.status = key;
  }

  for (const field of DETAIL_FIELDS) {
    const value = entry.data[field];
    if (typeof value !== 'string') continue;
    const mark = (next ?? state)?.marks[field];
    if (mark !== undefined && mark >= key) continue;
    change()[field] = value;
    change().marks[field] = key;
    if (field === 'orderId') {
      const count = entry.data.parcelCount;
      if (typeof count === 'number') change().parcelCount = count;
      else delete change().parcelCount;
    }
  }

  const estimate = entry.data.estimatedDelivery as EstimatedDelivery | undefined;
  if (estimate) {
    const current = (next ?? state)?.marks.estimatedDelivery;
    if (current === undefined || current < key) {
      change().estimatedDelivery = estimate;
      change().marks.estimatedDelivery = key;
    }
    const original = (next ?? state)?.marks.originalEstimatedDelivery;
    if (original === undefined || key < original) {
      change().originalEstimatedDelivery = estimate;
      change().marks.originalEstimatedDelivery = key;
    }
  }

  if (entry.status === 'created' && entry.data.customer) {
    const receipt = receiptKey(entry);
    const mark = (next ?? state)?.marks.customer;
    if (mark === undefined || mark < receipt) {
      change().customer = entry.data.customer as Customer;
      change().marks.customer = receipt;
    }
  }
  return next ?? (state as ShipmentState);
}
