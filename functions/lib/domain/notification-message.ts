import type { Channel } from './cloud-events.ts';
import type { DeliveredTo } from './delivered-to.ts';
import type { EstimatedDelivery } from './estimated-delivery.ts';
import type { ShipmentStatus } from './shipment.ts';

/**
 * The domain message published to the NotificationsTopic, one per channel, and read by the
 * senders from their SQS queues. Shipment updates (stream-router) and confirmed wallet
 * balances (the reconciliation workflow) share it, so one delivery path serves both.
 *
 * SNS message attributes mirror `channel`, `eventType` and `locale` so subscription filter
 * policies can route without parsing the body.
 */
export interface NotificationMessage {
  /**
   * Claim key: at most one delivery per id. `shipment#<id>#<status>@<episode>#<channel>` or
   * `wallet#<id>#<reconciliation>#<channel>`.
   */
  notificationId: string;
  /** `shipment.<status>`, `order.<status>`, `shipment.stalled`, `shipment.delivery_date_changed` or `wallet.balance_confirmed`. */
  eventType: string;
  channel: Channel;
  /**
   * E.164 phone for sms, address for email. Shipment messages carry it; wallet messages do not,
   * and the senders look the contact up from the customer profile (CustomerContacts), so the
   * Step Functions execution state never holds it.
   */
  recipient?: string;
  locale: string;
  timeZone?: string;
  customerId: string;
  /**
   * The warehouse whose customer this is (the shipment's or the wallet's owner): its profiles hold
   * the contact, and the customer's preferences are kept under it.
   */
  owner: string;
  customerName?: string;
  shipment?: {
    shipmentId: string;
    status: ShipmentStatus;
    carrier?: string;
    trackingNumber?: string;
    trackingUrl?: string;
    eta?: string;
    reason?: string;
    /** attempted_delivery: when the carrier comes again. */
    nextAttemptAt?: string;
    /** available_for_pickup: where the parcel waits, and until when. */
    pickupPoint?: string;
    collectBy?: string;
    /** delivered: how it was handed over, and where, when it was not to the customer. */
    deliveredTo?: DeliveredTo;
    location?: string;
    /** When it is expected now (a `shipment.delivery_date_changed` message is about this). */
    estimatedDelivery?: EstimatedDelivery;
  };
  wallet?: {
    walletId: string;
    balance: number;
    currency: string;
    reconciledAt: string;
    /** The reconciliation found the running balance wrong and corrected it (an essential message). */
    corrected?: boolean;
  };
  /**
   * A combined message of a split order (`order.<status>`, docs/alerts.md): every parcel of the
   * order that reached the status within the window. `shipment` is then the latest of them.
   */
  order?: { orderId: string; parcels: { shipmentId: string; carrier?: string; trackingNumber?: string }[] };
  /** A stall alert (`shipment.stalled`): since when the shipment has been at its status. */
  stalledSince?: string;
  /** Set on the copy the fallback policy sends on the other channel: the channel that could not deliver it. */
  fallbackFrom?: Channel;
  /**
   * A shipment status message: which entry into the status it tells, the time (UTC, 24 characters)
   * of the event that entered it (notification-policy.ts, statusEpisode). Its claim is per episode;
   * a message published before episodes existed has none and keeps the claim per status.
   */
  episode?: string;
  /** When the change happened (the event time or the reconciliation time). */
  occurredAt: string;
}
