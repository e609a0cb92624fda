import type { WarehouseLimits } from './warehouse.ts';

/**
 * Per-warehouse request rate, one token bucket per warehouse in this container's memory
 * (docs/warehouses.md, "How precise the limits are"). A bucket holds up to `burst` tokens and
 * refills at `requestsPerSecond`; a request takes one token or is refused with the time until the
 * next one. Nothing is stored: the rate costs no write and no read, and the total across
 * containers is at most the number of ingest containers times this rate.
 */

interface Bucket {
  tokens: number;
  at: number;
}

export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number };

/** Buckets idle long enough to be full again are forgotten beyond this many warehouses. */
const REMEMBERED_WAREHOUSES = 10_000;

export class RequestRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes one token of `warehouseId`'s bucket at `now` (milliseconds), or says how long until one is there. */
  admit(warehouseId: string, limits: Pick<WarehouseLimits, 'requestsPerSecond' | 'burst'>, now: number): Admission {
    const { requestsPerSecond, burst } = limits;
    const previous = this.buckets.get(warehouseId);
    // Time running backwards (a clock step) refills nothing, rather than draining the bucket.
    const elapsed = previous ? Math.max(0, now - previous.at) / 1000 : Number.POSITIVE_INFINITY;
    const tokens = Math.min(burst, (previous?.tokens ?? burst) + elapsed * requestsPerSecond);
    if (tokens >= 1) {
      this.remember(warehouseId, { tokens: tokens - 1, at: now });
      return { admitted: true };
    }
    this.remember(warehouseId, { tokens, at: now });
    // retry-after is whole seconds (RFC 9110); at least 1.
    return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / requestsPerSecond)) };
  }

  private remember(warehouseId: string, bucket: Bucket): void {
    this.buckets.delete(warehouseId);
    this.buckets.set(warehouseId, bucket);
    if (this.buckets.size > REMEMBERED_WAREHOUSES) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
