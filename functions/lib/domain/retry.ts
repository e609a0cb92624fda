/**
 * How Parcelcast waits before trying again what the AWS SDK's own retries cannot see: a
 * transaction cancelled by a concurrent writer, a wallet that moved while its ledger was summed,
 * PublishBatch entries SNS failed inside a successful response. (Single AWS calls are retried by
 * the SDK, with the one policy of runtime/aws-clients.ts.) Full-jitter exponential backoff, so
 * writers that collided do not collide again in step.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** The ceiling of the first wait; it doubles with every attempt. */
  baseDelayMs: number;
  /** Tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits a random time up to `baseDelayMs × 2^(attempt−1)` after failed attempt number `attempt` (1-based). */
export function backoff(policy: RetryPolicy, attempt: number): Promise<void> {
  return (policy.sleep ?? sleep)(Math.random() * policy.baseDelayMs * 2 ** (attempt - 1));
}
