import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { createDocumentClient } from '#adapters/dynamo-client.ts';
import { DynamoWalletBooks } from '#adapters/dynamo-wallet-books.ts';
import { type ReconcileRequest, type ReconciliationResult, reconcileWallet } from '#lib/app/reconcile-wallet.ts';
import { requireEnv } from '#lib/config.ts';
import { logger, metrics } from '#lib/observability.ts';

// The ReconcileWallet task of the WalletReconciliation state machine — built once per container.
const books = new DynamoWalletBooks(createDocumentClient(), requireEnv('TABLE_NAME'));

export const handler = middy<ReconcileRequest, ReconciliationResult>({ timeoutEarlyInMillis: 0 })
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (request) => {
    logger.appendKeys({ walletId: request.walletId, execution: request.executionName });
    const result = await reconcileWallet(books, request);
    metrics.addMetric('ReconciliationsRun', MetricUnit.Count, 1);
    metrics.addMetric('ReconciliationsCorrected', MetricUnit.Count, result.corrected ? 1 : 0);
    // Drift in minor units, unsigned: how far the running balance had wandered from the ledger.
    metrics.addMetric('ReconciliationDriftMinorUnits', MetricUnit.Count, Math.abs(result.drift));
    // Amounts and channels only: contact details stay out of the logs.
    logger.info(result.corrected ? 'balance drifted and was corrected' : 'balance confirmed', {
      drift: result.drift,
      entries: result.entries,
      channels: result.recipients.map((recipient) => recipient.channel),
      ...(result.nobodyToTell ? { nobodyToTell: result.nobodyToTell } : {}),
    });
    return result;
  });
