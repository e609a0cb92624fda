import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createDocumentClient } from '#adapters/dynamo-client.ts';
import { DynamoWalletBooks } from '#adapters/dynamo-wallet-books.ts';
import { type ReconcileRequest, type ReconciliationResult, reconcileWallet } from '#lib/app/reconcile-wallet.ts';
import { requireEnv } from '#lib/config.ts';
import { logger } from '#lib/observability.ts';

// The ReconcileWallet task of the WalletReconciliation state machine — built once per container.
const books = new DynamoWalletBooks(createDocumentClient(), requireEnv('TABLE_NAME'));

export const handler = middy<ReconcileRequest, ReconciliationResult>({ timeoutEarlyInMillis: 0 })
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (request) => {
    logger.appendKeys({ walletId: request.walletId, execution: request.executionName });
    const result = await reconcileWallet(books, request);
    // Amounts and channels only: contact details stay out of the logs.
    logger.info(result.corrected ? 'balance drifted and was corrected' : 'balance confirmed', {
      drift: result.drift,
      entries: result.entries,
      channels: result.recipients.map((recipient) => recipient.channel),
      ...(result.nobodyToTell ? { nobodyToTell: result.nobodyToTell } : {}),
    });
    return result;
  });
