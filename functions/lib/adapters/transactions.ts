import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

/** The transaction lost a race too often; nothing was written and the client may retry. */
export class ContentionError extends Error {
  override readonly name = 'ContentionError';
}

export type TransactionOutcome = 'written' | 'duplicate';

const MAX_ATTEMPTS = 8;

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
      if (attempt >= MAX_ATTEMPTS) {
        throw new ContentionError(`transaction still contended after ${attempt} attempts`, { cause: error });
      }
      // Full jitter keeps concurrent writers of one aggregate from colliding again in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
    }
  }
}
