import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-client.ts';
import { DynamoShipmentStore } from '#adapters/dynamo-shipment-store.ts';
import { DynamoWalletLedger } from '#adapters/dynamo-wallet-ledger.ts';
import { webhookVerifierFromEnvironment } from '#adapters/webhook-secrets.ts';
import { ingestRequest } from '#lib/app/ingest-request.ts';
import type { RecordResult } from '#lib/app/record-events.ts';
import { requireEnv } from '#lib/config.ts';
import { problemResponses } from '#lib/http/problem.ts';
import { countBy, logger, metrics } from '#lib/observability.ts';

// POST /v1/events — built once per container.
const tableName = requireEnv('TABLE_NAME');
const client = createDocumentClient();
const dependencies = {
  shipments: new DynamoShipmentStore(client, tableName),
  wallets: new DynamoWalletLedger(client, tableName),
  verifier: webhookVerifierFromEnvironment(),
  recorded: (results: readonly RecordResult[]) => {
    // The CloudEvent ids tie this request's log line to the event records and the stream's work.
    logger.info('events recorded', { events: results.map(({ id, type, status }) => ({ id, type, status })) });
    countBy(
      'EventsAccepted',
      'eventType',
      results.filter((r) => r.status === 'accepted').map((r) => r.type),
    );
    countBy(
      'EventsDuplicate',
      'eventType',
      results.filter((r) => r.status === 'duplicate').map((r) => r.type),
    );
  },
};

/** Counts each rejected request by status; runs after problemResponses has chosen it. */
const countRejections: MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> = {
  onError: async (request) => {
    const status = request.response?.statusCode;
    if (status !== undefined) countBy(status >= 500 ? 'IngestFaults' : 'EventsRejected', 'status', [String(status)]);
  },
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({ timeoutEarlyInMillis: 0 })
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .use(countRejections)
  .use(problemResponses(logger))
  .handler((request) => {
    logger.appendKeys({ webhookId: request.headers?.['webhook-id'] });
    // Every request counts, so an invocation never flushes an empty metrics set.
    metrics.addMetric('IngestRequests', MetricUnit.Count, 1);
    return ingestRequest(dependencies, request);
  });
