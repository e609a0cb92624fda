import { sha256Hex } from './id-digest.ts';
import type { NotificationMessage } from './notification-message.ts';
import { DEFAULT_LOCALE, reachableChannels } from './notification-policy.ts';
import type { Customer, ShipmentState, ShipmentStatus } from './shipment.ts';

/**
 * Stall alerts (docs/alerts.md): a shipment whose status has not changed for its status's
 * threshold gets one "your parcel is delayed, we are on it" message per stall. The timer is a
 * one-time schedule per shipment, armed lazily: the stream router arms it when a status change
 * brings the deadline forward, and when it fires the shipment is read again and this module
 * decides what happens (`onStallTimer`). Pure: the thresholds come in as settings.
 */

export interface StallSettings {
  /** The template's StallAlertHours: the threshold of a status in transit. */
  alertHours: number;
  /** When set, every threshold is this many seconds instead (STALL_ALERT_SECONDS, to see alerts in minutes, not days). */
  overrideSeconds?: number;
}

/**
 * How long each status may last, as a share of StallAlertHours, before the customer is told. The
 * one place that decides it. A shipment waits longer to be picked than a parcel in a van takes to
 * arrive; a parcel at a pickup point waits for the customer, and a delivered one for nothing, so
 * neither has a threshold, nor has a terminal status.
 */
const THRESHOLD_SHARE: Partial<Record<ShipmentStatus, number>> = {
  created: 2,
  picked: 1,
  packed: 1,
  shipped: 1,
  in_transit: 1,
  out_for_delivery: 0.25,
  delivery_failed: 1,
  attempted_delivery: 1,
};

/** The threshold of a status in seconds, or undefined when a shipment in it cannot stall. */
export function stallThresholdSeconds(status: ShipmentStatus, settings: StallSettings): number | undefined {
  const share = THRESHOLD_SHARE[status];
  if (share === undefined) return undefined;
  return settings.overrideSeconds ?? Math.round(share * settings.alertHours * 3600);
}

/**
 * When the shipment's current status stalls (UTC, whole seconds up), or undefined when it cannot.
 * The clock starts when the status happened, or when Parcelcast learned of it if that was later
 * (`seenAt`: the status event's receipt): an event that arrives late has only just been told to
 * the customer, and a delay message on its heels would be noise.
 */
export function stallDueAt(
  state: Pick<ShipmentState, 'status' | 'statusTime'>,
  seenAt: string,
  settings: StallSettings,
): string | undefined {
  const threshold = stallThresholdSeconds(state.status, settings);
  if (threshold === undefined) return undefined;
  const start = Math.max(Date.parse(state.statusTime), Date.parse(seenAt));
  return new Date(Math.ceil((start + threshold * 1000) / 1000) * 1000).toISOString();
}

/** One stall: the status and the instant it started. A shipment is alerted once per stall. */
export function stallIdOf(state: Pick<ShipmentState, 'status' | 'statusTime'>): string {
  return `${state.status}@${state.statusTime}`;
}

/**
 * The deadline a status change calls for: the new status's, but only when its deadline exists.
 * Whether it is earlier than the one already armed is the timer store's to decide (a conditional
 * write); a later one is left to the timer, which re-arms when it fires.
 */
export function deadlineForChange(
  before: Pick<ShipmentState, 'status' | 'statusTime'> | undefined,
  after: Pick<ShipmentState, 'status' | 'statusTime'>,
  now: Date,
  settings: StallSettings,
): string | undefined {
  if (before && before.status === after.status && before.statusTime === after.statusTime) return undefined;
  return stallDueAt(after, now.toISOString(), settings);
}

export type StallDecision =
  /** The shipment cannot stall now (terminal, delivered, at a pickup point, or gone): the timer ends. */
  | { kind: 'stop' }
  /** It moved since the timer was armed: wait until its current status's deadline. */
  | { kind: 'rearm'; dueAt: string }
  /** It stalled: tell the customer once per stall, and operators. The timer ends until the next move. */
  | { kind: 'alert'; stallId: string; messages: NotificationMessage[] };

/** What a fired timer does, given the shipment as it is now and when its current status was received. */
export function onStallTimer(
  current: { state: ShipmentState; statusReceivedAt: string } | undefined,
  now: Date,
  settings: StallSettings,
): StallDecision {
  if (!current) return { kind: 'stop' };
  const { state } = current;
  const dueAt = stallDueAt(state, current.statusReceivedAt, settings);
  if (dueAt === undefined) return { kind: 'stop' };
  if (Date.parse(dueAt) > now.getTime()) return { kind: 'rearm', dueAt };
  return { kind: 'alert', stallId: stallIdOf(state), messages: stallMessages(state) };
}

/** The claim of a stall message: one per (shipment, stall, channel), so a timer fired twice sends once. */
export function stallNotificationStatus(stallId: string): string {
  return `stalled@${stallId}`;
}

/** "Your parcel is delayed, we are on it", on every channel the customer can be reached on. */
export function stallMessages(state: ShipmentState): NotificationMessage[] {
  const customer = state.customer as Customer | undefined;
  if (!customer) return [];
  const stallId = stallIdOf(state);
  return reachableChannels(customer).map((channel) => ({
    notificationId: `shipment#${state.shipmentId}#${stallNotificationStatus(stallId)}#${channel}`,
    eventType: 'shipment.stalled',
    channel,
    recipient: (channel === 'sms' ? customer.phone : customer.email) as string,
    locale: customer.locale ?? DEFAULT_LOCALE,
    ...(customer.timeZone ? { timeZone: customer.timeZone } : {}),
    customerId: customer.id,
    owner: state.owner,
    ...(customer.name ? { customerName: customer.name } : {}),
    shipment: {
      shipmentId: state.shipmentId,
      status: state.status,
      ...(state.carrier ? { carrier: state.carrier } : {}),
      ...(state.trackingNumber ? { trackingNumber: state.trackingNumber } : {}),
      ...(state.trackingUrl ? { trackingUrl: state.trackingUrl } : {}),
    },
    stalledSince: state.statusTime,
    occurredAt: state.statusTime,
  }));
}

/**
 * The shipment's schedule name: Scheduler allows 1–64 characters of [0-9a-zA-Z-_.], and shipment
 * ids are any text, so the name is a hash (160 bits: no two shipments of a table share one).
 */
export function stallScheduleName(shipmentId: string): string {
  return `stall-${sha256Hex(shipmentId, 40)}`;
}
