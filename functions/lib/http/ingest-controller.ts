import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MAX_BATCH_EVENTS, MAX_BODY_BYTES, parseEvents } from '#domain/cloud-events.ts';
import { NotFoundError, PayloadTooLargeError, SignatureError, UnsupportedMediaTypeError, ValidationError } from '#domain/errors.ts';
import { activeKeys, type Registration, type WarehouseRegistry } from '#domain/warehouse.ts';
import { type AdmissionPorts, admitRequest } from '#lib/app/admit-request.ts';
import { type RecordEventsPorts, type RecordResult, recordEvents } from '#lib/app/record-events.ts';
import { jsonResponse } from './problem.ts';
import { bodyText, header, mediaType, rawBody } from './request.ts';
import type { SignatureVerifier } from './webhook-signature.ts';

export interface IngestPorts extends RecordEventsPorts, AdmissionPorts {
  /** The registered warehouses and their keys (they may rotate). */
  warehouses: WarehouseRegistry;
  signatures: SignatureVerifier;
  /** Told what was recorded, for metrics. */
  recorded?: (results: readonly RecordResult[]) => void;
}

/**
 * What the audit log says about a request the ingest refused (handlers/ingest-events.ts): filled
 * in as the request is understood, so a refusal reports as much as was known when it happened.
 */
export interface RequestAudit {
  /** The warehouse id the path names: the client's word, not yet authenticated. */
  claimedWarehouse?: string;
  /** The warehouse the signature proved. */
  warehouse?: string;
  /** The CloudEvent ids of an authenticated, parsed body. */
  eventIds?: string[];
}

/** What each accepted media type says about the body's shape. */
const MEDIA_TYPES: Record<string, 'single' | 'batch' | 'either'> = {
  'application/cloudevents+json': 'single',
  'application/cloudevents-batch+json': 'batch',
  'application/json': 'either',
};

/**
 * The HTTP side of POST /v1/warehouses/{warehouseId}/events (and POST /v1/events, for a deployment
 * of one warehouse), checked in the order that costs the least and reveals the least: media type,
 * size, the warehouse's signature over the raw bytes (only that warehouse's keys are tried), its
 * limits, JSON, batch size, schema; then the record-events use case checks what this warehouse may
 * post and writes. Errors are thrown for problem.ts to answer.
 */
export async function ingestEventsRequest(
  ports: IngestPorts,
  request: APIGatewayProxyEventV2,
  audit: RequestAudit = {},
): Promise<APIGatewayProxyStructuredResultV2> {
  // The receipt time API Gateway stamped; the clock where there is none (a test's hand-made event).
  const receivedAt = receiptTime(request);
  const type = mediaType(header(request, 'content-type'));
  const shape = type ? MEDIA_TYPES[type] : undefined;
  if (!shape) {
    throw new UnsupportedMediaTypeError(`Send one of: ${Object.keys(MEDIA_TYPES).join(', ')}.`);
  }

  const bytes = rawBody(request);
  if (bytes.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`The body is over ${MAX_BODY_BYTES / 1024} KiB.`);
  }

  const claimed = request.pathParameters?.warehouseId;
  if (claimed !== undefined) audit.claimedWarehouse = claimed;
  const registration = signer(await ports.warehouses.registrations(), claimed);
  ports.signatures.verify(registration && activeKeys(registration, receivedAt), bytes, {
    'webhook-id': header(request, 'webhook-id'),
    'webhook-timestamp': header(request, 'webhook-timestamp'),
    'webhook-signature': header(request, 'webhook-signature'),
  });
  // verify() throws unless the registration exists and one of its keys signed the body.
  const { warehouse } = registration as Registration;
  audit.warehouse = warehouse.id;
  await admitRequest(ports, warehouse, receivedAt);

  // Only a signed body is read: a wrong signature is a 401 whatever the bytes are.
  const body = bodyText(bytes);
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

  const { events, batch } = parseEvents(parsed, receivedAt);
  audit.eventIds = events.map((event) => event.id);
  const results = await recordEvents(ports, { warehouse, events, batch, receivedAt });
  ports.recorded?.(results);
  return jsonResponse(202, { results: results.map(({ id, status }) => ({ id, status })) });
}

/**
 * When the request arrived: API Gateway's `requestContext.timeEpoch`, which no retry, cold start or
 * slow secret lookup moves, else the clock. parseEvents bounds how far ahead of it an event may be dated.
 */
function receiptTime(request: APIGatewayProxyEventV2): Date {
  const epoch = request.requestContext?.timeEpoch;
  return typeof epoch === 'number' && Number.isFinite(epoch) ? new Date(epoch) : new Date();
}

/**
 * The registration whose keys may have signed the request: the one the path names, or, on
 * POST /v1/events, the only one there is. Undefined when the path names no registered warehouse
 * (the signature check then answers the same 401 as for a wrong signature, so ids cannot be
 * probed). With several warehouses, POST /v1/events cannot know whose keys to try: 404.
 */
function signer(registry: ReadonlyMap<string, Registration>, claimed: string | undefined): Registration | undefined {
  if (claimed !== undefined) return registry.get(claimed);
  if (registry.size === 1) return [...registry.values()][0];
  if (registry.size === 0) throw new SignatureError('no warehouse is registered', 'unknown-warehouse');
  throw new NotFoundError(
    'This deployment serves several warehouses: post to /v1/warehouses/{warehouseId}/events with your warehouse id (docs/warehouses.md).',
  );
}
