import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ContentionError,
  type EventStatus,
  ForbiddenError,
  IdReusedError,
  IncompleteBatchError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  SignatureError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '#domain/errors.ts';
import { InvalidPreferenceLinkError } from '#domain/preferences.ts';

/** RFC 9457 problem details; `type` URIs are listed in docs/problems.md. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
  /** When the request stopped after its writes had begun: per event, in request order, whether it is stored. */
  results?: { id: string; status: EventStatus }[];
}

interface Logs {
  warn(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

/** Events of a batch written before the failure are safe to resend: they come back `duplicate`. */
const RETRY_ADVICE = 'The request did not complete; send it again. Events already stored are answered "duplicate".';
const PARTIAL_ADVICE =
  '`results` says which events are stored; send the request again (or the events marked "not_stored"): stored ones are answered "duplicate".';

/** AWS throttling that outlasted the SDK's retries: our capacity, not the client's fault. */
const THROTTLING = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);
function isThrottling(error: unknown): boolean {
  return error instanceof Error && THROTTLING.has(error.name);
}

/** The one place errors become HTTP statuses. */
export function problemFor(error: unknown): Problem {
  if (error instanceof IncompleteBatchError) {
    const problem = problemFor(error.cause);
    const detail = problem.status >= 500 ? PARTIAL_ADVICE : `${problem.detail ?? problem.title} ${PARTIAL_ADVICE}`;
    return { ...problem, detail, results: error.results };
  }
  if (error instanceof ValidationError) {
    return {
      type: 'urn:parcelcast:problem:validation',
      title: 'Invalid request',
      status: 400,
      detail: error.message,
      errors: error.errors,
    };
  }
  if (error instanceof SignatureError) {
    // Deliberately vague: which secret or which check failed is no business of the caller.
    return {
      type: 'urn:parcelcast:problem:signature',
      title: 'Unauthorized',
      status: 401,
      detail: 'Missing, invalid or expired webhook signature.',
    };
  }
  if (error instanceof ForbiddenError) {
    return { type: 'urn:parcelcast:problem:forbidden', title: 'Forbidden', status: 403, detail: error.message, errors: error.errors };
  }
  if (error instanceof IdReusedError) {
    return { type: 'urn:parcelcast:problem:id-reused', title: 'Event id reused', status: 409, detail: error.message, errors: error.errors };
  }
  if (error instanceof RateLimitedError) {
    return { type: 'urn:parcelcast:problem:rate-limited', title: 'Too many requests', status: 429, detail: error.message };
  }
  if (error instanceof NotFoundError) {
    return { type: 'urn:parcelcast:problem:not-found', title: 'Not found', status: 404, detail: error.message };
  }
  if (error instanceof InvalidPreferenceLinkError) {
    // Expired and forged links alike: which it was is no business of whoever holds it.
    return {
      type: 'urn:parcelcast:problem:not-found',
      title: 'Not found',
      status: 404,
      detail: 'This preference link is not valid any more.',
    };
  }
  if (error instanceof PayloadTooLargeError) {
    return { type: 'urn:parcelcast:problem:too-large', title: 'Payload too large', status: 413, detail: error.message };
  }
  // middy's body parsers refuse a body their content type promised and did not deliver with a 415 of their own.
  if (error instanceof UnsupportedMediaTypeError || (error instanceof Error && (error as { statusCode?: number }).statusCode === 415)) {
    return { type: 'urn:parcelcast:problem:media-type', title: 'Unsupported media type', status: 415, detail: error.message };
  }
  if (error instanceof ContentionError || isThrottling(error)) {
    return { type: 'urn:parcelcast:problem:busy', title: 'Service busy', status: 503, detail: RETRY_ADVICE };
  }
  return {
    type: 'urn:parcelcast:problem:internal',
    title: 'Internal error',
    status: 500,
    detail: RETRY_ADVICE,
  };
}

/** When the client may try again, in whole seconds: a limit says when it frees up; a busy table, soon. */
function retryAfterOf(error: unknown, problem: Problem): number | undefined {
  if (error instanceof RateLimitedError) return error.retryAfterSeconds;
  return problem.status === 503 ? 1 : undefined;
}

export function problemResponse(problem: Problem, retryAfterSeconds?: number): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: {
      'content-type': 'application/problem+json',
      ...(retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {}),
    },
    body: JSON.stringify(problem),
  };
}

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** middy onError: maps any error to problem+json, logging server faults loudly and client faults briefly. */
export function problemResponses(logs: Logs): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    onError: async (request) => {
      const problem = problemFor(request.error);
      if (problem.status >= 500) logs.error('request failed', { error: request.error });
      else logs.warn('request rejected', { status: problem.status, problem: problem.type });
      request.response = problemResponse(problem, retryAfterOf(request.error, problem));
    },
  };
}
