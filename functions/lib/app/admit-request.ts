import { RateLimitedError } from '#domain/errors.ts';
import type { RequestRateLimiter } from '#domain/request-rate.ts';
import { capDay, type NotificationCounts, secondsUntilNextDay, type Warehouse } from '#domain/warehouse.ts';

export interface AdmissionPorts {
  /** This container's token buckets, one per warehouse. */
  rate: RequestRateLimiter;
  /** The day's notification counts the stream router keeps, read through a short cache. */
  counts: NotificationCounts;
}

/**
 * Whether an authenticated warehouse may post now (docs/warehouses.md): within its request rate,
 * and under its daily notification cap. Checked before the body is parsed, so a warehouse over
 * its limits costs no parsing and no write; throws RateLimitedError (429, with when to come back).
 */
export async function admitRequest(ports: AdmissionPorts, warehouse: Warehouse, now: Date): Promise<void> {
  const { id, limits } = warehouse;
  const rate = ports.rate.admit(id, limits, now.getTime());
  if (!rate.admitted) {
    throw new RateLimitedError(
      'request-rate',
      rate.retryAfterSeconds,
      `Warehouse ${id} may send ${limits.requestsPerSecond} requests per second (bursts of ${limits.burst}); slow down and send this one again.`,
    );
  }
  const counted = await ports.counts.counted(id, capDay(now));
  if (counted >= limits.notificationsPerDay) {
    throw new RateLimitedError(
      'notification-cap',
      secondsUntilNextDay(now),
      `Warehouse ${id} has triggered its ${limits.notificationsPerDay} notifications for today (UTC); send again after midnight UTC.`,
    );
  }
}
