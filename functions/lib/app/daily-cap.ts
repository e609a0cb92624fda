import type { NotificationMessage } from '#domain/notification-message.ts';
import type { Clock, NotificationSuppressions } from '#domain/notification-ports.ts';
import { capDay, type NotificationCounts } from '#domain/warehouse.ts';

/** Each warehouse's daily notification cap (docs/warehouses.md), for every function that publishes shipment messages. */
export interface DailyCapPorts {
  /** Each warehouse's count of the day; one atomic ADD per warehouse per call. */
  counts: NotificationCounts;
  /** A warehouse's daily cap: its registry override, else the default. */
  capOf: (warehouseId: string) => Promise<number>;
  suppressions: NotificationSuppressions;
  clock: Clock;
}

/**
 * The messages of `owner` that still fit under its cap today, in order; the rest are recorded
 * `suppressed` (their claim, so no sender ever takes them). The count before this call decides how
 * many fit: concurrent callers (stream router batches, stall alerts) each add atomically, so no two
 * of them are given the same room under the cap.
 */
export async function withinDailyCap<Item extends { message: NotificationMessage }>(
  ports: DailyCapPorts,
  owner: string,
  items: readonly Item[],
): Promise<{ allowed: Item[]; suppressed: number; cap: number }> {
  const now = ports.clock();
  if (items.length === 0) return { allowed: [], suppressed: 0, cap: await ports.capOf(owner) };
  const [total, cap] = await Promise.all([ports.counts.add(owner, capDay(now), items.length), ports.capOf(owner)]);
  const room = Math.max(0, Math.min(items.length, cap - (total - items.length)));
  const over = items.slice(room);
  if (over.length > 0) {
    const reason = `warehouse ${owner} reached its daily cap of ${cap} notifications`;
    await Promise.all(over.map(({ message }) => ports.suppressions.suppress(message, reason, now)));
  }
  return { allowed: items.slice(0, room), suppressed: over.length, cap };
}
