import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ForbiddenError, IncompleteBatchError, RateLimitedError, SignatureError } from '#domain/errors.ts';
import { idDigest } from '#domain/id-digest.ts';
import type { RecordResult } from '#lib/app/record-events.ts';
import { type IngestPorts, ingestEventsRequest, type RequestAudit } from '#lib/http/ingest-controller.ts';
import { forLog, header } from '#lib/http/request.ts';
import { countBy, type Observability, singleMetricOf } from '#lib/runtime/observability.ts';
import { type HttpHandler, httpHandler } from './middleware.ts';

/** The audit context of each request being handled. */
type Audits = WeakMap<APIGatewayProxyEventV2, RequestAudit>;

/**
 * POST /v1/warehouses/{warehouseId}/events and POST /v1/events (IngestFunction): every request
 * counted, every outcome logged by CloudEvent id, and every refusal (401, 403, 429) audited.
 */
export function ingestEventsHandler(ports: Omit<IngestPorts, 'recorded'>, observability: Observability): HttpHandler {
  const { logger, metrics } = observability;
  const audits: Audits = new WeakMap();
  const recorded = (results: readonly RecordResult[]) => {
    // The CloudEvent ids tie this request's log line to the event records and the stream's work: as digests (idDigest).
    logger.info('events recorded', { events: results.map(({ id, type, status }) => ({ id: idDigest(id), type, status })) });
    const typesWith = (status: RecordResult['status']) => results.filter((result) => result.status === status).map((result) => result.type);
    countBy(metrics, 'EventsAccepted', 'eventType', typesWith('accepted'));
    countBy(metrics, 'EventsDuplicate', 'eventType', typesWith('duplicate'));
  };
  /** Counts each rejected request by status and audits refusals; runs after problemResponses has chosen the answer. */
  const countRejections: MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> = {
    onError: async (request) => {
      const status = request.response?.statusCode;
      if (status !== undefined) countBy(metrics, status >= 500 ? 'IngestFaults' : 'EventsRejected', 'status', [String(status)]);
      // A refusal that a concurrent request made possible after the checks comes wrapped with the batch's results.
      const error = request.error instanceof IncompleteBatchError ? request.error.cause : request.error;
      if (error instanceof SignatureError || error instanceof ForbiddenError || error instanceof RateLimitedError) {
        audit(observability, error, status ?? 0, audits.get(request.event) ?? {}, request.event);
      }
    },
  };
  return httpHandler(observability, { metrics: 'cold-start', extra: [countRejections] }).handler((request) => {
    logger.appendKeys({ webhookId: idDigest(header(request, 'webhook-id')) });
    // Every request counts, so an invocation never flushes an empty metrics set.
    metrics.addMetric('IngestRequests', MetricUnit.Count, 1);
    const context: RequestAudit = {};
    audits.set(request, context);
    return ingestEventsRequest({ ...ports, recorded }, request, context);
  });
}

/**
 * One log line and one `RequestsRefused` count per refused request: the warehouse (the proven one,
 * else the claimed one, truncated), why, and the CloudEvent ids (as digests) once the body was
 * authenticated and parsed; never the body or a contact detail. The metric's `warehouse` dimension names only a
 * proven warehouse, so made-up ids in paths cannot create metrics.
 */
function audit(
  { logger, metrics }: Observability,
  error: SignatureError | ForbiddenError | RateLimitedError,
  status: number,
  context: RequestAudit,
  request: APIGatewayProxyEventV2,
): void {
  logger.warn('request refused', {
    status,
    reason: error.reason,
    warehouse: context.warehouse,
    ...(context.warehouse ? {} : { claimedWarehouse: forLog(context.claimedWarehouse) }),
    ...(context.eventIds ? { eventIds: context.eventIds.map((id) => idDigest(id)) } : {}),
    ...(error instanceof ForbiddenError ? { fields: error.errors.map(({ path }) => path) } : {}),
    ...(error instanceof RateLimitedError ? { retryAfterSeconds: error.retryAfterSeconds } : {}),
    sourceIp: request.requestContext?.http?.sourceIp,
  });
  singleMetricOf(metrics)
    .addDimensions({ warehouse: context.warehouse ?? 'unauthenticated', reason: error.reason })
    .addMetric('RequestsRefused', MetricUnit.Count, 1);
  if (error instanceof RateLimitedError && error.reason === 'notification-cap') {
    // Without the warehouse dimension: what NotificationCapAlarm watches.
    singleMetricOf(metrics).addMetric('NotificationCapReached', MetricUnit.Count, 1);
  }
}
