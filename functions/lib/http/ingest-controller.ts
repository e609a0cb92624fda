import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES, parseEvents } from '#domain/cloud-events.ts';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '#domain/errors.ts';
import { type RecordEventsPorts, type RecordResult, recordEvents } from '#lib/app/record-events.ts';
import { jsonResponse } from './problem.ts';
import { header, mediaType, rawBody } from './request.ts';
import type { WebhookVerifier } from './webhook-signature.ts';

export interface IngestPorts extends RecordEventsPorts {
  /** Resolves the verifier for the currently active signing secrets (they may rotate). */
  verifier: () => Promise<WebhookVerifier>;
  /** Told what was recorded, for metrics. */
  recorded?: (results: readonly RecordResult[]) => void;
}

/** What each accepted media type says about the body's shape. */
const MEDIA_TYPES: Record<string, 'single' | 'batch' | 'either'> = {
  'application/cloudevents+json': 'single',
  'application/cloudevents-batch+json': 'batch',
  'application/json': 'either',
};

/**
 * The HTTP side of POST /v1/events, checked in the order that costs the least and reveals the
 * least: media type, size, signature (over the raw bytes), JSON, batch size, schema; then the
 * record-events use case writes. Errors are thrown for problem.ts to answer.
 */
export async function ingestEventsRequest(ports: IngestPorts, request: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const type = mediaType(header(request, 'content-type'));
  const shape = type ? MEDIA_TYPES[type] : undefined;
  if (!shape) {
    throw new UnsupportedMediaTypeError(`Send one of: ${Object.keys(MEDIA_TYPES).join(', ')}.`);
  }

  const body = rawBody(request);
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`The body is over ${MAX_BODY_BYTES / 1024} KiB.`);
  }

  (await ports.verifier()).verify(body, {
    'webhook-id': header(request, 'webhook-id'),
    'webhook-timestamp': header(request, 'webhook-timestamp'),
    'webhook-signature': header(request, 'webhook-signature'),
  });

  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new ValidationError([{ path: '$', message: `body is not JSON: ${(error as Error).message}` }]);
  }
  if (Array.isArray(parsed) && parsed.length > MAX_BATCH_EVENTS) {
    throw new PayloadTooLargeError(`A batch holds at most ${MAX_BATCH_EVENTS} events; this one has ${parsed.length}.`);
  }
  if (shape === 'single' && Array.isArray(parsed)) {
    throw new ValidationError([{ path: '$', message: `${type} carries one event; send a batch as application/cloudevents-batch+json` }]);
  }
  if (shape === 'batch' && !Array.isArray(parsed)) {
    throw new ValidationError([{ path: '$', message: `${type} carries a JSON array of events` }]);
  }

  const { events, batch } = parseEvents(parsed, receivedAt(request));
  const results = await recordEvents(ports, events, batch);
  ports.recorded?.(results);
  return jsonResponse(202, { results: results.map(({ id, status }) => ({ id, status })) });
}

/**
 * When the request arrived: API Gateway's `requestContext.timeEpoch`, which no retry, cold start or
 * slow secret lookup moves, else the clock. parseEvents bounds how far ahead of it an event may be dated.
 */
function receivedAt(request: APIGatewayProxyEventV2): Date {
  const epoch = request.requestContext?.timeEpoch;
  return typeof epoch === 'number' && Number.isFinite(epoch) ? new Date(epoch) : new Date();
}
