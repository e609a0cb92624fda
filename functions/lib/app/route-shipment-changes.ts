import { profileToKeep, type ShipmentChange } from '#domain/changes.ts';
import type { NotificationMessage } from '#domain/notification-message.ts';
import { notificationsForChange, withheldEntry } from '#domain/notification-policy.ts';
import type { NotificationPublisher } from '#domain/notification-ports.ts';
import type { CustomerProfiles, OrderWindows, StallDeadlines, StallSchedules, WorkflowStarter } from '#domain/ports.ts';
import type { ShipmentStatus } from '#domain/shipment.ts';
import {
  countsIntoOrder,
  holdsBack,
  orderStatusMessages,
  type SplitOrderWindowInput,
  splitOrderExecutionName,
  windowComplete,
} from '#domain/split-orders.ts';
import { deadlineForChange, type StallSettings } from '#domain/stall-alerts.ts';
import { statusEpisode } from '#domain/status-episodes.ts';
import { type DailyCapPorts, withinDailyCap } from './daily-cap.ts';

export interface RouteShipmentPorts extends DailyCapPorts {
  publisher: NotificationPublisher;
  profiles: CustomerProfiles;
  /** Stall timers (docs/alerts.md): armed when a status change brings a shipment's deadline forward. */
  stalls: { deadlines: StallDeadlines; schedules: StallSchedules; settings: StallSettings };
  /** Split orders (docs/alerts.md): order counts, windows, and the SplitOrderWindow workflow's starter. */
  orders: { windows: OrderWindows; starter: WorkflowStarter; windowSeconds: number };
}

export interface RoutedBatch {
  failedSequenceNumbers: string[];
  published: number;
  /** Messages not published because their warehouse reached its cap, by warehouse. */
  suppressed: Map<string, number>;
  /** Customer profiles written (docs/data-model.md, "Customer profiles"). */
  profiles: number;
  /** Stall timers armed or moved (docs/alerts.md). */
  timers: number;
  /** Shipments whose message waits for their order's window (docs/alerts.md, "Split orders"). */
  held: number;
  /**
   * Entries into a status not told because the shipment entered that status more often than
   * ENTRIES_TOLD_PER_STATUS (docs/notifications.md, "Status episodes"): for the operator.
   */
  withheld: WithheldEntry[];
}

export interface WithheldEntry {
  shipmentId: string;
  owner: string;
  status: ShipmentStatus;
  /** Which entry into the status it was (4 for the first one withheld when 3 are told). */
  entry: number;
}

interface Outgoing {
  message: NotificationMessage;
  sequenceNumber: string;
}

/**
 * The stream router's use case: the messages the policy calls for, counted against the daily cap
 * of the warehouse that owns the shipment, then published together (the publisher batches them),
 * the customer profiles the changes call for keeping (off the ingest path: a profile is only
 * read by wallet messages, long after), and the stall timers a status change brings forward.
 * Each warehouse's messages of the batch are added to its day's count in one atomic step; those
 * beyond its cap are recorded `suppressed` instead of published (docs/warehouses.md). A record
 * whose messages were not all accepted, whose profile could not be written or whose timer could
 * not be armed is reported failed, so Lambda retries from it. All are harmless to repeat: the
 * senders' claims drop repeated messages, a profile write is conditional on its mark, and arming
 * the same deadline again moves nothing.
 */
export async function routeShipmentChanges(ports: RouteShipmentPorts, changes: readonly ShipmentChange[]): Promise<RoutedBatch> {
  const byOwner = new Map<string, Outgoing[]>();
  const orders = await holdForOrders(ports.orders, changes);
  for (const change of changes) {
    const held = orders.held.get(change.sequenceNumber);
    for (const message of notificationsForChange(change.before, change.after)) {
      if (held?.has(message.notificationId)) continue;
      const list = byOwner.get(change.after.owner) ?? [];
      list.push({ message, sequenceNumber: change.sequenceNumber });
      byOwner.set(change.after.owner, list);
    }
  }
  const withheld = changes.flatMap(({ before, after }) => {
    const entry = withheldEntry(before, after);
    return entry ? [{ shipmentId: after.shipmentId, owner: after.owner, ...entry }] : [];
  });
  const profiles = changes.flatMap((change) => {
    const profile = profileToKeep(change);
    return profile ? [{ profile, sequenceNumber: change.sequenceNumber }] : [];
  });
  const suppressed = new Map<string, number>();
  const now = ports.clock();
  const outgoing: Outgoing[] = [];
  for (const [owner, messages] of byOwner) {
    const capped = await withinDailyCap(ports, owner, messages);
    outgoing.push(...capped.allowed);
    if (capped.suppressed > 0) suppressed.set(owner, capped.suppressed);
  }

  // One timer per shipment per batch, for its last status change: earlier ones in the batch are
  // superseded, and arming one shipment twice at once would race its own create and move.
  const latest = new Map<string, { shipmentId: string; dueAt: string | undefined; sequenceNumber: string }>();
  for (const change of changes) {
    const { before, after } = change;
    if (before && before.status === after.status && before.statusTime === after.statusTime) continue;
    const dueAt = deadlineForChange(before, after, now, ports.stalls.settings);
    latest.set(after.shipmentId, { shipmentId: after.shipmentId, dueAt, sequenceNumber: change.sequenceNumber });
  }
  const deadlines = [...latest.values()].flatMap((entry) => (entry.dueAt ? [{ ...entry, dueAt: entry.dueAt }] : []));
  const armTimer = async ({ shipmentId, dueAt }: { shipmentId: string; dueAt: string }) => {
    const change = await ports.stalls.deadlines.bringForward(shipmentId, dueAt);
    if (change !== 'none') await ports.stalls.schedules.arm(shipmentId, dueAt, change);
  };
  const [publishing, ...writes] = await Promise.allSettled([
    outgoing.length > 0 ? ports.publisher.publish(outgoing.map(({ message }) => message)) : Promise.resolve({ failed: [] as number[] }),
    ...profiles.map(({ profile }) => ports.profiles.remember(profile.owner, profile.customer, profile.mark)),
    ...deadlines.map(armTimer),
  ]);
  // A publisher that failed outright (not entry by entry) fails the batch, as it did before profiles were kept here.
  if (publishing?.status !== 'fulfilled') throw publishing?.reason;
  const failed = new Set(publishing.value.failed.map((index) => outgoing[index]?.sequenceNumber as string));
  const published = outgoing.length - publishing.value.failed.length;
  const sequenceNumbers = [...profiles, ...deadlines].map(({ sequenceNumber }) => sequenceNumber);
  writes.forEach((write, index) => {
    if (write.status === 'rejected') failed.add(sequenceNumbers[index] as string);
  });
  for (const sequenceNumber of orders.failed) failed.add(sequenceNumber);
  return {
    failedSequenceNumbers: [...failed],
    published,
    suppressed,
    profiles: profiles.length,
    timers: deadlines.length,
    held: orders.held.size,
    withheld,
  };
}

/**
 * Split orders, before the batch's messages are chosen: counts each shipment into its order
 * (once, whatever event first carries the orderId, with the parcel count it gave), then, for a
 * status change the domain says to hold back (holdsBack: a combinable status of an order expected
 * to have two parcels or more), joins the (order, status) window and starts its workflow, named
 * per (owner, order, status) so every member starts the same one. When the join completes the
 * window (windowComplete: every parcel of a known parcel count is in), a second execution, also
 * named per window, closes it at once; the waiting one then finds it closed and published. A
 * window already closed is missed: the shipment's own message goes as usual. Answers, per record,
 * the notification ids held back; a record whose count, join or start failed is reported failed
 * and its messages held back (its retry decides).
 */
async function holdForOrders(
  orders: RouteShipmentPorts['orders'],
  changes: readonly ShipmentChange[],
): Promise<{ held: Map<string, Set<string>>; failed: Set<string> }> {
  const held = new Map<string, Set<string>>();
  const failed = new Set<string>();
  // Every count of the batch lands before any status is judged, so a shipment.created earlier in
  // the batch counts for a later status. The counts go at once: adding to an order's set, with the
  // largest parcel count winning, comes out the same in any order.
  await Promise.all(
    changes.map(async ({ before, after, sequenceNumber }) => {
      try {
        if (after.orderId && countsIntoOrder(before, after))
          await orders.windows.addShipment(after.owner, after.orderId, after.shipmentId, after.parcelCount);
      } catch {
        failed.add(sequenceNumber);
      }
    }),
  );
  await Promise.all(
    changes.map(async ({ before, after, sequenceNumber }) => {
      const orderId = after.orderId;
      const statusMessages = orderStatusMessages(before, after);
      if (!orderId || statusMessages.size === 0 || failed.has(sequenceNumber)) return;
      try {
        const size = await orders.windows.size(after.owner, orderId);
        if (!holdsBack(after, size)) return;
        const join = await orders.windows.join(after.owner, orderId, after.status, after.shipmentId, statusEpisode(after));
        if (!join.joined) return;
        const input: SplitOrderWindowInput = { owner: after.owner, orderId, status: after.status, windowSeconds: orders.windowSeconds };
        await orders.starter.start(splitOrderExecutionName(after.owner, orderId, after.status), input);
        if (windowComplete(join.members, size, after)) {
          await orders.starter.start(splitOrderExecutionName(after.owner, orderId, after.status, 'complete'), {
            ...input,
            windowSeconds: 0,
          });
        }
        held.set(sequenceNumber, statusMessages);
      } catch {
        held.set(sequenceNumber, statusMessages);
        failed.add(sequenceNumber);
      }
    }),
  );
  return { held, failed };
}
