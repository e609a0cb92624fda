import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { idDigest } from '#domain/id-digest.ts';
import type { WalletBooks } from '#domain/ports.ts';
import { type ReconcileRequest, type ReconciliationResult, reconcileWallet } from '#lib/app/reconcile-wallet.ts';
import type { Observability } from '#lib/runtime/observability.ts';
import { lambdaHandler } from './middleware.ts';

/** The ReconcileWallet task of the WalletReconciliation state machine (ReconcileWalletFunction). */
export function reconcileWalletHandler(books: WalletBooks, observability: Observability) {
  const { logger, metrics } = observability;
  return lambdaHandler<ReconcileRequest, ReconciliationResult>(observability, { metrics: true }).handler(async (request) => {
    logger.appendKeys({ walletId: idDigest(request.walletId), execution: request.executionName });
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
}
