import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ContentionError } from '#domain/errors.ts';
import { backoff, type RetryPolicy } from '#domain/retry.ts';

/** Written, or a repeat, with the event record already stored (ReturnValuesOnConditionCheckFailure: ALL_OLD on it). */
export type TransactionOutcome = { kind: 'written' } | { kind: 'duplicate'; stored: Record<string, unknown> | undefined };

/** Why one item of a cancelled transaction was cancelled, with the item it found (ReturnValuesOnConditionCheckFailure: ALL_OLD). */
export interface CancellationReason {
  code: string | undefined;
  item: Record<string, unknown> | undefined;
}

/** Concurrent writers of one aggregate: eight tries, waits of up to 20, 40, … 1280 ms between them. */
const CONTENTION: RetryPolicy = { attempts: 8, baseDelayMs: 20 };

/**
 * Runs an idempotent event transaction whose first item is the event's record guarded by
 * `attribute_not_exists`. A cancelled first item means the event was seen before; any other
 * cancellation is explained by `explain` (a broken business rule no retry cures, thrown) or else
 * retried after a jittered wait (a lost race, a TransactionConflict).
 */
export async function writeEventTransaction(
  client: DynamoDBDocumentClient,
  build: () => Promise<TransactWriteCommandInput>,
  explain: (reasons: readonly CancellationReason[]) => Promise<Error | undefined> = async () => undefined,
): Promise<TransactionOutcome> {
  for (let attempt = 1; ; attempt++) {
    const input = await build();
    try {
      await client.send(new TransactWriteCommand(input));
      return { kind: 'written' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = (error.CancellationReasons ?? []).map((reason) => ({
        code: reason.Code,
        item: reason.Item ? unmarshall(reason.Item) : undefined,
      }));
      if (reasons[0]?.code === 'ConditionalCheckFailed') return { kind: 'duplicate', stored: reasons[0].item };
      const fatal = await explain(reasons);
      if (fatal) throw fatal;
      if (attempt >= CONTENTION.attempts) {
        throw new ContentionError(`transaction still contended after ${attempt} attempts`, { cause: error });
      }
      await backoff(CONTENTION, attempt);
    }
  }
}
