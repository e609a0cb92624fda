import type { Channel } from './cloud-events.ts';
import type { NotificationMessage } from './notification-message.ts';
import type { Customer, ShipmentState, ShipmentStatus } from './shipment.ts';

/**
 * Which shipment changes the customer hears about (docs/notifications.md, Policy), and on which
 * channels. Pure: the stream-router feeds it the shipment's state before and after a write.
 */

export const ANNOUNCED_STATUSES: ReadonlySet<ShipmentStatus> = new Set([
  'shipped',
  'out_for_delivery',
  'delivered',
  'delivery_failed',
  'returned',
  'cancelled',
]);

export const DEFAULT_LOCALE = 'en';

/** The channels a customer can be reached on: those they allow (both by default) that have a contact. */
export function reachableChannels(customer: Customer | undefined): Channel[] {
  if (!customer) return [];
  const allowed = customer.channels ?? ['sms', 'email'];
  return allowed.filter((channel) => (channel === 'sms' ? Boolean(customer.phone) : Boolean(customer.email)));
}

export function shipmentNotificationId(shipmentId: string, status: ShipmentStatus, channel: Channel): string {
  return `shipment#${shipmentId}#${status}#${channel}`;
}

/**
 * The messages one change of a shipment's state calls for, one per channel.
 * - The status moved to an announced one: every reachable channel.
 * - The status stayed (an older event, a duplicate, a detail) but a channel became reachable
 *   (shipment.created arrived after the status): the current status on the new channels only.
 * An older event never moves the status, so it never notifies.
 */
export function notificationsForChange(
  before: Pick<ShipmentState, 'status' | 'statusTime' | 'customer'> | undefined,
  after: ShipmentState,
): NotificationMessage[] {
  if (!ANNOUNCED_STATUSES.has(after.status)) return [];
  const now = reachableChannels(after.customer);
  const statusMoved = before?.status !== after.status || before.statusTime !== after.statusTime;
  const earlier = new Set(reachableChannels(before?.customer));
  const channels = statusMoved ? now : now.filter((channel) => !earlier.has(channel));
  return channels.map((channel) => shipmentMessage(after, channel));
}

function shipmentMessage(shipment: ShipmentState, channel: Channel): NotificationMessage {
  const customer = shipment.customer as Customer;
  const reason = shipment.statusDetails.reason;
  return {
    notificationId: shipmentNotificationId(shipment.shipmentId, shipment.status, channel),
    eventType: `shipment.${shipment.status}`,
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
    },
    occurredAt: shipment.statusTime,
  };
}

/** The SNS message attributes subscription filter policies route on. */
export function notificationAttributes(message: NotificationMessage): Record<'channel' | 'eventType' | 'locale', string> {
  return { channel: message.channel, eventType: message.eventType, locale: message.locale };
}
