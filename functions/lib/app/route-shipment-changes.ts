import { profileToKeep, type ShipmentChange } from '#domain/changes.ts';
import type { NotificationMessage } from '#domain/notification-message.ts';
import { notificationsForChange } from '#domain/notification-policy.ts';
import type { Clock, NotificationPublisher, NotificationSuppressions } from '#domain/notification-ports.ts';
import type { CustomerProfiles } from '#domain/ports.ts';
import { capDay, type NotificationCounts } from '#domain/warehouse.ts';

export interface RouteShipmentPorts {
  publisher: NotificationPublisher;
  /** Each warehouse's count of the day; one atomic ADD per warehouse per batch. */
  counts: NotificationCounts;
  /** A warehouse's daily cap: its registry override, else the default. */
  capOf: (warehouseId: string) => Promise<number>;
  suppressions: NotificationSuppressions;
  clock: Clock;
  profiles: CustomerProfiles;
}

export interface RoutedBatch {
  failedSequenceNumbers: string[];
  published: number;
  /** Messages not published because their warehouse reached its cap, by warehouse. */
  suppressed: Map<string, number>;
  /** Customer profiles written (docs/data-model.md, "Customer profiles"). */
  profiles: number;
}

interface Outgoing {
  message: NotificationMessage;
  sequenceNumber: string;
}

/**
 * The stream router's use case: the messages the policy calls for, counted against the daily cap
 * of the warehouse that owns the shipment, then published together (the publisher batches them),
 * and the customer profiles the changes call for keeping (off the ingest path: a profile is only
 * read by wallet messages, long after). Each warehouse's messages of the batch are added to its
 * day's count in one atomic step; those beyond its cap are recorded `suppressed` instead of
 * published (docs/warehouses.md). A record whose messages were not all accepted, or whose profile
 * could not be written, is reported failed, so Lambda retries from it. Both are harmless to
 * repeat: the senders' claims drop repeated messages, and a profile write is conditional on its mark.
 */
export async function routeShipmentChanges(ports: RouteShipmentPorts, changes: readonly ShipmentChange[]): Promise<RoutedBatch> {
  const byOwner = new Map<string, Outgoing[]>();
  for (const change of changes) {
    for (const message of notificationsForChange(change.before, change.after)) {
      const list = byOwner.get(change.after.owner) ?? [];
      list.push({ message, sequenceNumber: change.sequenceNumber });
      byOwner.set(change.after.owner, list);
    }
  }
  const profiles = changes.flatMap((change) => {
    const profile = profileToKeep(change);
    return profile ? [{ profile, sequenceNumber: change.sequenceNumber }] : [];
  });
  const suppressed = new Map<string, number>();
  const now = ports.clock();
  const outgoing: Outgoing[] = [];
  for (const [owner, messages] of byOwner) {
    const [total, cap] = await Promise.all([ports.counts.add(owner, capDay(now), messages.length), ports.capOf(owner)]);
    // The count before this batch decides how many of its messages still fit: concurrent batches
    // each add atomically, so no two of them are given the same room under the cap.
    const room = Math.max(0, Math.min(messages.length, cap - (total - messages.length)));
    outgoing.push(...messages.slice(0, room));
    const over = messages.slice(room);
    if (over.length === 0) continue;
    suppressed.set(owner, over.length);
    const reason = `warehouse ${owner} reached its daily cap of ${cap} notifications`;
    await Promise.all(over.map(({ message }) => ports.suppressions.suppress(message, reason, now)));
  }

  const [publishing, ...profileWrites] = await Promise.allSettled([
    outgoing.length > 0 ? ports.publisher.publish(outgoing.map(({ message }) => message)) : Promise.resolve({ failed: [] as number[] }),
    ...profiles.map(({ profile }) => ports.profiles.remember(profile.owner, profile.customer, profile.mark)),
  ]);
  // A publisher that failed outright (not entry by entry) fails the batch, as it did before profiles were kept here.
  if (publishing?.status !== 'fulfilled') throw publishing?.reason;
  const failed = new Set(publishing.value.failed.map((index) => outgoing[index]?.sequenceNumber as string));
  const published = outgoing.length - publishing.value.failed.length;
  profileWrites.forEach((write, index) => {
    if (write.status === 'rejected') failed.add(profiles[index]?.sequenceNumber as string);
  });
  return { failedSequenceNumbers: [...failed], published, suppressed, profiles: profiles.length };
}
