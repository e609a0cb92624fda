import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord } from 'aws-lambda';
import { lambdaStreamRecord } from '../emulator/lambda-events.ts';
import { parseCommandLine } from '../support/cli.ts';

/**
 * Replays the stream batches a function's event source mapping gave up on. The OnFailure queue
 * (StreamRouterFailureQueue, ReconciliationStartFailureQueue) holds only where the batch was:
 * shard and sequence-number range. This reads those records back from the table's stream (it
 * keeps them 24 hours), invokes the function with them, and deletes the queue message once the
 * function took the whole batch. Safe to repeat: notifications are claimed once per
 * (shipment, status, channel) and reconciliations are named per wallet and window.
 *
 *   npm run replay -- --queue <OnFailure queue URL> --function <function name> [--dry-run]
 */

interface BatchInfo {
  streamArn: string;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
}

export interface ReplayClients {
  sqs: SQSClient;
  streams: DynamoDBStreamsClient;
  lambda: LambdaClient;
}

export interface ReplayReport {
  replayed: number;
  records: number;
  kept: { messageId: string; reason: string }[];
}

/** The records of one failed batch, read back from the stream in order. */
export async function readBatch(streams: DynamoDBStreamsClient, batch: BatchInfo): Promise<DynamoDBRecord[]> {
  const { ShardIterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: batch.streamArn,
      ShardId: batch.shardId,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: batch.startSequenceNumber,
    }),
  );
  const end = BigInt(batch.endSequenceNumber);
  const records: DynamoDBRecord[] = [];
  let iterator = ShardIterator;
  // Bounded: a batch is at most 10,000 records, a page up to 1,000.
  for (let page = 0; iterator && page < 100; page++) {
    const { Records = [], NextShardIterator } = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    for (const record of Records) {
      if (BigInt(record.dynamodb?.SequenceNumber ?? '0') > end) return records;
      records.push(lambdaStreamRecord(record, batch.streamArn));
    }
    // An open shard hands out iterators forever; an empty page means nothing more is there.
    if (Records.length === 0) break;
    iterator = NextShardIterator;
  }
  return records;
}

export async function replayFailures(
  clients: ReplayClients,
  options: { queueUrl: string; functionName: string; dryRun?: boolean; maxMessages?: number },
): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: 0, records: 0, kept: [] };
  const seen = new Set<string>();
  for (let round = 0; round < (options.maxMessages ?? 1000); round++) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: options.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 300 }),
    );
    const fresh = Messages.filter((message) => message.MessageId && !seen.has(message.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId as string);
      const batch = (JSON.parse(message.Body ?? '{}') as { DDBStreamBatchInfo?: BatchInfo }).DDBStreamBatchInfo;
      if (!batch) {
        report.kept.push({ messageId: message.MessageId as string, reason: 'not a DynamoDB stream failure record' });
        continue;
      }
      const records = await readBatch(clients.streams, batch);
      if (records.length === 0) {
        report.kept.push({ messageId: message.MessageId as string, reason: 'the records are no longer in the stream (over 24 h old)' });
        continue;
      }
      if (options.dryRun) {
        report.records += records.length;
        continue;
      }
      const response = await clients.lambda.send(
        new InvokeCommand({ FunctionName: options.functionName, Payload: Buffer.from(JSON.stringify({ Records: records })) }),
      );
      const result = response.Payload
        ? (JSON.parse(Buffer.from(response.Payload).toString('utf8') || 'null') as { batchItemFailures?: unknown[] } | null)
        : null;
      if (response.FunctionError || (result?.batchItemFailures?.length ?? 0) > 0) {
        report.kept.push({
          messageId: message.MessageId as string,
          reason: response.FunctionError ?? 'the function reported failed records',
        });
        continue;
      }
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }));
      report.replayed += 1;
      report.records += records.length;
    }
  }
  return report;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, fail } = parseCommandLine(
    { name: 'npm run replay', usage: 'usage: npm run replay -- --queue <OnFailure queue URL> --function <function name> [--dry-run]' },
    { options: { queue: { type: 'string' }, function: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } } },
  );
  const queueUrl = values.queue || fail('--queue is required: the URL of the OnFailure queue to drain');
  const functionName = values.function || fail('--function is required: the function whose batches to replay');
  const report = await replayFailures(
    { sqs: new SQSClient({}), streams: new DynamoDBStreamsClient({}), lambda: new LambdaClient({}) },
    { queueUrl, functionName, dryRun: values['dry-run'] },
  ).catch((error: Error) => {
    // An AWS answer (no credentials, no such queue, access denied) is the operator's to read, not a stack trace.
    console.error(`npm run replay: ${error.name}: ${error.message}`);
    process.exit(1);
  });
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.kept.length === 0 ? 0 : 1;
}
