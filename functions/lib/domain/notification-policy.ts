import type { Channel } from './cloud-events.ts';
import { DELIVERED_TO, type DeliveredTo } from './delivered-to.ts';
import { estimateKey, movedByADay } from './estimated-delivery.ts';
import type { NotificationMessage } from './notification-message.ts';
import type { Customer, ShipmentState, ShipmentStatus } from './shipment.ts';
import { beyondEntryBound, entersStatusEpisode, entryNumber, type StatusView, statusEpisode } from './status-episodes.ts';

/**
 * Which shipment changes the customer hears about (docs/notifications.md, Policy), and on which
 * channels. Pure: the stream-router feeds it the shipment's state before and after a write.
 */

export const ANNOUNCED_STATUSES: ReadonlySet<ShipmentStatus> = new Set([
  'shipped',
  'out_for_delivery',
  'delivered',
  'delivery_failed',
  'attempted_delivery',
  'available_for_pickup',
  'returned',
  'cancelled',
  'returned_to_sender',
]);

export const DEFAULT_LOCALE = 'en';

/** The channels a customer can be reached on: those they allow (both by default) that have a contact. */
export function reachableChannels(customer: Customer | undefined): Channel[] {
  if (!customer) return [];
  const allowed = customer.channels ?? ['sms', 'email'];
  return allowed.filter((channel) => (channel === 'sms' ? Boolean(customer.phone) : Boolean(customer.email)));
}

/**
 * A status message is claimed per (shipment, status episode, channel): `episode` is the time of the
 * event that entered the status (statusEpisode), so a parcel out for delivery again after a failed
 * attempt is told again, while any redelivery of the same message finds the same claim.
 */
export function shipmentNotificationId(shipmentId: string, status: ShipmentStatus, episode: string, channel: Channel): string {
  return `shipment#${shipmentId}#${status}@${episode}#${channel}`;
}

/**
 * The messages one change of a shipment's state calls for, one per channel.
 * - The write entered an announced status (entersStatusEpisode): every reachable channel.
 * - The status stayed (an older event, a duplicate, a second scan, a detail) but a channel became
 *   reachable (shipment.created arrived after the status): the current status on the new channels only.
 * - The estimated delivery moved by a day or more in the customer's time zone, the parcel still on
 *   its way: a "new delivery date" message on every reachable channel, claimed once per new
 *   estimate (whatever event brought it), unless a `shipped` message saying the date goes too.
 * An older event never moves the status, so it never notifies of it. An entry beyond
 * ENTRIES_TOLD_PER_STATUS into its status (a flapping scanner) is told on no channel, then or when
 * a channel becomes reachable later (withheldEntry says which).
 */
export function notificationsForChange(
  before: (StatusView & Pick<ShipmentState, 'customer' | 'estimatedDelivery'>) | undefined,
  after: ShipmentState,
): NotificationMessage[] {
  const now = reachableChannels(after.customer);
  const entered = entersStatusEpisode(before, after);
  const messages: NotificationMessage[] = [];
  if (ANNOUNCED_STATUSES.has(after.status) && !beyondEntryBound(after)) {
    const earlier = new Set(reachableChannels(before?.customer));
    const channels = entered ? now : now.filter((channel) => !earlier.has(channel));
    messages.push(...channels.map((channel) => shipmentMessage(after, channel)));
  }
  // A moved date is news of its own, unless the status message just sent says it (shipped does).
  const saidByStatus = entered && after.status === 'shipped' && !beyondEntryBound(after);
  if (dateRevised(before, after) && !saidByStatus) messages.push(...now.map((channel) => revisedDateMessage(after, channel)));
  return messages;
}

/**
 * The entry into an announced status this change made and does not tell because it is beyond
 * ENTRIES_TOLD_PER_STATUS, for the operator's log and metric; undefined for any other change.
 */
export function withheldEntry(before: StatusView | undefined, after: ShipmentState): { status: ShipmentStatus; entry: number } | undefined {
  if (!ANNOUNCED_STATUSES.has(after.status) || !entersStatusEpisode(before, after) || !beyondEntryBound(after)) return undefined;
  return { status: after.status, entry: entryNumber(after) };
}

/** Statuses after which a delivery date means nothing to the customer. */
const DATE_IS_OVER: ReadonlySet<ShipmentStatus> = new Set(['delivered', 'returned', 'cancelled', 'returned_to_sender']);

/** The estimate moved by a day or more in the customer's time zone, while the parcel is still on its way. */
function dateRevised(before: Pick<ShipmentState, 'estimatedDelivery'> | undefined, after: ShipmentState): boolean {
  if (!before?.estimatedDelivery || !after.estimatedDelivery || DATE_IS_OVER.has(after.status)) return false;
  return movedByADay(before.estimatedDelivery, after.estimatedDelivery, after.customer?.timeZone);
}

/** `shipment.delivery_date_changed`, claimed once per (shipment, new estimate, channel). */
function revisedDateMessage(shipment: ShipmentState, channel: Channel): NotificationMessage {
  const message = shipmentMessage(shipment, channel);
  const key = estimateKey(shipment.estimatedDelivery as NonNullable<ShipmentState['estimatedDelivery']>);
  return {
    ...message,
    notificationId: `shipment#${shipment.shipmentId}#${revisedDateStatus(key)}#${channel}`,
    eventType: REVISED_DATE,
  };
}

export const REVISED_DATE = 'shipment.delivery_date_changed';

/** The claim's status part of a "new delivery date" message: one per new estimate. */
export function revisedDateStatus(estimateKeyOfIt: string): string {
  return `revised@${estimateKeyOfIt}`;
}

const isDeliveredTo = (value: string | undefined): value is DeliveredTo =>
  (DELIVERED_TO as readonly (string | undefined)[]).includes(value);

export function shipmentMessage(shipment: ShipmentState, channel: Channel): NotificationMessage {
  const customer = shipment.customer as Customer;
  const { reason, location, nextAttemptAt, pickupPoint, collectBy, deliveredTo } = shipment.statusDetails;
  return {
    notificationId: shipmentNotificationId(shipment.shipmentId, shipment.status, statusEpisode(shipment), channel),
    eventType: `shipment.${shipment.status}`,
    episode: statusEpisode(shipment),
    channel,
    recipient: (channel === 'sms' ? customer.phone : customer.email) as string,
    locale: customer.locale ?? DEFAULT_LOCALE,
    ...(customer.timeZone ? { timeZone: customer.timeZone } : {}),
    customerId: customer.id,
    owner: shipment.owner,
    ...(customer.name ? { customerName: customer.name } : {}),
    shipment: {
      shipmentId: shipment.shipmentId,
      status: shipment.status,
      ...(shipment.carrier ? { carrier: shipment.carrier } : {}),
      ...(shipment.trackingNumber ? { trackingNumber: shipment.trackingNumber } : {}),
      ...(shipment.trackingUrl ? { trackingUrl: shipment.trackingUrl } : {}),
      ...(shipment.eta ? { eta: shipment.eta } : {}),
      ...(reason ? { reason } : {}),
      ...(nextAttemptAt && shipment.status === 'attempted_delivery' ? { nextAttemptAt } : {}),
      ...(pickupPoint ? { pickupPoint } : {}),
      ...(collectBy ? { collectBy } : {}),
      ...(isDeliveredTo(deliveredTo) ? { deliveredTo } : {}),
      // Where a parcel left with a neighbour or in a safe place is: the customer has to find it.
      ...(location && (deliveredTo === 'neighbour' || deliveredTo === 'safe_place') ? { location } : {}),
      ...(shipment.estimatedDelivery && !DATE_IS_OVER.has(shipment.status) ? { estimatedDelivery: shipment.estimatedDelivery } : {}),
    },
    occurredAt: shipment.statusTime,
  };
}

/** The SNS message attributes subscription filter policies route on. */
export function notificationAttributes(message: NotificationMessage): Record<'channel' | 'eventType' | 'locale', string> {
  return { channel: message.channel, eventType: message.eventType, locale: message.locale };
}
