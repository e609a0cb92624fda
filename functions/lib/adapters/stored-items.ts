import * as z from 'zod/mini';
import type { ShipmentStatusView } from '#domain/changes.ts';
import { CHANNELS, type Channel } from '#domain/channels.ts';
import { contentDigest } from '#domain/cloud-events.ts';
import { DELIVERY_STATUSES, type DeliveryStatus, SUPPRESSION_REASONS, type SuppressedBecause } from '#domain/delivery-status.ts';
import type { EstimatedDelivery } from '#domain/estimated-delivery.ts';
import { parseNotificationMessage } from '#domain/notification-message-schema.ts';
import type { ClaimState } from '#domain/notification-ports.ts';
import type { NotificationRecord, WalletHead, WalletSnapshot } from '#domain/ports.ts';
import { PREFERENCE_LEVELS, type PreferenceLevel } from '#domain/preferences.ts';
import {
  type Customer,
  DETAIL_FIELDS,
  ESTIMATE_FIELDS,
  SHIPMENT_STATUSES,
  type ShipmentEntry,
  type ShipmentState,
  type ShipmentStatus,
  type StateMarks,
  statusOf,
} from '#domain/shipment.ts';
import type { SuppressionEntry } from '#domain/suppression.ts';

/**
 * Decoders of the items the adapters read back from the single table (docs/data-model.md), and
 * of the same items in stream images (stream-images.ts). Ingest validated everything once on the
 * way in; reading it back is checked again, because an item that no longer has the shape the code
 * expects (an older writer, a hand edit) must fail loudly at the edge, naming the item, instead of
 * travelling on as a wrongly typed object. Each decoder keeps only the attributes it names, so
 * keys and bookkeeping attributes (PK, SK, entity, updatedAt, …) never leak into domain objects.
 */

/** An item that does not have the shape its kind requires. */
export class UnreadableItemError extends Error {
  override readonly name = 'UnreadableItemError';
}

function decoder<S extends z.ZodMiniType>(kind: string, schema: S) {
  return (item: unknown): z.output<S> => {
    const result = schema.safeParse(item);
    if (result.success) return result.data;
    const where = result.error.issues.map((issue) => issue.path.join('.') || '(item)').join(', ');
    throw new UnreadableItemError(`${kind} item is not readable at ${where}`);
  };
}

const text = z.string();
const optionalText = z.optional(z.string());

const customer = z.object({
  id: text,
  name: optionalText,
  phone: optionalText,
  email: optionalText,
  locale: optionalText,
  timeZone: optionalText,
  channels: z.optional(z.array(z.enum(CHANNELS))),
});

/**
 * A shipment state item stores the precedence mark of each register once per distinct mark: the
 * marks of the few events its values came from, listed in `marks`, and `markOf`, one character per
 * register in REGISTERS order, the index of its mark in that list or `-` when the register is
 * empty (several registers nearly always share one event's mark). It keeps the item small, under
 * 1 KB for ordinary shipments (docs/data-model.md). The status's time is its mark's first 24
 * characters.
 */
const REGISTERS = ['status', 'customer', ...DETAIL_FIELDS, ...ESTIMATE_FIELDS] as const;
/** Items written before the estimate registers existed have a shorter markOf: their missing registers are empty. */
const OLDEST_REGISTER_COUNT = REGISTERS.length - ESTIMATE_FIELDS.length;
const EMPTY_REGISTER = '-';

/** The stored form of a state's marks (see REGISTERS); at most one distinct mark per register, so one digit each. */
export function encodeMarks(marks: StateMarks): { marks: string[]; markOf: string } {
  const list: string[] = [];
  let markOf = '';
  for (const register of REGISTERS) {
    const mark = marks[register];
    if (mark === undefined) {
      markOf += EMPTY_REGISTER;
      continue;
    }
    let index = list.indexOf(mark);
    if (index < 0) index = list.push(mark) - 1;
    markOf += String(index);
  }
  return { marks: list, markOf };
}

/**
 * The stored form of a state's `statusEntries` (status-episodes.ts): one count per status, in this
 * order, joined by `.` and without trailing zeros (`1.0.0.1.2.3` for created, shipped, in_transit
 * twice and out_for_delivery three times): some 30 bytes, where a map named by status would take
 * about 100 of a normal state item's 1 KB. Stored, so append only: never reorder or remove a slot.
 */
export const ENTRY_SLOTS = [
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
] as const satisfies readonly ShipmentStatus[];

export function encodeStatusEntries(entries: ShipmentState['statusEntries']): string | undefined {
  if (!entries) return undefined;
  for (const status of Object.keys(entries)) {
    // A status added to the domain without a slot here would be dropped silently: refuse instead.
    if (!(ENTRY_SLOTS as readonly string[]).includes(status)) throw new RangeError(`status ${status} has no slot in ENTRY_SLOTS`);
  }
  const counts = ENTRY_SLOTS.map((status) => entries[status] ?? 0);
  while (counts.at(-1) === 0) counts.pop();
  return counts.length > 0 ? counts.join('.') : undefined;
}

/** One stored count: no leading zero, so each count has one spelling. */
const COUNT = '(0|[1-9][0-9]{0,8})';

function decodeStatusEntries(stored: string | undefined): ShipmentState['statusEntries'] {
  if (stored === undefined) return undefined;
  const entries: NonNullable<ShipmentState['statusEntries']> = {};
  stored.split('.').forEach((count, at) => {
    const status = ENTRY_SLOTS[at];
    if (status === undefined) throw new UnreadableItemError('shipment item is not readable at statusEntries');
    if (count !== '0') entries[status] = Number(count);
  });
  return entries;
}

const TIME_LENGTH = 24;

const estimatedDelivery = z.union([
  z.object({ date: text, timeZone: text }),
  z.object({ from: text, to: text, timeZone: text }),
]) as unknown as z.ZodMiniType<EstimatedDelivery>;

const stateItem = z.object({
  shipmentId: text,
  owner: text,
  status: z.enum(SHIPMENT_STATUSES),
  statusDetails: z.optional(z.record(z.string(), z.string())),
  customer: z.optional(customer),
  orderId: optionalText,
  parcelCount: z.optional(z.number().check(z.int(), z.positive())),
  carrier: optionalText,
  trackingNumber: optionalText,
  trackingUrl: optionalText,
  promisedBy: optionalText,
  eta: optionalText,
  marks: z.array(text),
  estimatedDelivery: z.optional(estimatedDelivery),
  originalEstimatedDelivery: z.optional(estimatedDelivery),
  // Absent from items written before the tally (status-episodes.ts, recordEntry); see ENTRY_SLOTS.
  statusEntries: z.optional(z.string().check(z.regex(new RegExp(`^${COUNT}(\\.${COUNT}){0,${ENTRY_SLOTS.length - 1}}$`)))),
  markOf: z.string().check(z.regex(new RegExp(`^[0-9${EMPTY_REGISTER}]{${OLDEST_REGISTER_COUNT},${REGISTERS.length}}$`))),
});

const decodeStateItem = decoder('shipment', stateItem);

/** The shipment's current state (`SHIPMENT#<id> / SHIPMENT`), marks and all. */
export function decodeShipmentState(item: unknown): ShipmentState {
  const { marks: list, markOf, statusDetails, statusEntries, ...values } = decodeStateItem(item);
  const marks: Partial<StateMarks> = {};
  REGISTERS.forEach((register, at) => {
    const index = markOf[at] ?? EMPTY_REGISTER;
    if (index === EMPTY_REGISTER) return;
    const mark = list[Number(index)];
    if (mark === undefined) throw new UnreadableItemError(`shipment item is not readable at markOf.${register}`);
    marks[register] = mark;
  });
  if (marks.status === undefined || marks.status.length < TIME_LENGTH) {
    throw new UnreadableItemError('shipment item is not readable at markOf.status');
  }
  const entries = decodeStatusEntries(statusEntries);
  return {
    ...values,
    statusTime: marks.status.slice(0, TIME_LENGTH),
    statusDetails: statusDetails ?? {},
    ...(entries ? { statusEntries: entries } : {}),
    marks: marks as StateMarks,
  };
}

/** The version a state item's optimistic lock checks. */
export const decodeShipmentVersion: (item: unknown) => { version: number } = decoder(
  'shipment',
  z.object({ version: z.number().check(z.int()) }),
);

/**
 * A state as the stream router compares it in the image before a write: its status and customer,
 * with the customer's mark (a profile is written only when that moved).
 */
export function decodeShipmentStatus(item: unknown): ShipmentStatusView {
  const state = decodeShipmentState(item);
  return {
    status: state.status,
    statusTime: state.statusTime,
    statusDetails: state.statusDetails,
    ...(state.customer ? { customer: state.customer } : {}),
    ...(state.marks.customer ? { customerMark: state.marks.customer } : {}),
    ...(state.estimatedDelivery ? { estimatedDelivery: state.estimatedDelivery } : {}),
    ...(state.orderId ? { orderId: state.orderId } : {}),
    ...(state.parcelCount !== undefined ? { parcelCount: state.parcelCount } : {}),
  };
}

/** The `shipmentId, owner` projection ingest reads to check who may write a shipment. */
export const decodeShipmentOwner: (item: unknown) => { shipmentId: string; owner: string } = decoder(
  'shipment',
  z.object({ shipmentId: text, owner: text }),
);

const eventItem = z.object({
  owner: text,
  receivedAt: text,
  position: z.number().check(z.int(), z.nonnegative()),
  event: z.looseObject({
    id: text,
    source: text,
    type: z.enum(SHIPMENT_STATUSES.map((status) => `shipment.${status}` as const)),
    time: text,
    // The event's data as ingest validated it: any object (a loose object checks that much, faster than a record).
    data: z.looseObject({}),
  }),
});
const decodeEventItem = decoder('shipment event', eventItem);

/**
 * The content digest of the event an event record (shipment event or ledger entry) holds: the one
 * stored beside it, or, for a record written before digests were, the digest of its stored event.
 */
export function storedContentDigest(item: Record<string, unknown>): string {
  return typeof item.contentDigest === 'string' ? item.contentDigest : contentDigest(item.event);
}

/** One event of a shipment's history (`SHIPMENT#<id> / EVENT#<warehouse>#<source>#<id>`), as merged and listed. */
export function decodeShipmentEntry(item: unknown): ShipmentEntry {
  const { owner, receivedAt, position, event } = decodeEventItem(item);
  const time = new Date(event.time);
  if (Number.isNaN(time.getTime())) throw new UnreadableItemError('shipment event item is not readable at event.time');
  return {
    owner,
    source: event.source,
    id: event.id,
    status: statusOf(event.type),
    time: time.toISOString(),
    data: event.data,
    receivedAt,
    position,
  };
}

/** A customer profile (`CUSTOMER#<warehouse>#<id> / PROFILE`). */
export const decodeCustomer: (item: unknown) => Customer = decoder('customer profile', customer);

const count = z.optional(z.number().check(z.int()));

const wallet = z.object({
  walletId: text,
  owner: text,
  customerId: text,
  currency: text,
  balance: count,
  version: count,
  entryCount: count,
  lastEntryAt: optionalText,
  reconciledAt: optionalText,
  reconciliationPending: z.optional(z.boolean()),
});

const decodeWalletItem = decoder('wallet', wallet);

/** A wallet item (`WALLET#<id> / WALLET`); counters a wallet has not got yet are 0. */
export function decodeWallet(item: unknown): WalletSnapshot {
  const decoded = decodeWalletItem(item);
  return {
    walletId: decoded.walletId,
    owner: decoded.owner,
    customerId: decoded.customerId,
    currency: decoded.currency,
    balance: decoded.balance ?? 0,
    version: decoded.version ?? 0,
    entryCount: decoded.entryCount ?? 0,
    ...(decoded.lastEntryAt ? { lastEntryAt: decoded.lastEntryAt } : {}),
    ...(decoded.reconciledAt ? { reconciledAt: decoded.reconciledAt } : {}),
    reconciliationPending: decoded.reconciliationPending === true,
  };
}

/** A wallet item as its stream image shows a write: what deciding on a reconciliation reads. */
export const decodeWalletWrite: (item: unknown) => {
  walletId: string;
  version: number;
  lastEntryAt: string;
  reconciliationPending?: boolean | undefined;
} = decoder(
  'wallet',
  z.object({ walletId: text, version: z.number().check(z.int()), lastEntryAt: text, reconciliationPending: z.optional(z.boolean()) }),
);

/** Only the version of a wallet item (an older stream image). */
export const decodeWalletVersion: (item: unknown) => { version?: number | undefined } = decoder('wallet', z.object({ version: count }));

const head = z.object({ walletId: text, owner: text, currency: text, balance: count });
const decodeHeadItem = decoder('wallet', head);

/** The `walletId, owner, currency, balance` projection ingest reads to check a request's entries. */
export function decodeWalletHead(item: unknown): WalletHead & { walletId: string } {
  const { walletId, owner, currency, balance } = decodeHeadItem(item);
  return { walletId, owner, currency, balance: balance ?? 0 };
}

/** A ledger entry's key attributes, as ingest reads them to learn which entries of a request are booked. */
export const decodeLedgerKey: (item: unknown) => { PK: string; SK: string } = decoder('ledger entry', z.object({ PK: text, SK: text }));

/** A ledger entry read for its `delta` only. */
export const decodeLedgerDelta: (item: unknown) => { delta: number } = decoder(
  'ledger entry',
  z.object({ delta: z.number().check(z.int()) }),
);

/**
 * A claim's stored `outcome`: the delivery status (domain/delivery-status.ts). Claims written before
 * delivery receipts said `pending` (now `claimed`) and `opted_out` (now `suppressed` because the
 * number opted out); they are read as such, so a claim left pending across the upgrade is still
 * taken over when its lease runs out.
 */
const LEGACY_OUTCOMES: Record<string, { status: DeliveryStatus; suppressedBecause?: SuppressedBecause }> = {
  pending: { status: 'claimed' },
  opted_out: { status: 'suppressed', suppressedBecause: 'opted_out' },
};
export const LEGACY_CLAIMED_OUTCOME = 'pending';

const outcome = z.pipe(
  z.string(),
  z.transform((value, context) => {
    if ((DELIVERY_STATUSES as readonly string[]).includes(value)) return { status: value as DeliveryStatus };
    const legacy = LEGACY_OUTCOMES[value];
    if (legacy) return legacy;
    context.issues.push({ code: 'custom', message: 'is not a delivery status', input: value });
    return z.NEVER;
  }),
);

const suppressedBecause = z.optional(z.enum([...SUPPRESSION_REASONS, 'preference']));

const notification = z.object({
  status: text,
  channel: text,
  outcome,
  updatedAt: text,
  reason: optionalText,
  suppressedBecause,
  providerMessageId: optionalText,
  claimedAt: optionalText,
  sentAt: optionalText,
  finalAt: optionalText,
  fallbackFrom: z.optional(z.enum(CHANNELS)),
  orderId: optionalText,
  shipmentIds: z.optional(z.array(text)),
  statusTime: optionalText,
});
const decodeNotificationItem = decoder('notification', notification);

/** A notification claim as GET /v1/shipments/{id} lists it. */
export function decodeNotificationRecord(item: unknown): NotificationRecord {
  const {
    status,
    channel,
    outcome,
    updatedAt,
    reason,
    suppressedBecause,
    providerMessageId,
    sentAt,
    finalAt,
    fallbackFrom,
    orderId,
    shipmentIds,
    statusTime,
  } = decodeNotificationItem(item);
  const because = suppressedBecause ?? outcome.suppressedBecause;
  return {
    status,
    ...(statusTime ? { statusTime } : {}),
    channel,
    outcome: outcome.status,
    at: updatedAt,
    ...(reason ? { reason } : because ? { reason: because } : {}),
    ...(providerMessageId ? { providerMessageId } : {}),
    ...(sentAt ? { sentAt } : {}),
    ...(finalAt ? { finalAt } : {}),
    ...(fallbackFrom ? { fallbackFrom } : {}),
    ...(orderId && shipmentIds ? { order: { orderId, shipmentIds } } : {}),
  };
}

const decodeClaimItem = decoder(
  'notification claim',
  z.object({ outcome, suppressedBecause, permanent: z.optional(z.boolean()), message: z.optional(z.string()) }),
);

/** A claim as the claims adapter reads it back: where it stands, and the message it keeps to fall back with. */
export function decodeClaimState(item: unknown): ClaimState {
  const { outcome, suppressedBecause, permanent, message } = decodeClaimItem(item);
  const because = suppressedBecause ?? outcome.suppressedBecause;
  return {
    status: outcome.status,
    ...(because ? { suppressedBecause: because } : {}),
    ...(permanent !== undefined ? { permanent } : {}),
    ...(message ? { message: parseNotificationMessage(message) } : {}),
  };
}

/** A suppression list entry (`SUPPRESSION#<channel>#<digest> / SUPPRESSION`). */
export const decodeSuppression: (item: unknown) => SuppressionEntry = decoder(
  'suppression',
  z.object({
    channel: z.enum(CHANNELS),
    digest: text,
    masked: text,
    reason: z.enum(SUPPRESSION_REASONS),
    since: text,
    source: optionalText,
    owner: optionalText,
  }),
);

/** A customer's choice for a channel (`CUSTOMER#<warehouse>#<id> / PREFERENCE#<channel>`). */
export const decodePreference: (item: unknown) => { channel: Channel; level: PreferenceLevel } = decoder(
  'preference',
  z.object({ channel: z.enum(CHANNELS), level: z.enum(PREFERENCE_LEVELS) }),
);

/** A warehouse's notification count of a day (`WAREHOUSE#<id> / NOTIFICATIONS#<day>`). */
export const decodeNotificationCount: (item: unknown) => { notifications: number } = decoder(
  'notification count',
  z.object({ notifications: z.number().check(z.int(), z.minimum(0)) }),
);
