import * as z from 'zod/mini';
import type { ShipmentStatusView } from '#domain/changes.ts';
import { CHANNELS, type Channel } from '#domain/channels.ts';
import { DELIVERY_STATUSES, type DeliveryStatus, SUPPRESSION_REASONS, type SuppressedBecause } from '#domain/delivery-status.ts';
import { parseNotificationMessage } from '#domain/notification-message-schema.ts';
import type { ClaimState } from '#domain/notification-ports.ts';
import type { NotificationRecord, WalletSnapshot } from '#domain/ports.ts';
import { PREFERENCE_LEVELS, type PreferenceLevel } from '#domain/preferences.ts';
import { type Customer, SHIPMENT_STATUSES, type Shipment } from '#domain/shipment.ts';
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

const timelineEntry = z.object({
  source: text,
  id: text,
  status: z.enum(SHIPMENT_STATUSES),
  time: text,
  // The event's data as ingest validated it: any object (a loose object checks that much, faster than a record).
  data: z.looseObject({}),
});

const status = { status: z.enum(SHIPMENT_STATUSES), statusTime: text, customer: z.optional(customer) };

const shipment = z.object({
  shipmentId: text,
  orderId: optionalText,
  ...status,
  carrier: optionalText,
  trackingNumber: optionalText,
  trackingUrl: optionalText,
  promisedBy: optionalText,
  eta: optionalText,
  timeline: z.array(timelineEntry),
});

/** The shipment aggregate (`SHIPMENT#<id> / SHIPMENT`). */
export const decodeShipment: (item: unknown) => Shipment = decoder('shipment', shipment);

/**
 * Only the status and the customer of a shipment aggregate: what the stream router compares in
 * the image before a write (the whole timeline need not be read twice per record).
 */
export const decodeShipmentStatus: (item: unknown) => ShipmentStatusView = decoder('shipment', z.object(status));

/** The aggregate and the version its optimistic lock checks. */
export const decodeShipmentVersion: (item: unknown) => { version: number } = decoder(
  'shipment',
  z.object({ version: z.number().check(z.int()) }),
);

/** A customer profile (`CUSTOMER#<id> / PROFILE`). */
export const decodeCustomer: (item: unknown) => Customer = decoder('customer profile', customer);

const count = z.optional(z.number().check(z.int()));

const wallet = z.object({
  walletId: text,
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

/** The `walletId, currency` projection ingest reads to check a batch's currencies. */
export const decodeWalletCurrency: (item: unknown) => { walletId: string; currency: string } = decoder(
  'wallet',
  z.object({ walletId: text, currency: text }),
);

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
});
const decodeNotificationItem = decoder('notification', notification);

/** A notification claim as GET /v1/shipments/{id} lists it. */
export function decodeNotificationRecord(item: unknown): NotificationRecord {
  const { status, channel, outcome, updatedAt, reason, suppressedBecause, providerMessageId, sentAt, finalAt, fallbackFrom } =
    decodeNotificationItem(item);
  const because = suppressedBecause ?? outcome.suppressedBecause;
  return {
    status,
    channel,
    outcome: outcome.status,
    at: updatedAt,
    ...(reason ? { reason } : because ? { reason: because } : {}),
    ...(providerMessageId ? { providerMessageId } : {}),
    ...(sentAt ? { sentAt } : {}),
    ...(finalAt ? { finalAt } : {}),
    ...(fallbackFrom ? { fallbackFrom } : {}),
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

/** A customer's choice for a channel (`CUSTOMER#… / PREFERENCE#<channel>`). */
export const decodePreference: (item: unknown) => { channel: Channel; level: PreferenceLevel } = decoder(
  'preference',
  z.object({ channel: z.enum(CHANNELS), level: z.enum(PREFERENCE_LEVELS) }),
);

/** A warehouse's notification count of a day (`WAREHOUSE#<id> / NOTIFICATIONS#<day>`). */
export const decodeNotificationCount: (item: unknown) => { notifications: number } = decoder(
  'notification count',
  z.object({ notifications: z.number().check(z.int(), z.minimum(0)) }),
);

/** The warehouse that owns an item (`owner`), absent on items written before owners were recorded. */
export const decodeOwner: (item: unknown) => { owner?: string | undefined } = decoder('owner', z.object({ owner: optionalText }));
