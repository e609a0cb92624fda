import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-client.ts';
import { DynamoShipmentStore } from '#adapters/dynamo-shipment-store.ts';
import { DynamoWalletLedger } from '#adapters/dynamo-wallet-ledger.ts';
import { webhookVerifierFromEnvironment } from '#adapters/webhook-secrets.ts';
import { ingestRequest } from '#lib/app/ingest-request.ts';
import { requireEnv } from '#lib/config.ts';
import { problemResponses } from '#lib/http/problem.ts';
import { logger } from '#lib/observability.ts';

// POST /v1/events — built once per container.
const tableName = requireEnv('TABLE_NAME');
const client = createDocumentClient();
const dependencies = {
  shipments: new DynamoShipmentStore(client, tableName),
  wallets: new DynamoWalletLedger(client, tableName),
  verifier: webhookVerifierFromEnvironment(),
};

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({ timeoutEarlyInMillis: 0 })
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(problemResponses(logger))
  .handler((request) => {
    logger.appendKeys({ webhookId: request.headers?.['webhook-id'] });
    return ingestRequest(dependencies, request);
  });
