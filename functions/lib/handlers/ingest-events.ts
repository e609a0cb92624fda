import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { RecordResult } from '#lib/app/record-events.ts';
import { type IngestPorts, ingestEventsRequest } from '#lib/http/ingest-controller.ts';
import { loggableHeader } from '#lib/http/request.ts';
import { countBy, type Observability } from '#lib/runtime/observability.ts';
import { type HttpHandler, httpHandler } from './middleware.ts';

/** POST /v1/events (IngestFunction): every request counted, every outcome logged by CloudEvent id. */
export function ingestEventsHandler(ports: Omit<IngestPorts, 'recorded'>, observability: Observability): HttpHandler {
  const { logger, metrics } = observability;
  const recorded = (results: readonly RecordResult[]) => {
    // The CloudEvent ids tie this request's log line to the event records and the stream's work.
    logger.info('events recorded', { events: results.map(({ id, type, status }) => ({ id, type, status })) });
    const typesWith = (status: RecordResult['status']) => results.filter((result) => result.status === status).map((result) => result.type);
    countBy(metrics, 'EventsAccepted', 'eventType', typesWith('accepted'));
    countBy(metrics, 'EventsDuplicate', 'eventType', typesWith('duplicate'));
  };
  /** Counts each rejected request by status; runs after problemResponses has chosen it. */
  const countRejections: MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> = {
    onError: async (request) => {
      const status = request.response?.statusCode;
      if (status !== undefined) countBy(metrics, status >= 500 ? 'IngestFaults' : 'EventsRejected', 'status', [String(status)]);
    },
  };
  return httpHandler(observability, { metrics: 'cold-start', extra: [countRejections] }).handler((request) => {
    logger.appendKeys({ webhookId: loggableHeader(request, 'webhook-id') });
    // Every request counts, so an invocation never flushes an empty metrics set.
    metrics.addMetric('IngestRequests', MetricUnit.Count, 1);
    return ingestEventsRequest({ ...ports, recorded }, request);
  });
}
