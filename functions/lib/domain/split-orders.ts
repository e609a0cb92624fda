import { createHash } from 'node:crypto';
import type { Channel } from './cloud-events.ts';
import type { NotificationMessage } from './notification-message.ts';
import { ANNOUNCED_STATUSES, DEFAULT_LOCALE, reachableChannels } from './notification-policy.ts';
import type { ShipmentState, ShipmentStatus } from './shipment.ts';

/**
 * Split orders (docs/alerts.md, "Split orders"): the parcels of one order that reach the same
 * combinable status within the window are announced in one message per channel naming them all.
 * Pure: the stream router asks `holdsBack`, the window's workflow composes with `combinedMessages`.
 */

/** Statuses whose per-parcel messages may be combined: the ones several parcels of an order reach on the same day. */
export const COMBINABLE_STATUSES: ReadonlySet<ShipmentStatus> = new Set(['out_for_delivery', 'delivered']);

/**
 * Whether the stream router holds back a shipment's message for its order's window: only when the
 * status is combinable and its order is known to have two shipments or more, so a one-parcel
 * order (or a shipment without an order) is never delayed by the window.
 */
export function holdsBack(shipment: Pick<ShipmentState, 'orderId' | 'status'>, shipmentsInOrder: number): boolean {
  return Boolean(shipment.orderId) && COMBINABLE_STATUSES.has(shipment.status) && shipmentsInOrder >= 2;
}

/** The input of one SplitOrderWindow execution. */
export interface SplitOrderWindowInput {
  owner: string;
  orderId: string;
  status: ShipmentStatus;
  /** The Wait state's SecondsPath: SplitOrderWindowSeconds. */
  windowSeconds: number;
}

const NAME_UNSAFE = /[^A-Za-z0-9_-]/g;

/**
 * One execution per (owner, order, status), named deterministically so every member that joins
 * the window starts the same one (a second start is ExecutionAlreadyExists). Step Functions names
 * are at most 80 characters of [0-9A-Za-z-_]: a readable prefix of the order, a hash of all three
 * parts (owner and order are any text), and the status.
 */
export function splitOrderExecutionName(owner: string, orderId: string, status: ShipmentStatus): string {
  const readable = orderId.replace(NAME_UNSAFE, '_').slice(0, 24);
  const hash = createHash('sha256')
    .update(JSON.stringify([owner, orderId, status]))
    .digest('hex')
    .slice(0, 24);
  return `order-${readable}-${hash}-${status}`.slice(0, 80);
}

/** Claim key of a combined message: one per (owner, order, status, channel). */
export function orderNotificationId(owner: string, orderId: string, status: ShipmentStatus, channel: Channel): string {
  return `order#${owner}#${orderId}#${status}#${channel}`;
}

export const COMBINED_EVENT_TYPE_PREFIX = 'order.';

/**
 * The messages a closed window calls for. The window's members are read again when it closes:
 * those still at the window's status are named (one that has moved on, e.g. delivered before
 * the out-for-delivery window closed, has its own later message). One member left gets its own
 * ordinary message (claimed per shipment, as if it had never been held). Channels: those reachable
 * for the order's customer, taken from the latest member (they are one customer per order).
 */
export function combinedMessages(
  window: { owner: string; orderId: string; status: ShipmentStatus },
  members: readonly ShipmentState[],
  single: (shipment: ShipmentState, channel: Channel) => NotificationMessage,
): NotificationMessage[] {
  const named = members
    .filter((member) => member.owner === window.owner && member.orderId === window.orderId && member.status === window.status)
    .sort((a, b) => a.shipmentId.localeCompare(b.shipmentId));
  if (named.length === 0 || !ANNOUNCED_STATUSES.has(window.status)) return [];
  const latest = named.reduce((a, b) => (b.statusTime > a.statusTime ? b : a));
  const channels = reachableChannels(latest.customer);
  if (named.length === 1) return channels.map((channel) => single(latest, channel));
  return channels.map((channel) => {
    const base = single(latest, channel);
    return {
      ...base,
      notificationId: orderNotificationId(window.owner, window.orderId, window.status, channel),
      eventType: `${COMBINED_EVENT_TYPE_PREFIX}${window.status}`,
      locale: base.locale ?? DEFAULT_LOCALE,
      order: {
        orderId: window.orderId,
        parcels: named.map((member) => ({
          shipmentId: member.shipmentId,
          ...(member.carrier ? { carrier: member.carrier } : {}),
          ...(member.trackingNumber ? { trackingNumber: member.trackingNumber } : {}),
        })),
      },
    };
  });
}
