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

export class SignatureError extends Error {
  override readonly name = 'SignatureError';
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
