import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBRecord } from 'aws-lambda';
import { UnreadableItemError } from '#adapters/stored-items.ts';

/**
 * Decodes every record of a stream batch with `decode` (adapters/stream-images.ts), keeping the
 * changes of the kind it reads. A record that cannot be read fails the whole batch, before any
 * work is done: the event source mapping's BisectBatchOnFunctionError then splits the batch until
 * that record is alone, every other record is handled once, and the unreadable one goes to the
 * OnFailure destination after its retries. (Reported as a batch item failure instead, it would
 * drag every later record of the batch back with it, to be handled twice.)
 */
export function decodeBatch<T>(records: readonly DynamoDBRecord[], decode: (record: DynamoDBRecord) => T | undefined, logger: Logger): T[] {
  const changes: T[] = [];
  const unreadable: string[] = [];
  for (const record of records) {
    try {
      const change = decode(record);
      if (change !== undefined) changes.push(change);
    } catch (error) {
      logger.error('stream record is not readable', { sequenceNumber: record.dynamodb?.SequenceNumber, error });
      unreadable.push(String(record.dynamodb?.SequenceNumber));
    }
  }
  if (unreadable.length > 0) throw new UnreadableItemError(`unreadable stream records: ${unreadable.join(', ')}`);
  return changes;
}

export function batchItemFailures(sequenceNumbers: readonly string[]) {
  return { batchItemFailures: sequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })) };
}
