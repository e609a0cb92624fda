import type { Channel } from './channels.ts';
import type { DeliveryStatus, SuppressedBecause } from './delivery-status.ts';
import type { NotificationMessage } from './notification-message.ts';
import { shipmentNotificationId } from './notification-policy.ts';
import type { ShipmentStatus } from './shipment.ts';
import { orderNotificationId } from './split-orders.ts';

/**
 * When a message that matters cannot reach the customer on its channel, the same notification goes
 * out once on the other one (docs/notifications.md, "Fallback"). The one place that decides it.
 *
 * - Which messages: shipment updates the customer may need to act on now: out for delivery,
 *   delivered, and the delivery exception. A shipped or returned notice is not worth a second
 *   channel; a balance confirmation is not a shipment update.
 * - From which outcomes: an SMS that failed permanently (a blocked or invalid number, a carrier or
 *   spam block), or was not sent because the number opted out or is on the suppression list; an
 *   email that hard-bounced, or was not sent because the address bounced before. Not a transient
 *   failure (a phone switched off may yet receive the next one), not a complaint (the customer
 *   did receive it) and not the customer's own preference.
 * - Once: the copy is claimed under the key its channel's own notification of the same status
 *   episode uses (`NOTIFICATION#<status>@<episode>#<channel>`), so a customer already told on that
 *   channel hears nothing twice, and a copy never falls back again.
 */

export const FALLBACK_STATUSES: ReadonlySet<ShipmentStatus> = new Set(['out_for_delivery', 'delivered', 'delivery_failed']);

/** How a notification ended, as far as falling back is concerned. */
export interface Outcome {
  status: DeliveryStatus;
  /** For `failed`: no retry or later message to the same contact can succeed. */
  permanent?: boolean;
  /** For `suppressed`: why it was not sent. */
  suppressedBecause?: SuppressedBecause;
}

const OTHER: Record<Channel, Channel> = { sms: 'email', email: 'sms' };

/** Whether this message could ever fall back: only then does its claim keep a copy of it to resend. */
export function mayFallBack(message: NotificationMessage): boolean {
  return Boolean(message.shipment && FALLBACK_STATUSES.has(message.shipment.status) && !message.fallbackFrom);
}

function undeliverable(channel: Channel, outcome: Outcome): boolean {
  const { status, permanent, suppressedBecause } = outcome;
  if (status === 'suppressed')
    return suppressedBecause !== undefined && suppressedBecause !== 'preference' && suppressedBecause !== 'complained';
  if (channel === 'sms') return status === 'failed' && permanent === true;
  return status === 'bounced';
}

/** The channel to fall back to, or undefined when this outcome of this message calls for none. */
export function fallbackChannel(message: NotificationMessage, outcome: Outcome): Channel | undefined {
  if (!mayFallBack(message) || !undeliverable(message.channel, outcome)) return undefined;
  return OTHER[message.channel];
}

/** The same notification on `channel`, to `recipient`: keyed as that channel's own notification of the status. */
export function fallbackMessage(message: NotificationMessage, channel: Channel, recipient: string): NotificationMessage {
  const shipment = message.shipment as NonNullable<NotificationMessage['shipment']>;
  return {
    ...message,
    notificationId: message.order
      ? orderNotificationId(message.owner, message.order.orderId, shipment.status, channel)
      : message.episode === undefined
        ? // Published before claims were per episode: its channel's claim is per status.
          `shipment#${shipment.shipmentId}#${shipment.status}#${channel}`
        : shipmentNotificationId(shipment.shipmentId, shipment.status, message.episode, channel),
    channel,
    recipient,
    fallbackFrom: message.channel,
  };
}
