/**
 * The notification adapters' one retry policy. Their SDK clients are built with `maxAttempts: 1`
 * so the whole budget is here, explicit and testable: throttling and 5xx errors are retried with
 * full-jitter exponential backoff; anything else is thrown at once.
 */

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 3,
  baseDelayMs: 100,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const RETRYABLE_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'KMSThrottlingException',
  'InternalError',
  'InternalErrorException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const details = error as Error & { $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  return RETRYABLE_NAMES.has(error.name) || details.$retryable !== undefined || (details.$metadata?.httpStatusCode ?? 0) >= 500;
}

export function backoff(policy: RetryPolicy, attempt: number): Promise<void> {
  return policy.sleep(Math.random() * policy.baseDelayMs * 2 ** (attempt - 1));
}

export async function withRetries<T>(policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryable(error)) throw error;
      await backoff(policy, attempt);
    }
  }
}
