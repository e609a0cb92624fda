import { createHash } from 'node:crypto';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_AWS } from './aws-local.ts';
import { lambdaContext } from './lambda-context.ts';
import { lambdaStreamRecord, type WireStreamRecord } from './lambda-events.ts';
import { matchesPattern } from './services/event-patterns.ts';
import { batchingWindowMs, positiveInteger } from './template.ts';

/**
 * What Lambda's event source mapping does for a DynamoDB stream, against DynamoDB Local's real
 * stream: read every shard in order at Lambda's base rate (four polls a second), drop records the
 * FilterCriteria reject, gather them for up to MaximumBatchingWindowInSeconds or until BatchSize,
 * invoke in batches, up to ParallelizationFactor of them at once (each partition key's records
 * always in the same lane, in order), honour ReportBatchItemFailures and
 * BisectBatchOnFunctionError, retry up to MaximumRetryAttempts, then hand the batch to the
 * OnFailure destination.
 */

/** Lambda polls each shard of a DynamoDB stream four times a second. */
export const LAMBDA_POLL_INTERVAL_MS = 250;

/** GetRecords returns at most this many records per call. */
const GET_RECORDS_LIMIT = 1000;

/**
 * Reading stops while a source has this many records read and waiting (its consumer is behind, or
 * one lane is stuck retrying); the rest wait on the stream, as behind a Lambda poller that has not
 * caught up, rather than in this process's memory.
 */
const READ_AHEAD_RECORDS = GET_RECORDS_LIMIT;

/** Records of one lane waiting to be sent, when each was read, and whether a batch of the lane is in flight. */
interface Lane {
  records: DynamoDBRecord[];
  readAt: number[];
  busy: boolean;
}

export interface StreamSource {
  functionId: string;
  /** The function, invoked as Lambda invokes it (the function runner ignores the context: its worker builds its own). */
  handler: (event: DynamoDBStreamEvent, context: Context) => Promise<unknown>;
  batchSize: number;
  /** MaximumBatchingWindowInSeconds, in ms: how long records are gathered before a batch that is not full is sent. */
  batchingWindowMs: number;
  /** ParallelizationFactor: batches of one shard in flight at once; a partition key's records all go through one of them, in order. */
  parallelization: number;
  filters: Record<string, unknown>[];
  reportBatchItemFailures: boolean;
  bisectOnError: boolean;
  maximumRetryAttempts: number;
  /** Where records go after the last retry (the template's OnFailure destination), with the shard they were read from. */
  onFailure: (functionId: string, records: DynamoDBRecord[], error: string, shardId: string | undefined) => unknown;
}

/** Reads a function's `Type: DynamoDB` event source properties as Lambda would. */
export function streamSourceSettings(properties: Record<string, any>) {
  return {
    batchSize: positiveInteger(properties.BatchSize, 100),
    batchingWindowMs: batchingWindowMs(properties),
    parallelization: Number(properties.ParallelizationFactor ?? 1),
    filters: ((properties.FilterCriteria?.Filters ?? []) as { Pattern: string }[]).map(
      (filter) => JSON.parse(filter.Pattern) as Record<string, unknown>,
    ),
    reportBatchItemFailures: ((properties.FunctionResponseTypes ?? []) as string[]).includes('ReportBatchItemFailures'),
    bisectOnError: properties.BisectBatchOnFunctionError === true,
    // -1 means "until the record expires" on AWS; locally that would spin forever, so cap it.
    maximumRetryAttempts: localRetryLimit(Number(properties.MaximumRetryAttempts ?? -1)),
  };
}

export class StreamPoller {
  private readonly client: DynamoDBStreamsClient;
  private readonly streamArn: string;
  private readonly sources: StreamSource[];
  private readonly iterators = new Map<string, string | undefined>();
  /** The sequence number of the last record read from each shard. */
  private readonly checkpoints = new Map<string, string>();
  /** Records read but not yet invoked, per source and lane. */
  private readonly gathered = new Map<StreamSource, Map<number, Lane>>();
  /** Batches being invoked now: at most one per lane. */
  private readonly inFlight = new Set<Promise<void>>();
  /** While above zero (a drain or the end), a batch that is not full goes without waiting out its window. */
  private draining = 0;
  /** The table's partition key attribute (from DescribeStream): records with the same value share a lane. */
  private partitionKey: string | undefined;
  /** The shard each record in flight was read from, for the OnFailure destination's batch info. */
  private readonly shardOf = new WeakMap<DynamoDBRecord, string>();
  private running = false;
  /** While held, records wait on the stream (as behind a disabled event source mapping); settled() still drains. */
  private held = false;
  private loop: Promise<void> | undefined;
  /** Ends the wait between polls early (settled() and stop() do not wait out the interval). */
  private wake: (() => void) | undefined;
  /** Resolves waiters once every record read so far has been delivered. */
  private idleWaiters: (() => void)[] = [];
  /**
   * Records whose invocation has returned, ever: settled() tells from it whether anything moved,
   * counting what it drained that was read before it began, and what was in flight then.
   */
  private handled = 0;

  /** `streams` is a client to read with (its endpoint, region and credentials), or an endpoint to read as the local account. */
  constructor(streams: DynamoDBStreamsClient | string, streamArn: string, sources: StreamSource[]) {
    this.client = typeof streams === 'string' ? new DynamoDBStreamsClient({ ...LOCAL_AWS, endpoint: streams }) : streams;
    this.streamArn = streamArn;
    this.sources = sources;
  }

  /**
   * Polls as Lambda does: one GetRecords per shard every `intervalMs` (at once again when a page
   * came back full), batches sent when full or when their window ends. Each lane sends its next
   * batch as soon as the one before returns, while reading goes on (up to READ_AHEAD_RECORDS
   * waiting per source), so a slow batch holds back its own lane only. While someone waits in
   * settled(), the poller drains instead: everything readable is read and sent without waiting.
   */
  start(intervalMs = LAMBDA_POLL_INTERVAL_MS): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const passStarted = Date.now();
        let again = false;
        let failed = false;
        try {
          if (this.idleWaiters.length > 0) {
            if ((await this.pollOnce()) === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
            continue;
          }
          if (!this.held) {
            if (!this.behind()) again = (await this.readEachShard()).full && !this.behind();
            this.dispatch();
          }
        } catch (error) {
          failed = true;
          if (this.running) console.error('stream poller:', error);
        }
        if (this.running && (failed || (!again && this.idleWaiters.length === 0)))
          await this.pause(failed ? intervalMs : intervalMs - (Date.now() - passStarted));
      }
      // What was read is sent before the poller ends: its checkpoint has moved past it.
      this.draining++;
      await this.sentAll().catch((error) => console.error('stream poller:', error));
    })();
  }

  /**
   * Waits until a drain found nothing new: everything written before the call has been handled.
   * Answers how many records its drains handed to a consumer (0: nothing was pending).
   */
  async settled(): Promise<number> {
    if (!this.running) return 0;
    const before = this.handled;
    const idle = () => new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    const first = idle();
    this.wake?.();
    await first;
    // One more full round, so records written just before the call are certainly seen.
    const second = idle();
    this.wake?.();
    await second;
    return this.handled - before;
  }

  /** Stops reading until resume(): records written meanwhile wait on the stream, none is lost. */
  hold(): void {
    this.held = true;
  }

  resume(): void {
    this.held = false;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    this.client.destroy();
  }

  /** Reads every shard until nothing new comes back, sending every gathered record, window or not; returns how many records were read. */
  async pollOnce(): Promise<number> {
    let read = 0;
    this.draining++;
    try {
      for (;;) {
        const pass = await this.readEachShard();
        await this.sentAll();
        read += pass.read;
        if (pass.read === 0 && !pass.full) return read;
      }
    } finally {
      this.draining--;
    }
  }

  private pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.wake = undefined));
  }

  /**
   * One GetRecords per shard, in the stream's shard order; what passes a source's filters is
   * gathered for it. A shard is not read in a pass where its parent still returned records, so a
   * child never overtakes its parent (Lambda finishes a parent shard before its children).
   */
  private async readEachShard(): Promise<{ read: number; full: boolean }> {
    const { StreamDescription } = await this.client.send(new DescribeStreamCommand({ StreamArn: this.streamArn }));
    this.partitionKey ??= StreamDescription?.KeySchema?.find((key) => key.KeyType === 'HASH')?.AttributeName;
    let read = 0;
    let full = false;
    const unfinished = new Set<string>();
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId as string;
      if (shard.ParentShardId && unfinished.has(shard.ParentShardId)) {
        unfinished.add(shardId);
        continue;
      }
      if (!this.iterators.has(shardId)) this.iterators.set(shardId, await this.shardIterator(shardId));
      const iterator = this.iterators.get(shardId);
      if (!iterator) continue; // a closed shard read to its end
      let page: Awaited<ReturnType<typeof this.getRecords>>;
      try {
        page = await this.getRecords(iterator);
      } catch (error) {
        if (!(error instanceof TrimmedDataAccessException || error instanceof ExpiredIteratorException)) throw error;
        // An iterator the stream no longer honours (DynamoDB Local sometimes refuses one taken on an
        // empty shard): as Lambda does, take a new one after the last record read, so nothing is
        // skipped or read twice.
        const fresh = await this.shardIterator(shardId);
        this.iterators.set(shardId, fresh);
        if (!fresh) continue;
        page = await this.getRecords(fresh);
      }
      const records = (page.Records ?? []).map((record) => lambdaStreamRecord(record, this.streamArn));
      for (const record of records) this.shardOf.set(record, shardId);
      this.iterators.set(shardId, page.NextShardIterator);
      const last = records.at(-1)?.dynamodb?.SequenceNumber;
      if (last) this.checkpoints.set(shardId, last);
      read += records.length;
      if (records.length > 0) {
        this.gather(records);
        unfinished.add(shardId);
      }
      // More waits in this shard: read again at once rather than after the interval.
      full ||= records.length === GET_RECORDS_LIMIT;
    }
    return { read, full };
  }

  /** Where reading a shard (re)starts: after its checkpoint, or at the oldest record kept. */
  private async shardIterator(shardId: string): Promise<string | undefined> {
    const checkpoint = this.checkpoints.get(shardId);
    const oldest = async () => {
      const { ShardIterator } = await this.client.send(
        new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      return ShardIterator;
    };
    if (!checkpoint) return oldest();
    try {
      const { ShardIterator } = await this.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shardId,
          ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
          SequenceNumber: checkpoint,
        }),
      );
      return ShardIterator;
    } catch (error) {
      if (!(error instanceof TrimmedDataAccessException)) throw error;
      // The checkpoint itself aged out: what followed it and is still kept starts at the oldest record.
      console.warn(`stream poller: ${shardId} trimmed past record ${checkpoint}; reading on from the oldest record kept`);
      return oldest();
    }
  }

  /**
   * One GetRecords page. A page that came back 200 is read from its JSON as sent, which is already
   * the shape of Lambda's event: the SDK would rebuild every attribute value of every image through
   * its schema (profiled as the poller's largest cost on the main thread) only for
   * lambdaStreamRecord to turn it back. Errors still go through the SDK, so they keep their types
   * (TrimmedDataAccessException…); a client whose send is replaced (aws-sdk-client-mock) answers
   * SDK-shaped records, which lambdaStreamRecord reads too.
   */
  private async getRecords(iterator: string): Promise<{ Records?: (_Record | WireStreamRecord)[]; NextShardIterator?: string }> {
    const command = new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_RECORDS_LIMIT });
    let wire: { Records?: WireStreamRecord[]; NextShardIterator?: string } | undefined;
    // A deserialize-step middleware inside the SDK's deserializer: it sees the HTTP response first.
    type Next = (args: unknown) => Promise<{ output: GetRecordsCommandOutput; response: unknown }>;
    const readWire = (next: Next) => async (args: unknown) => {
      // This runs again on each retry attempt: only the attempt that returns is the page.
      wire = undefined;
      const result = await next(args);
      const response = result.response as { statusCode?: number; headers?: Record<string, string>; body?: AsyncIterable<Uint8Array> };
      const body = response.body;
      const plain = !response.headers?.['content-encoding'];
      if (response.statusCode === 200 && plain && typeof body?.[Symbol.asyncIterator] === 'function') {
        const chunks: Uint8Array[] = [];
        try {
          for await (const chunk of body) chunks.push(chunk);
          wire = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch (error) {
          // As the SDK's deserializer reports an unreadable page: with the response's metadata.
          throw Object.assign(error instanceof Error ? error : new Error(String(error)), { $metadata: { httpStatusCode: 200 } });
        }
        // What the SDK's deserializer still reads: nothing to rebuild.
        response.body = new TextEncoder().encode('{}') as never;
      }
      return result;
    };
    type Middleware = Parameters<typeof command.middlewareStack.addRelativeTo>[0];
    command.middlewareStack.addRelativeTo(readWire as unknown as Middleware, {
      relation: 'after',
      toMiddleware: 'deserializerMiddleware',
      name: 'parcelcastWireRecords',
      override: true,
    });
    const page = await this.client.send(command);
    return wire ? { Records: wire.Records ?? [], NextShardIterator: wire.NextShardIterator } : page;
  }

  private gather(records: DynamoDBRecord[]): void {
    for (const source of this.sources) {
      const wanted =
        source.filters.length === 0
          ? records
          : records.filter((record) => source.filters.some((pattern) => matchesPattern(pattern, record)));
      if (wanted.length === 0) continue;
      const lanes = this.gathered.get(source) ?? new Map<number, Lane>();
      this.gathered.set(source, lanes);
      const now = Date.now();
      for (const record of wanted) {
        const id = this.laneOf(record, source.parallelization);
        let lane = lanes.get(id);
        if (!lane) {
          lane = { records: [], readAt: [], busy: false };
          lanes.set(id, lane);
        }
        lane.records.push(record);
        lane.readAt.push(now);
      }
    }
  }

  /**
   * The lane of a record: its partition key's hash modulo the source's ParallelizationFactor, so
   * one key's records stay in order in one lane (as Lambda keeps them), whatever the lanes do.
   */
  private laneOf(record: DynamoDBRecord, parallelization: number): number {
    if (parallelization <= 1) return 0;
    const key = this.partitionKey ? record.dynamodb?.Keys?.[this.partitionKey] : record.dynamodb?.Keys;
    return (
      createHash('sha1')
        .update(JSON.stringify(key ?? null))
        .digest()
        .readUInt32BE(0) % parallelization
    );
  }

  /** Whether a source's consumer is so far behind that reading more would only pile records up here. */
  private behind(): boolean {
    for (const lanes of this.gathered.values()) {
      const waiting = [...lanes.values()].reduce((sum, lane) => sum + lane.records.length, 0);
      if (waiting >= READ_AHEAD_RECORDS) return true;
    }
    return false;
  }

  /**
   * Starts the next batch of every lane that has none in flight: a full one, or what it has once
   * the oldest record's batching window has ended (or at once, while draining). When a batch
   * returns, its lane goes on. Sources (separate event source mappings) and lanes run at once;
   * within a lane, one batch after the other, so a partition key's records stay in order.
   */
  private dispatch(): void {
    if (this.held && this.draining === 0) return;
    const now = Date.now();
    for (const [source, lanes] of this.gathered) {
      for (const [id, lane] of lanes) {
        if (lane.busy) continue;
        if (lane.records.length === 0) {
          lanes.delete(id);
          continue;
        }
        const windowEnded = this.draining > 0 || now - (lane.readAt[0] as number) >= source.batchingWindowMs;
        if (lane.records.length < source.batchSize && !windowEnded) continue;
        const batch = lane.records.splice(0, source.batchSize);
        lane.readAt.splice(0, batch.length);
        lane.busy = true;
        const sent: Promise<void> = this.invokeWithRetries(source, batch)
          .catch((error) => console.error('stream poller:', error))
          .finally(() => {
            this.handled += batch.length;
            lane.busy = false;
            this.inFlight.delete(sent);
            if (this.running || this.draining > 0) this.dispatch();
          });
        this.inFlight.add(sent);
      }
      if (lanes.size === 0) this.gathered.delete(source);
    }
  }

  /** Sends everything gathered, window or not (draining), and waits until no batch is in flight. */
  private async sentAll(): Promise<void> {
    this.dispatch();
    while (this.inFlight.size > 0) {
      await Promise.all([...this.inFlight]);
      this.dispatch();
    }
  }

  private async invokeWithRetries(source: StreamSource, batch: DynamoDBRecord[]): Promise<void> {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      let failure: string | undefined;
      try {
        const response = (await source.handler({ Records: pending }, lambdaContext(source.functionId))) as
          | DynamoDBBatchResponse
          | undefined;
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
        await source.onFailure(source.functionId, pending, failure ?? 'unknown', pending[0] && this.shardOf.get(pending[0]));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** Math.min(attempt, 5)));
    }
  }
}

/** -1 means "until the record expires" on AWS; locally that would spin for a day, so cap it. */
function localRetryLimit(configured: number): number {
  return configured < 0 ? 10 : Math.min(configured, 10);
}
