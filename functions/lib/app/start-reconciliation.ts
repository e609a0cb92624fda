import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { AttributeValue, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { WorkflowStarter } from '#domain/ports.ts';
import { type ReconciliationInput, reconciliationName, reconciliationWindow } from '#domain/reconciliation.ts';
import { logger } from '../observability.ts';

export interface StartReconciliationPorts {
  starter: WorkflowStarter;
  /** ReconcileDelaySeconds: the window length and the workflow's wait. */
  delaySeconds: number;
  /** Told about each start that failed and will be retried. */
  onStartFailed?: (name: string, error: unknown) => void;
}

export interface PlannedStart {
  name: string;
  input: ReconciliationInput;
  /** Sequence numbers of the stream records this start covers. */
  records: string[];
}

type Image = Record<string, unknown>;

function image(value: Record<string, AttributeValue> | undefined): Image | undefined {
  return value ? unmarshall(value as never) : undefined;
}

/**
 * The executions a batch of wallet-item stream records calls for: one per wallet and window.
 * Records whose entry did not move the wallet (no new ledger version) call for none.
 */
export function planStarts(records: readonly DynamoDBRecord[], delaySeconds: number): PlannedStart[] {
  const planned = new Map<string, PlannedStart>();
  for (const record of records) {
    const after = image(record.dynamodb?.NewImage);
    const before = image(record.dynamodb?.OldImage);
    if (after?.reconciliationPending !== true) continue;
    if (before && Number(before.version ?? 0) === Number(after.version ?? 0)) continue;
    const walletId = String(after.walletId);
    const entryAt = String(after.lastEntryAt);
    const window = reconciliationWindow(entryAt, delaySeconds);
    const name = reconciliationName(walletId, window);
    const existing = planned.get(name);
    const sequence = record.dynamodb?.SequenceNumber ?? '';
    if (existing) existing.records.push(sequence);
    else
      planned.set(name, {
        name,
        input: { walletId, delaySeconds: settleSeconds(entryAt, window, delaySeconds), window: { start: window.start, end: window.end } },
        records: [sequence],
      });
  }
  return [...planned.values()];
}

/**
 * How long the execution started for the entry at `entryAt` waits: until its window closes, plus
 * the delay, so the last entry of the window gets the full delay to settle as well as the first.
 */
export function settleSeconds(entryAt: string, window: { end: string }, delaySeconds: number): number {
  const untilWindowEnd = Math.max(0, Math.ceil((Date.parse(window.end) - Date.parse(entryAt)) / 1000));
  return untilWindowEnd + delaySeconds;
}

/**
 * Starts one reconciliation per wallet per window. Bursts and replays coalesce on the execution
 * name; a name already started is success. A start that fails reports its records as batch item
 * failures so Lambda retries from there, never skipping a wallet.
 */
export async function startReconciliations(
  ports: StartReconciliationPorts,
  records: readonly DynamoDBRecord[],
): Promise<DynamoDBBatchResponse> {
  const failures: string[] = [];
  for (const start of planStarts(records, ports.delaySeconds)) {
    try {
      await ports.starter.start(start.name, start.input);
    } catch (error) {
      ports.onStartFailed?.(start.name, error);
      failures.push(...start.records);
    }
  }
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

/** The stream handler, given its ports: AWS builds it with Step Functions, the local stack with local executions. */
export function createStartReconciliationHandler(ports: StartReconciliationPorts) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>({ timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const response = await startReconciliations(
        { onStartFailed: (name, error) => logger.error('StartExecution failed; Lambda retries it', { execution: name, error }), ...ports },
        event.Records,
      );
      return response;
    });
}
