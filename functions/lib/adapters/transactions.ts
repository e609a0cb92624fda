import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ContentionError } from '#domain/errors.ts';
import { backoff, type RetryPolicy } from '#domain/retry.ts';

export type TransactionOutcome = 'written' | 'duplicate';

/** Concurrent writers of one aggregate: eight tries, waits of up to 20, 40, … 1280 ms between them. */
const CONTENTION: RetryPolicy = { attempts: 8, baseDelayMs: 20 };

/**
 * Runs an idempotent event transaction whose first item is the event record guarded by
 * `attribute_not_exists`. A cancelled first item means the event was seen before; any other
 * cancellation (a lost optimistic-lock race, a TransactionConflict) re-reads and retries.
 */
export async function writeEventTransaction(
  client: DynamoDBDocumentClient,
  build: () => Promise<TransactWriteCommandInput>,
  /** Turns a cancellation that no retry can cure (a broken business rule) into its error. */
  explain: (codes: ReadonlyArray<string | undefined>) => Error | undefined = () => undefined,
): Promise<TransactionOutcome> {
  for (let attempt = 1; ; attempt++) {
    const input = await build();
    try {
      await client.send(new TransactWriteCommand(input));
      return 'written';
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'duplicate';
      const fatal = explain(reasons.map((reason) => reason.Code));
      if (fatal) throw fatal;
      if (attempt >= CONTENTION.attempts) {
        throw new ContentionError(`transaction still contended after ${attempt} attempts`, { cause: error });
      }
      await backoff(CONTENTION, attempt);
    }
  }
}
