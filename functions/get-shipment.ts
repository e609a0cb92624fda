import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-client.ts';
import { DynamoShipmentStore } from '#adapters/dynamo-shipment-store.ts';
import { readShipment } from '#lib/app/read-shipment.ts';
import { requireEnv } from '#lib/config.ts';
import { jsonResponse, problemResponses } from '#lib/http/problem.ts';
import { logger } from '#lib/observability.ts';

// GET /v1/shipments/{shipmentId} — built once per container.
const store = new DynamoShipmentStore(createDocumentClient(), requireEnv('TABLE_NAME'));

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({ timeoutEarlyInMillis: 0 })
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(problemResponses(logger))
  .handler(async (request) => {
    const shipmentId = request.pathParameters?.shipmentId ?? '';
    return jsonResponse(200, await readShipment(store, shipmentId));
  });
