import { appendFileSync } from 'node:fs';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaContext } from './api-gateway.ts';
import { LOCAL_AWS } from './dynamodb-local.ts';
import { matchesPattern } from './event-patterns.ts';

/**
 * What Lambda's event source mapping does for a DynamoDB stream, against DynamoDB Local's real
 * stream: read every shard in order, drop records the FilterCriteria reject, invoke in batches,
 * honour ReportBatchItemFailures and BisectBatchOnFunctionError, retry up to
 * MaximumRetryAttempts, then hand the batch to the OnFailure destination.
 */

export interface StreamSource {
  functionId: string;
  handler: (event: DynamoDBStreamEvent, context: ReturnType<typeof lambdaContext>) => Promise<DynamoDBBatchResponse | undefined>;
  batchSize: number;
  filters: Record<string, unknown>[];
  reportBatchItemFailures: boolean;
  bisectOnError: boolean;
  maximumRetryAttempts: number;
  /** Where records go after the last retry (the template's OnFailure destination). */
  onFailure: (functionId: string, records: DynamoDBRecord[], error: string) => void;
}

/** Reads a function's `Type: DynamoDB` event source properties as Lambda would. */
export function streamSourceSettings(properties: Record<string, any>) {
  return {
    batchSize: Number(properties.BatchSize ?? 100),
    filters: ((properties.FilterCriteria?.Filters ?? []) as { Pattern: string }[]).map(
      (filter) => JSON.parse(filter.Pattern) as Record<string, unknown>,
    ),
    reportBatchItemFailures: ((properties.FunctionResponseTypes ?? []) as string[]).includes('ReportBatchItemFailures'),
    bisectOnError: properties.BisectBatchOnFunctionError === true,
    // -1 means "until the record expires" on AWS; locally that would spin forever, so cap it.
    maximumRetryAttempts: localRetryLimit(Number(properties.MaximumRetryAttempts ?? -1)),
  };
}

export function toLambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_AWS.region,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(dynamodb as DynamoDBRecord['dynamodb']),
      ...(ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(new Date(ApproximateCreationDateTime).getTime() / 1000) }
        : {}),
    },
  };
}

export class StreamPoller {
  private readonly client: DynamoDBStreamsClient;
  private readonly streamArn: string;
  private readonly sources: StreamSource[];
  private readonly iterators = new Map<string, string | undefined>();
  private running = false;
  private loop: Promise<void> | undefined;
  /** Resolves waiters once every record read so far has been delivered. */
  private idleWaiters: (() => void)[] = [];

  constructor(endpoint: string, streamArn: string, sources: StreamSource[]) {
    this.client = new DynamoDBStreamsClient({ ...LOCAL_AWS, endpoint });
    this.streamArn = streamArn;
    this.sources = sources;
  }

  start(intervalMs = 100): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        let delivered = 0;
        try {
          delivered = await this.pollOnce();
        } catch (error) {
          if (this.running) console.error('stream poller:', error);
        }
        if (delivered === 0) {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
        }
      }
    })();
  }

  /** Waits until a poll found nothing new: everything written before the call has been handled. */
  async settled(): Promise<void> {
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    // One more full round, so records written just before the call are certainly seen.
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    this.client.destroy();
  }

  /** One pass over every shard; returns how many records were read. */
  async pollOnce(): Promise<number> {
    const { StreamDescription } = await this.client.send(new DescribeStreamCommand({ StreamArn: this.streamArn }));
    let read = 0;
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId as string;
      if (!this.iterators.has(shardId)) {
        const { ShardIterator } = await this.client.send(
          new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        this.iterators.set(shardId, ShardIterator);
      }
      let iterator = this.iterators.get(shardId);
      while (iterator) {
        const page = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        const records = (page.Records ?? []).map((record) => toLambdaRecord(record, this.streamArn));
        read += records.length;
        for (const source of this.sources) await this.deliver(source, records);
        iterator = page.NextShardIterator;
        this.iterators.set(shardId, iterator);
        if (records.length === 0) break;
      }
    }
    return read;
  }

  private async deliver(source: StreamSource, records: DynamoDBRecord[]): Promise<void> {
    const wanted =
      source.filters.length === 0 ? records : records.filter((record) => source.filters.some((pattern) => matchesPattern(pattern, record)));
    for (let start = 0; start < wanted.length; start += source.batchSize) {
      await this.invokeWithRetries(source, wanted.slice(start, start + source.batchSize));
    }
  }

  private async invokeWithRetries(source: StreamSource, batch: DynamoDBRecord[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      let failure: string | undefined;
      try {
        const response = await source.handler({ Records: pending }, lambdaContext(source.functionId));
        const failed = source.reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
        if (failed.length === 0) return;
        // Lambda restarts from the lowest failed sequence number; the records before it are done.
        const first = pending.findIndex((record) => failed.some((item) => item.itemIdentifier === record.dynamodb?.SequenceNumber));
        pending = pending.slice(Math.max(first, 0));
        failure = `batch item failure at ${pending[0]?.dynamodb?.SequenceNumber}`;
      } catch (error) {
        failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        if (source.bisectOnError && pending.length > 1) {
          const middle = Math.ceil(pending.length / 2);
          await this.invokeWithRetries(source, pending.slice(0, middle));
          await this.invokeWithRetries(source, pending.slice(middle));
          return;
        }
      }
      if (attempt >= source.maximumRetryAttempts) {
        source.onFailure(source.functionId, pending, failure ?? 'unknown');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** Math.min(attempt, 5)));
    }
  }
}

/** The local OnFailure destination: a JSON line per failed batch, and a console warning. */
export function deadLetterFile(path: string) {
  return (functionId: string, records: DynamoDBRecord[], error: string) => {
    console.warn(`${functionId}: ${records.length} stream record(s) sent to the on-failure destination (${error})`);
    appendFileSync(path, `${JSON.stringify({ at: new Date().toISOString(), functionId, error, records })}\n`);
  };
}

/** -1 means "until the record expires" on AWS; locally that would spin for a day, so cap it. */
function localRetryLimit(configured: number): number {
  return configured < 0 ? 10 : Math.min(configured, 10);
}
