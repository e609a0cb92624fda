import type { Channel } from './channels.ts';

/**
 * What became of one notification (docs/notifications.md, "Delivery status"): a sender claims it,
 * hands it to the provider (or suppresses it, or records a permanent failure), and the provider's
 * receipt says later whether it arrived.
 *
 *   claimed → sent → delivered | failed | bounced | complained        (from the provider's events)
 *   claimed → suppressed | failed                                     (decided at send time)
 *
 * Receipts come at least once, in any order, sometimes before the sender has written `sent`.
 * So a status only ever moves forward in one total order, and applying a set of reports gives the
 * same status whatever order they arrive in and however often: the furthest of them. The order
 * ranks what the operator and the customer must know last: a delivered email the customer then
 * marks as spam ends `complained`; a text a carrier first accepted and then reported undeliverable
 * ends `failed`. `suppressed` is never followed by a receipt (nothing was sent) and so is last.
 */

export const DELIVERY_STATUSES = ['claimed', 'sent', 'delivered', 'failed', 'bounced', 'complained', 'suppressed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The statuses a provider's receipt can report. */
export type ReportedStatus = Extract<DeliveryStatus, 'delivered' | 'failed' | 'bounced' | 'complained'>;

/** What a sender records when it lets go of a claim: the provider took it, it was not sent, or it never can be. */
export type SendStatus = Extract<DeliveryStatus, 'sent' | 'suppressed' | 'failed'>;

const RANK: Record<DeliveryStatus, number> = Object.fromEntries(DELIVERY_STATUSES.map((status, index) => [status, index])) as Record<
  DeliveryStatus,
  number
>;

/** Does `next` move a notification that is at `current`? Only forward: a repeat or an older report changes nothing. */
export function advances(current: DeliveryStatus, next: DeliveryStatus): boolean {
  return RANK[next] > RANK[current];
}

/** Where a notification at `current` ends after `next` is applied. */
export function applyStatus(current: DeliveryStatus, next: DeliveryStatus): DeliveryStatus {
  return advances(current, next) ? next : current;
}

/** The statuses `next` may replace: what a conditional write checks the stored status against. */
export function statusesBefore(next: DeliveryStatus): DeliveryStatus[] {
  return DELIVERY_STATUSES.filter((status) => RANK[status] < RANK[next]);
}

/** A receipt has arrived, or the sender decided: the notification is done as far as anyone will tell us. */
export function isFinal(status: DeliveryStatus): boolean {
  return RANK[status] >= RANK.delivered;
}

/** Why an address or number is on Parcelcast's suppression list (suppression.ts). */
export const SUPPRESSION_REASONS = ['bounced', 'complained', 'opted_out', 'invalid_number'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** Why a notification ended `suppressed`: its contact is on the list, or the customer asked for essential messages only. */
export type SuppressedBecause = SuppressionReason | 'preference';

/**
 * One provider receipt, in the domain's words: decoded from SES and End User Messaging events at
 * the edge (adapters/delivery-events.ts). `permanent` says whether writing to the same contact
 * again could ever succeed; `suppress` puts the contact on the suppression list. `reason` is the
 * provider's classification (`Permanent/General`, `TEXT_INVALID`), never its free text, which may
 * quote the recipient.
 */
export interface DeliveryReport {
  status: ReportedStatus;
  permanent: boolean;
  suppress?: SuppressionReason;
  reason: string;
  /** When the provider says it happened. */
  at: string;
  providerMessageId: string;
}

/** A receipt as it arrives for one message: the report, its channel, the claim it names and the contact it is about. */
export interface DeliveryReceipt extends DeliveryReport {
  channel: Channel;
  /** The claim the message was sent under, as the sender gave it to the provider. */
  reference: string;
  /** The contact the receipt is about (to suppress it); never logged. */
  recipient?: string;
}
