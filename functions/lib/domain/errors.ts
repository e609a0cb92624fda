/**
 * Errors are values with names; `functions/lib/http/problem.ts` maps each to one HTTP status.
 * Domain and adapters throw these; nothing else decides what a client sees.
 */

export interface FieldError {
  /** Where the problem is, e.g. `[3].data.customer.phone` (batch) or `data.shipmentId`. */
  path: string;
  message: string;
}

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  readonly errors: FieldError[];
  constructor(errors: FieldError[], message = 'The request body is not a valid CloudEvent or batch of CloudEvents.') {
    super(message);
    this.errors = errors;
  }
}

/** Why a request was refused, as the audit log and the `RequestsRefused` metric name it (never the client). */
export type RefusalReason =
  | 'unknown-warehouse'
  | 'bad-signature'
  | 'source-not-owned'
  | 'scope-missing'
  | 'not-owner'
  | 'request-rate'
  | 'notification-cap';

/** 401. The reason is for the audit log only: the client learns no more than "unauthorized". */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  readonly reason: Extract<RefusalReason, 'unknown-warehouse' | 'bad-signature'>;
  constructor(message: string, reason: SignatureError['reason'] = 'bad-signature') {
    super(message);
    this.reason = reason;
  }
}

/** 403: an authenticated warehouse asked for something it may not do; nothing of the request is stored. */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
  readonly reason: Extract<RefusalReason, 'source-not-owned' | 'scope-missing' | 'not-owner'>;
  readonly errors: FieldError[];
  constructor(reason: ForbiddenError['reason'], errors: FieldError[], message: string) {
    super(message);
    this.reason = reason;
    this.errors = errors;
  }
}

/** 429: a warehouse is over one of its limits; it may try again after `retryAfterSeconds`. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  readonly reason: Extract<RefusalReason, 'request-rate' | 'notification-cap'>;
  readonly retryAfterSeconds: number;
  constructor(reason: RateLimitedError['reason'], retryAfterSeconds: number, message: string) {
    super(message);
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
}

export class UnsupportedMediaTypeError extends Error {
  override readonly name = 'UnsupportedMediaTypeError';
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** Raised at start when a required setting is missing, so a misconfigured function fails fast. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** A write lost its race against concurrent writers too often; nothing was written and the client may retry. */
export class ContentionError extends Error {
  override readonly name = 'ContentionError';
}

/** A write found its subject (a shipment or wallet) owned by another warehouse: nothing was written. */
export class NotYoursError extends Error {
  override readonly name = 'NotYoursError';
}

/**
 * 409: an event's idempotency key (warehouse, source, id) is already stored with other content
 * (another type, time or data). A resend of the same content is a `duplicate`; this is a warehouse
 * reusing an id for something else, which would otherwise be dropped silently. The adapters throw
 * it bare; the use case names the event (`[i].id` in a batch, `id` for one event).
 */
export class IdReusedError extends Error {
  override readonly name = 'IdReusedError';
  readonly errors: FieldError[];
  constructor(message: string, errors: FieldError[] = []) {
    super(message);
    this.errors = errors;
  }
}

/** What became of one event of a request: stored now, stored before, or not (completely) stored. */
export type EventStatus = 'accepted' | 'duplicate' | 'not_stored';

/**
 * A request whose writes had begun failed part-way: `results` says, per event in request order,
 * which are stored (`accepted`, `duplicate`) and which are not (`not_stored`, to send again), and
 * `cause` why it stopped. Every check that can refuse a request runs before the first write, so
 * what remains is transient (a throttled table, lost races) or a concurrent request that changed
 * what the checks read (a wallet opened meanwhile in another currency or by another warehouse).
 */
export class IncompleteBatchError extends Error {
  override readonly name = 'IncompleteBatchError';
  readonly results: { id: string; status: EventStatus }[];
  constructor(cause: unknown, results: { id: string; status: EventStatus }[]) {
    super('the request stopped part-way', { cause });
    this.results = results;
  }
}
