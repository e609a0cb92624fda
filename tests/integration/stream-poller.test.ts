import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamPoller, type StreamSource, streamSourceSettings } from '../../emulator/stream-poller.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';

// The local event source mapping against DynamoDB Local's real stream: it gathers records for the
// template's MaximumBatchingWindowInSeconds unless a batch fills first, as Lambda does, and
// settled() (what tests and the benchmark wait on) does not wait the window out.

interface Invocation {
  at: number;
  /** Each record's partition key (PK) and sort key (SK), in the batch's order. */
  keys: string[];
  sortKeys: string[];
}

/** Per partition key, its records' sort keys in the order they were delivered. */
function sortKeysInDeliveryOrder(invocations: readonly Invocation[], keys: readonly string[]): Record<string, string[]> {
  const byKey = Object.fromEntries(keys.map((key) => [key, [] as string[]]));
  for (const { keys: partitions, sortKeys } of invocations) {
    partitions.forEach((key, index) => {
      byKey[key]?.push(sortKeys[index] as string);
    });
  }
  return byKey;
}

const pollers: StreamPoller[] = [];
afterEach(async () => {
  for (const poller of pollers.splice(0)) await poller.stop();
});

type ProbeSettings = Pick<StreamSource, 'batchSize' | 'batchingWindowMs'> & Partial<Pick<StreamSource, 'parallelization'>>;

/**
 * A consumer that records what it was invoked with. `meanwhile`, when given, is awaited inside
 * each invocation (to see which invocations overlap).
 */
function probe(settings: ProbeSettings, meanwhile?: (event: DynamoDBStreamEvent) => Promise<void>) {
  const invocations: Invocation[] = [];
  const source: StreamSource = {
    functionId: 'Probe',
    handler: async (event: DynamoDBStreamEvent) => {
      invocations.push({
        at: Date.now(),
        keys: event.Records.map((record) => String(record.dynamodb?.Keys?.PK?.S)),
        sortKeys: event.Records.map((record) => String(record.dynamodb?.Keys?.SK?.S)),
      });
      await meanwhile?.(event);
      return { batchItemFailures: [] };
    },
    parallelization: 1,
    filters: [],
    reportBatchItemFailures: true,
    bisectOnError: false,
    maximumRetryAttempts: 0,
    onFailure: () => undefined,
    ...settings,
  };
  return { source, invocations };
}

async function pollerOn(table: TestTable, settings: ProbeSettings, meanwhile?: (event: DynamoDBStreamEvent) => Promise<void>) {
  const { Table } = await table.client.send(new DescribeTableCommand({ TableName: table.tableName }));
  const { source, invocations } = probe(settings, meanwhile);
  const poller = new StreamPoller(table.endpoint, Table?.LatestStreamArn as string, [source]);
  pollers.push(poller);
  return { poller, invocations };
}

/** A stream record as DynamoDB Streams returns it, keyed `item-<sequence>`. */
const streamRecord = (sequence: string) => ({
  eventID: sequence,
  eventName: 'INSERT' as const,
  dynamodb: { Keys: { PK: { S: `item-${sequence}` } }, SequenceNumber: sequence },
});

const MOCK_STREAM_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/s';

async function putItems(table: TestTable, prefix: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    await table.documents.send(new PutCommand({ TableName: table.tableName, Item: { PK: `${prefix}-${index}`, SK: 'PROBE' } }));
  }
}

/** One record per key, sort key `v<version>`, written key after key. */
async function putVersion(table: TestTable, keys: readonly string[], version: number): Promise<void> {
  for (const key of keys) {
    await table.documents.send(new PutCommand({ TableName: table.tableName, Item: { PK: key, SK: `v${version}` } }));
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the local stream event source', () => {
  it("hands a function each record as Lambda's event has it: every attribute type as sent, binary in base64, the time in whole seconds", async () => {
    // Prepare
    const table = await createTestTable();
    const events: DynamoDBStreamEvent[] = [];
    const { poller } = await pollerOn(table, { batchSize: 10, batchingWindowMs: 0 }, async (event) => void events.push(event));
    const item = {
      PK: 'shape-1',
      SK: 'PROBE',
      text: 'Ana ✓',
      count: 12.5,
      bytes: new Uint8Array([0, 1, 254, 255]),
      flag: true,
      nothing: null,
      list: ['a', 3, { deep: ['b'] }],
      tags: new Set(['x', 'y']),
    };
    const before = Math.floor(Date.now() / 1000);
    await table.documents.send(new PutCommand({ TableName: table.tableName, Item: item }));
    const { Table } = await table.client.send(new DescribeTableCommand({ TableName: table.tableName }));

    // Act
    await poller.pollOnce();

    // Assess
    const [record] = events.flatMap((event) => event.Records);
    expect(record).toMatchObject({
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      eventSourceARN: Table?.LatestStreamArn,
      dynamodb: {
        Keys: { PK: { S: 'shape-1' }, SK: { S: 'PROBE' } },
        NewImage: {
          PK: { S: 'shape-1' },
          SK: { S: 'PROBE' },
          text: { S: 'Ana ✓' },
          count: { N: '12.5' },
          bytes: { B: 'AAH+/w==' },
          flag: { BOOL: true },
          nothing: { NULL: true },
          list: { L: [{ S: 'a' }, { N: '3' }, { M: { deep: { L: [{ S: 'b' }] } } }] },
          tags: { SS: expect.arrayContaining(['x', 'y']) },
        },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(record?.dynamodb?.SequenceNumber).toMatch(/^\d+$/);
    expect(record?.dynamodb?.SizeBytes).toBeGreaterThan(0);
    const created = record?.dynamodb?.ApproximateCreationDateTime as number;
    expect(Number.isInteger(created)).toBe(true);
    // DynamoDB Local, like the service, rounds the creation time down (to the minute).
    expect(created).toBeGreaterThanOrEqual(before - 60);
    expect(created).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
  });

  it("reads an event source's MaximumBatchingWindowInSeconds as milliseconds, and no window when it has none", () => {
    expect(streamSourceSettings({ BatchSize: 50, MaximumBatchingWindowInSeconds: 2 })).toMatchObject({
      batchSize: 50,
      batchingWindowMs: 2000,
    });
    expect(streamSourceSettings({ BatchSize: 50 }).batchingWindowMs).toBe(0);
  });

  it("takes Lambda's default BatchSize (100) for one that is not a whole number of at least 1", () => {
    expect(streamSourceSettings({ BatchSize: 'fifty' }).batchSize).toBe(100);
    expect(streamSourceSettings({ BatchSize: 0 }).batchSize).toBe(100);
    expect(streamSourceSettings({ BatchSize: 7 }).batchSize).toBe(7);
  });

  it('counts in settled() the records it drained that were read before it began', async () => {
    const table = await createTestTable();
    const { poller, invocations } = await pollerOn(table, { batchSize: 10, batchingWindowMs: 60_000 });
    poller.start(20);
    await putItems(table, 'early', 1);
    // Read by the loop, then held for its minute-long window.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(invocations).toHaveLength(0);

    expect(await poller.settled()).toBe(1);
    expect(invocations).toHaveLength(1);
  });

  it("reads ParallelizationFactor, and one batch per shard at a time when there is none (Lambda's default)", () => {
    expect(streamSourceSettings({ ParallelizationFactor: 4 }).parallelization).toBe(4);
    expect(streamSourceSettings({}).parallelization).toBe(1);
  });

  it.each([
    [1, 1],
    [4, 4],
  ])(
    'with ParallelizationFactor %i, invokes up to %i batches at once, and each partition key gets its records in stream order',
    async (parallelization, most) => {
      // Prepare: every batch stays in flight until more than the factor allows could be (or a
      // short while has passed), so batches that may overlap do; records wait on the stream until
      // all are written, then go in one drain.
      let inFlight = 0;
      let mostInFlight = 0;
      const waiting = new Set<() => void>();
      const meanwhile = async () => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        if (inFlight > parallelization) for (const resolve of waiting) resolve();
        else
          await new Promise<void>((resolve) => {
            waiting.add(resolve);
            setTimeout(resolve, 300);
          });
        inFlight -= 1;
      };
      const table = await createTestTable();
      const { poller, invocations } = await pollerOn(table, { batchSize: 3, batchingWindowMs: 0, parallelization }, meanwhile);
      poller.hold();
      poller.start(50);
      const versions = 4;
      const keys = Array.from({ length: 8 }, (_, index) => `lane-${index}`);
      for (let version = 0; version < versions; version++) await putVersion(table, keys, version);

      // Act
      await poller.settled();
      poller.resume();

      // Assess: no more overlap than the factor allows (and as much as it allows, for 4); every
      // record once; per key, versions 0…3 in order, across the batches it was split into.
      expect(mostInFlight).toBe(most);
      const delivered = invocations.flatMap((invocation) => invocation.keys);
      expect(delivered).toHaveLength(keys.length * versions);
      for (const key of keys) expect(delivered.filter((delivery) => delivery === key)).toHaveLength(versions);
      expect(sortKeysInDeliveryOrder(invocations, keys)).toEqual(
        Object.fromEntries(keys.map((key) => [key, Array.from({ length: versions }, (_, version) => `v${version}`)])),
      );
    },
  );

  it("lets a lane go on while another lane's batch is still in flight, each key's records in order", async () => {
    // Prepare: the first batch stays in flight until released; the other lane's batches need not wait for it.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let first: string | undefined;
    const meanwhile = async (event: DynamoDBStreamEvent) => {
      if (first !== undefined) return;
      first = String(event.Records[0]?.dynamodb?.Keys?.PK?.S);
      await released;
    };
    const table = await createTestTable();
    const { poller, invocations } = await pollerOn(table, { batchSize: 1, batchingWindowMs: 0, parallelization: 2 }, meanwhile);
    poller.hold();
    poller.start(50);
    const versions = 3;
    const keys = Array.from({ length: 8 }, (_, index) => `lane-${index}`);
    for (let version = 0; version < versions; version++) await putVersion(table, keys, version);

    // Act: once the first batch is held up, each key gets one more record, read in a later poll.
    let whileBlocked: number;
    try {
      poller.resume();
      await until(() => invocations.length > 2, 5000);
      await putVersion(table, keys, versions);
      await until(() => invocations.some((invocation) => invocation.sortKeys.includes(`v${versions}`)), 5000);
      whileBlocked = invocations.length;
    } finally {
      release();
    }
    await poller.settled();

    // Assess: records read after the first batch was held up went out meanwhile, none for its key;
    // in the end every record once, in order per key.
    expect(invocations.slice(1, whileBlocked).flatMap((invocation) => invocation.keys)).not.toContain(first);
    expect(invocations.flatMap((invocation) => invocation.keys)).toHaveLength(keys.length * (versions + 1));
    expect(sortKeysInDeliveryOrder(invocations, keys)).toEqual(
      Object.fromEntries(keys.map((key) => [key, Array.from({ length: versions + 1 }, (_, version) => `v${version}`)])),
    );
  });

  it('holds a batch that is not full until its window ends, then invokes once with everything gathered', async () => {
    // Prepare
    const table = await createTestTable();
    const { poller, invocations } = await pollerOn(table, { batchSize: 50, batchingWindowMs: 800 });
    poller.start(50);

    // Act
    const written = Date.now();
    await putItems(table, 'window', 3);
    await until(() => invocations.length > 0, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess: one invocation, no earlier than the window after the first record could be read.
    expect(invocations.map((invocation) => invocation.keys)).toEqual([['window-0', 'window-1', 'window-2']]);
    expect(invocations[0]?.at).toBeGreaterThanOrEqual(written + 800);
  });

  it('sends full batches without waiting, and settled() sends the rest before the window ends', async () => {
    // Prepare: a window far longer than the test may take.
    const table = await createTestTable();
    const { poller, invocations } = await pollerOn(table, { batchSize: 5, batchingWindowMs: 600_000 });
    poller.start(50);

    // Act
    await putItems(table, 'full', 12);
    await until(() => invocations.length >= 2, 15_000);
    const beforeSettled = invocations.map((invocation) => invocation.keys.length);
    await poller.settled();

    // Assess: two full batches on their own, the last two records only when asked to settle, all in order.
    expect(beforeSettled).toEqual([5, 5]);
    expect(invocations.map((invocation) => invocation.keys.length)).toEqual([5, 5, 2]);
    expect(invocations.flatMap((invocation) => invocation.keys)).toEqual(Array.from({ length: 12 }, (_, index) => `full-${index}`));
  });

  it('keeps records on the stream while held, and delivers every one, in order, once resumed', async () => {
    // Prepare
    const table = await createTestTable();
    const { poller, invocations } = await pollerOn(table, { batchSize: 50, batchingWindowMs: 0 });
    poller.hold();
    poller.start(50);

    // Act
    await putItems(table, 'held', 4);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const whileHeld = invocations.length;
    poller.resume();
    await until(() => invocations.flatMap((invocation) => invocation.keys).length >= 4, 15_000);

    // Assess
    expect(whileHeld).toBe(0);
    expect(invocations.flatMap((invocation) => invocation.keys)).toEqual(['held-0', 'held-1', 'held-2', 'held-3']);
  });

  it('replaces an iterator the stream refuses with one after the last record read: nothing skipped, nothing twice', async () => {
    // Prepare: the stream answers two records, then refuses the next iterator as trimmed.
    const streams = mockClient(DynamoDBStreamsClient);
    try {
      streams.on(DescribeStreamCommand).resolves({ StreamDescription: { Shards: [{ ShardId: 'shard-1' }] } });
      streams
        .on(GetShardIteratorCommand, { ShardIteratorType: 'TRIM_HORIZON' })
        .resolves({ ShardIterator: 'from-oldest' })
        .on(GetShardIteratorCommand, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '101' })
        .resolves({ ShardIterator: 'after-101' });
      streams
        .on(GetRecordsCommand, { ShardIterator: 'from-oldest' })
        .resolves({ Records: [streamRecord('100'), streamRecord('101')], NextShardIterator: 'refused' })
        .on(GetRecordsCommand, { ShardIterator: 'refused' })
        .rejects(new TrimmedDataAccessException({ message: 'trimmed', $metadata: {} }))
        .on(GetRecordsCommand, { ShardIterator: 'after-101' })
        .resolves({ Records: [streamRecord('102')], NextShardIterator: 'at-end' })
        .on(GetRecordsCommand, { ShardIterator: 'at-end' })
        .resolves({ Records: [], NextShardIterator: 'at-end' });
      const { source, invocations } = probe({ batchSize: 10, batchingWindowMs: 0 });
      const poller = new StreamPoller('http://127.0.0.1:1', MOCK_STREAM_ARN, [source]);

      // Act
      const read = await poller.pollOnce();
      await poller.stop();

      // Assess
      expect(read).toBe(3);
      expect(invocations.flatMap((invocation) => invocation.keys)).toEqual(['item-100', 'item-101', 'item-102']);
      expect(streams.commandCalls(GetShardIteratorCommand).map((call) => call.args[0].input.ShardIteratorType)).toEqual([
        'TRIM_HORIZON',
        'AFTER_SEQUENCE_NUMBER',
      ]);
    } finally {
      streams.restore();
    }
  });

  it("does not read a child shard while its parent still returns records: the parent's records come first", async () => {
    // Prepare: the parent shard holds two pages; the child already has a record.
    const streams = mockClient(DynamoDBStreamsClient);
    try {
      streams.on(DescribeStreamCommand).resolves({
        StreamDescription: { Shards: [{ ShardId: 'parent' }, { ShardId: 'child', ParentShardId: 'parent' }] },
      });
      streams
        .on(GetShardIteratorCommand, { ShardId: 'parent' })
        .resolves({ ShardIterator: 'parent-1' })
        .on(GetShardIteratorCommand, { ShardId: 'child' })
        .resolves({ ShardIterator: 'child-1' });
      streams
        .on(GetRecordsCommand, { ShardIterator: 'parent-1' })
        .resolves({ Records: [streamRecord('1')], NextShardIterator: 'parent-2' })
        .on(GetRecordsCommand, { ShardIterator: 'parent-2' })
        .resolves({ Records: [streamRecord('2')], NextShardIterator: 'parent-3' })
        .on(GetRecordsCommand, { ShardIterator: 'parent-3' })
        .resolves({ Records: [] })
        .on(GetRecordsCommand, { ShardIterator: 'child-1' })
        .resolves({ Records: [streamRecord('3')], NextShardIterator: 'child-2' })
        .on(GetRecordsCommand, { ShardIterator: 'child-2' })
        .resolves({ Records: [], NextShardIterator: 'child-2' });
      const { source, invocations } = probe({ batchSize: 10, batchingWindowMs: 0 });
      const poller = new StreamPoller('http://127.0.0.1:1', MOCK_STREAM_ARN, [source]);

      // Act
      await poller.pollOnce();
      await poller.stop();

      // Assess
      expect(invocations.flatMap((invocation) => invocation.keys)).toEqual(['item-1', 'item-2', 'item-3']);
    } finally {
      streams.restore();
    }
  });

  it('sends the records it has read before it stops, even inside their batching window', async () => {
    // Prepare
    const table = await createTestTable();
    const { poller, invocations } = await pollerOn(table, { batchSize: 50, batchingWindowMs: 600_000 });
    poller.start(50);
    await putItems(table, 'stopping', 2);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const beforeStop = invocations.length;

    // Act
    await poller.stop();

    // Assess
    expect(beforeStop).toBe(0);
    expect(invocations.flatMap((invocation) => invocation.keys)).toEqual(['stopping-0', 'stopping-1']);
  });
});
