import type { ShipmentStatusView } from './changes.ts';
import type { Channel } from './cloud-events.ts';
import { sha256Hex } from './id-digest.ts';
import type { NotificationMessage } from './notification-message.ts';
import {
  ANNOUNCED_STATUSES,
  DEFAULT_LOCALE,
  notificationsForChange,
  reachableChannels,
  shipmentNotificationId,
} from './notification-policy.ts';
import type { OrderSize } from './ports.ts';
import type { ShipmentState, ShipmentStatus } from './shipment.ts';
import { statusEpisode } from './status-episodes.ts';

/**
 * Split orders (docs/alerts.md, "Split orders"): the parcels of one order that reach the same
 * combinable status within the window are announced in one message per channel naming them all.
 * Pure: the stream router asks `holdsBack` and `windowComplete`, the window's workflow composes
 * with `combinedMessages`.
 */

/** Statuses whose per-parcel messages may be combined: the ones several parcels of an order reach on the same day. */
export const COMBINABLE_STATUSES: ReadonlySet<ShipmentStatus> = new Set(['out_for_delivery', 'delivered']);

/**
 * How many parcels the order is expected to have: the shipments seen so far, or the parcel count
 * a warehouse gave if that is more (the other parcels may not exist yet).
 */
export function expectedParcels(order: OrderSize): number {
  return Math.max(order.shipments, order.parcelCount ?? 0);
}

/** The order as the stream router knows it, with the parcel count the shipment itself carries (it may be the first to say). */
function withShipmentCount(order: OrderSize, shipment: Pick<ShipmentState, 'parcelCount'>): OrderSize {
  const parcelCount = Math.max(order.parcelCount ?? 0, shipment.parcelCount ?? 0);
  return parcelCount > 0 ? { shipments: order.shipments, parcelCount } : { shipments: order.shipments };
}

/** Whether a change counts the shipment into its order: the first state naming the order, or a new parcel count. */
export function countsIntoOrder(before: ShipmentStatusView | undefined, after: ShipmentState): boolean {
  return Boolean(after.orderId) && (before?.orderId !== after.orderId || before?.parcelCount !== after.parcelCount);
}

/**
 * The ids of the shipment's own status messages a change calls for (not its estimate or other
 * news): what an order's window may hold back. Empty when the status did not move or the shipment
 * is in no order, so the router reads the order's size only when this is not empty.
 */
export function orderStatusMessages(before: ShipmentStatusView | undefined, after: ShipmentState): Set<string> {
  const statusMoved = before?.status !== after.status || before?.statusTime !== after.statusTime;
  if (!statusMoved || !after.orderId) return new Set();
  const own = new Set(
    (['sms', 'email'] as const).map((channel) => shipmentNotificationId(after.shipmentId, after.status, statusEpisode(after), channel)),
  );
  return new Set(notificationsForChange(before, after).flatMap(({ notificationId }) => (own.has(notificationId) ? [notificationId] : [])));
}

/**
 * Whether the stream router holds back a shipment's message for its order's window: only when the
 * status is combinable and its order is expected to have two parcels or more (two shipments seen,
 * or a parcel count of two or more), so a one-parcel order (or a shipment without an order) is
 * never delayed by the window.
 */
export function holdsBack(shipment: Pick<ShipmentState, 'orderId' | 'status' | 'parcelCount'>, order: OrderSize): boolean {
  return Boolean(shipment.orderId) && COMBINABLE_STATUSES.has(shipment.status) && expectedParcels(withShipmentCount(order, shipment)) >= 2;
}

/**
 * Whether a window with `members` has every parcel of its order, so it may close at once instead
 * of waiting out its time. Only an order with a parcel count given can be complete: without one,
 * the shipments seen so far may not be all of them.
 */
export function windowComplete(members: number, order: OrderSize, shipment: Pick<ShipmentState, 'parcelCount'>): boolean {
  const known = withShipmentCount(order, shipment);
  return known.parcelCount !== undefined && expectedParcels(known) >= 2 && members >= expectedParcels(known);
}

/** The input of one SplitOrderWindow execution. */
export interface SplitOrderWindowInput {
  owner: string;
  orderId: string;
  status: ShipmentStatus;
  /** The Wait state's SecondsPath: SplitOrderWindowSeconds, or 0 when every parcel has joined. */
  windowSeconds: number;
}

/**
 * Which of a window's executions: the one that waits out the window (`wait`), or the one started
 * when every parcel has joined (`complete`), which closes it at once (docs/alerts.md, "Known parcel count").
 */
export type WindowExecution = 'wait' | 'complete';

/**
 * One execution of each kind per (owner, order, status), named deterministically so every member
 * that joins the window starts the same one (a second start is ExecutionAlreadyExists). Step
 * Functions names are at most 80 characters of [0-9A-Za-z-_]: a hash of all parts (96 bits: no
 * two windows of a deployment share one), the status, and `-all` for `complete`. No part of the
 * order id is kept in the clear: it is the warehouse's to choose, and execution names show in the
 * console and the logs (a window's name follows from its order: docs/alerts.md).
 */
export function splitOrderExecutionName(owner: string, orderId: string, status: ShipmentStatus, kind: WindowExecution = 'wait'): string {
  const hash = sha256Hex(JSON.stringify(kind === 'wait' ? [owner, orderId, status] : [owner, orderId, status, kind]), 24);
  return `order-${hash}-${status}${kind === 'complete' ? '-all' : ''}`;
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
 * for the order's customer, taken from the latest member named (one customer per order, as a
 * warehouse should send it; a member of another customer is told on its own).
 */
export function combinedMessages(
  window: { owner: string; orderId: string; status: ShipmentStatus },
  members: readonly ShipmentState[],
  single: (shipment: ShipmentState, channel: Channel) => NotificationMessage,
): NotificationMessage[] {
  const atStatus = members
    .filter((member) => member.owner === window.owner && member.orderId === window.orderId && member.status === window.status)
    .sort((a, b) => a.shipmentId.localeCompare(b.shipmentId));
  if (atStatus.length === 0 || !ANNOUNCED_STATUSES.has(window.status)) return [];
  // An order id is the warehouse's to give: parcels of two customers under one (a reused or
  // mistyped id) must never be named to each other. The customer of most of them is told in
  // one message; any other member gets its own, claimed per shipment as if it had never been held.
  const byCustomer = new Map<string | undefined, ShipmentState[]>();
  for (const member of atStatus) byCustomer.set(member.customer?.id, [...(byCustomer.get(member.customer?.id) ?? []), member]);
  const latestOf = (group: readonly ShipmentState[]) => group.reduce((a, b) => (b.statusTime > a.statusTime ? b : a));
  const named = [...byCustomer.values()].reduce((a, b) =>
    b.length > a.length || (b.length === a.length && latestOf(b).statusTime > latestOf(a).statusTime) ? b : a,
  );
  const others = atStatus
    .filter((member) => !named.includes(member))
    .flatMap((member) => reachableChannels(member.customer).map((channel) => single(member, channel)));
  const latest = latestOf(named);
  const channels = reachableChannels(latest.customer);
  if (named.length === 1) return [...channels.map((channel) => single(latest, channel)), ...others];
  const combined = channels.map((channel) => {
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
  return [...combined, ...others];
}
