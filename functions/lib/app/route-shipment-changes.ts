import type { ShipmentChange } from '#domain/changes.ts';
import type { NotificationMessage } from '#domain/notification-message.ts';
import { notificationsForChange } from '#domain/notification-policy.ts';
import type { Clock, NotificationPublisher, NotificationSuppressions } from '#domain/notification-ports.ts';
import { capDay, type NotificationCounts } from '#domain/warehouse.ts';

export interface RouteShipmentPorts {
  publisher: NotificationPublisher;
  /** Each warehouse's count of the day; one atomic ADD per warehouse per batch. */
  counts: NotificationCounts;
  /** A warehouse's daily cap: its registry override, else the default. */
  capOf: (warehouseId: string) => Promise<number>;
  suppressions: NotificationSuppressions;
  clock: Clock;
}

export interface RoutedBatch {
  failedSequenceNumbers: string[];
  published: number;
  /** Messages not published because their warehouse reached its cap, by warehouse. */
  suppressed: Map<string, number>;
}

interface Outgoing {
  message: NotificationMessage;
  sequenceNumber: string;
}

/**
 * The stream router's use case: the messages the policy calls for, counted against their
 * warehouse's daily cap, then published together (the publisher batches them). Each warehouse's
 * messages of the batch are added to its day's count in one atomic step; those beyond its cap are
 * recorded `suppressed` instead of published (docs/warehouses.md). A record whose messages were
 * not all accepted is reported failed, so Lambda retries from it. Re-published messages are
 * harmless: the senders' claims drop repeats.
 */
export async function routeShipmentChanges(ports: RouteShipmentPorts, changes: readonly ShipmentChange[]): Promise<RoutedBatch> {
  const byOwner = new Map<string | undefined, Outgoing[]>();
  for (const change of changes) {
    for (const message of notificationsForChange(change.before, change.after)) {
      const list = byOwner.get(change.owner) ?? [];
      // The senders keep preferences and suppression entries per owner warehouse when there is one.
      list.push({
        message: change.owner === undefined ? message : { ...message, owner: change.owner },
        sequenceNumber: change.sequenceNumber,
      });
      byOwner.set(change.owner, list);
    }
  }
  const suppressed = new Map<string, number>();
  if (byOwner.size === 0) return { failedSequenceNumbers: [], published: 0, suppressed };

  const now = ports.clock();
  const outgoing: Outgoing[] = [];
  for (const [owner, messages] of byOwner) {
    // A shipment written before owners were recorded counts against no warehouse.
    if (owner === undefined) {
      outgoing.push(...messages);
      continue;
    }
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

  if (outgoing.length === 0) return { failedSequenceNumbers: [], published: 0, suppressed };
  const { failed } = await ports.publisher.publish(outgoing.map(({ message }) => message));
  const failedSequenceNumbers = [...new Set(failed.map((index) => outgoing[index]?.sequenceNumber as string))];
  return { failedSequenceNumbers, published: outgoing.length - failed.length, suppressed };
}
