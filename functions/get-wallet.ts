import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-client.ts';
import { DynamoWalletBooks } from '#adapters/dynamo-wallet-books.ts';
import { readWallet } from '#lib/app/read-wallet.ts';
import { requireEnv } from '#lib/config.ts';
import { jsonResponse, problemResponses } from '#lib/http/problem.ts';
import { logger } from '#lib/observability.ts';

// GET /v1/wallets/{walletId} — built once per container.
const books = new DynamoWalletBooks(createDocumentClient(), requireEnv('TABLE_NAME'));

export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>({ timeoutEarlyInMillis: 0 })
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(problemResponses(logger))
  .handler(async (request) => {
    const walletId = request.pathParameters?.walletId ?? '';
    return jsonResponse(200, await readWallet(books, walletId));
  });
