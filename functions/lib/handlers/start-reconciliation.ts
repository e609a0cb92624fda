import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { walletChangeOf } from '#adapters/stream-images.ts';
import { type StartReconciliationPorts, startReconciliations } from '#lib/app/start-reconciliation.ts';
import type { Observability } from '#lib/runtime/observability.ts';
import { lambdaHandler } from './middleware.ts';
import { batchItemFailures, decodeBatch } from './stream-records.ts';

/**
 * StartReconciliationFunction: wallet-item changes on the table's stream (the template's filter
 * lets only pending wallets through) → one WalletReconciliation execution per wallet and window.
 */
export function startReconciliationHandler(ports: Omit<StartReconciliationPorts, 'onStartFailed'>, observability: Observability) {
  const { logger } = observability;
  const onStartFailed = (name: string, error: unknown) =>
    logger.error('StartExecution failed; Lambda retries it', { execution: name, error });
  return lambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>(observability).handler(async (event) => {
    const changes = decodeBatch(event.Records, walletChangeOf, logger);
    return batchItemFailures(await startReconciliations({ ...ports, onStartFailed }, changes));
  });
}
