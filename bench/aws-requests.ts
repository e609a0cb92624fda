import { randomUUID } from 'node:crypto';
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts every AWS request, by service and operation, with a middleware added to each SDK
 * client's stack the first time the client sends. DynamoDB requests also ask for
 * `ReturnConsumedCapacity: TOTAL` and add up the capacity units the service reports.
 *
 * The functions run in worker threads of their own (emulator/function-runner.ts), so the counter
 * runs in two places: in this thread, where only the local tooling sends (stream and queue pollers;
 * its keys start with `local `), and in every function worker, which imports this module first
 * (`REQUEST_COUNTER_PRELOAD`) and reports each request over a BroadcastChannel.
 */

export interface RequestCount {
  requests: number;
  /** Capacity units DynamoDB reported (ReturnConsumedCapacity: TOTAL); reads and writes apart. */
  readUnits: number;
  writeUnits: number;
  /** Requests that reported no ConsumedCapacity (then the units above are incomplete). */
  unreported: number;
}

export interface RequestCounter {
  /** `<client>:<command>` → counts, e.g. `DynamoDBClient:TransactWriteItemsCommand`; `local <client>:<command>` for the local tooling's. */
  counts: Map<string, RequestCount>;
  reset(): void;
  /** Resolves once every function worker's reports sent so far have arrived. */
  flush(): Promise<void>;
  total(filter?: (key: string) => boolean): RequestCount;
  uninstall(): void;
}

/** Operations whose input takes ReturnConsumedCapacity, by the kind of capacity they consume. */
const DYNAMO_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
const DYNAMO_READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

const operationOf = (commandName: string) =>
  commandName
    .replace(/Command$/, '')
    .replace(/^(Put|Update|Delete|Get)$/, '$1Item')
    .replace(/^TransactWrite$/, 'TransactWriteItems')
    .replace(/^TransactGet$/, 'TransactGetItems')
    .replace(/^BatchWrite$/, 'BatchWriteItem')
    .replace(/^BatchGet$/, 'BatchGetItem');

type Send = (this: { middlewareStack: MiddlewareStackLike }, ...args: unknown[]) => unknown;
interface MiddlewareStackLike {
  add(middleware: unknown, options: Record<string, unknown>): void;
}

/** The module a function worker imports first to count its requests (for the stack's `functionPreload`). */
export const REQUEST_COUNTER_PRELOAD = new URL(import.meta.url).href;

const CHANNEL = 'parcelcast-bench-aws-requests';

type Report =
  | { type: 'hello'; worker: string }
  | { type: 'count'; key: string; count: RequestCount }
  | { type: 'flush'; id: string }
  | { type: 'flushed'; id: string; worker: string };

const add = (into: RequestCount, count: RequestCount) => {
  into.requests += count.requests;
  into.readUnits += count.readUnits;
  into.writeUnits += count.writeUnits;
  into.unreported += count.unreported;
};

/** Adds the counting middleware to every SDK client that sends; `onCount` hears each request's count. */
function countRequests(onCount: (key: string, count: RequestCount) => void): () => void {
  const counted = new WeakSet<object>();
  // Every v3 client (and lib-dynamodb's document client) extends the same smithy Client.
  const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: Send };
  const originalSend = base.send;

  const middleware =
    (next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>, context: Record<string, string>) =>
    async (args: { input: Record<string, unknown> }) => {
      const key = `${context.clientName}:${context.commandName}`;
      const count: RequestCount = { requests: 1, readUnits: 0, writeUnits: 0, unreported: 0 };
      const operation = operationOf(context.commandName ?? '');
      const isDynamo = context.clientName === 'DynamoDBClient' || context.clientName === 'DynamoDBDocumentClient';
      const metered = isDynamo && (DYNAMO_WRITES.has(operation) || DYNAMO_READS.has(operation));
      if (metered) args.input.ReturnConsumedCapacity ??= 'TOTAL';
      const settle = (consumed: unknown) => {
        if (!metered) return;
        const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as {
          CapacityUnits?: number;
          ReadCapacityUnits?: number;
          WriteCapacityUnits?: number;
        }[];
        if (list.length === 0) {
          count.unreported += 1;
          return;
        }
        for (const item of list) {
          const units = item.CapacityUnits ?? 0;
          if (item.ReadCapacityUnits !== undefined || item.WriteCapacityUnits !== undefined) {
            count.readUnits += item.ReadCapacityUnits ?? 0;
            count.writeUnits += item.WriteCapacityUnits ?? 0;
          } else if (DYNAMO_WRITES.has(operation)) count.writeUnits += units;
          else count.readUnits += units;
        }
      };
      try {
        const result = await next(args);
        settle(result.output?.ConsumedCapacity);
        return result;
      } catch (error) {
        // A cancelled transaction or failed condition still consumed capacity; the error says how much when it can.
        settle((error as { ConsumedCapacity?: unknown }).ConsumedCapacity);
        throw error;
      } finally {
        onCount(key, count);
      }
    };

  base.send = function (this: { middlewareStack: MiddlewareStackLike }, ...args: unknown[]) {
    if (!counted.has(this.middlewareStack)) {
      counted.add(this.middlewareStack);
      this.middlewareStack.add(middleware, { step: 'initialize', name: 'parcelcastRequestCounter', priority: 'high', override: true });
    }
    return originalSend.apply(this, args);
  };
  return () => {
    base.send = originalSend;
  };
}

/** In the benchmark's own thread: counts its requests as local tooling, and collects the function workers' reports. */
export function installRequestCounter(): RequestCounter {
  const counts = new Map<string, RequestCount>();
  const record = (key: string, count: RequestCount) => {
    const sum = counts.get(key) ?? { requests: 0, readUnits: 0, writeUnits: 0, unreported: 0 };
    counts.set(key, sum);
    add(sum, count);
  };
  const uninstallLocal = countRequests((key, count) => record(`local ${key}`, count));
  const workers = new Set<string>();
  const flushes = new Map<string, { waiting: Set<string>; done: () => void }>();
  const channel = new BroadcastChannel(CHANNEL);
  // Listening must not keep the benchmark's process alive once its work is done.
  channel.unref();
  channel.onmessage = (message) => {
    const report = (message as { data: Report }).data;
    if (report.type === 'hello') workers.add(report.worker);
    else if (report.type === 'count') record(report.key, report.count);
    else if (report.type === 'flushed') {
      const flush = flushes.get(report.id);
      flush?.waiting.delete(report.worker);
      if (flush?.waiting.size === 0) flush.done();
    }
  };

  return {
    counts,
    reset: () => counts.clear(),
    flush() {
      if (workers.size === 0) return Promise.resolve();
      const id = randomUUID();
      return new Promise<void>((resolve) => {
        const done = () => {
          flushes.delete(id);
          resolve();
        };
        flushes.set(id, { waiting: new Set(workers), done });
        channel.postMessage({ type: 'flush', id } satisfies Report);
      });
    },
    total(filter = () => true) {
      const sum: RequestCount = { requests: 0, readUnits: 0, writeUnits: 0, unreported: 0 };
      for (const [key, count] of counts) {
        if (!filter(key)) continue;
        sum.requests += count.requests;
        sum.readUnits += count.readUnits;
        sum.writeUnits += count.writeUnits;
        sum.unreported += count.unreported;
      }
      return sum;
    },
    uninstall() {
      uninstallLocal();
      channel.close();
    },
  };
}

// Imported by a function worker (REQUEST_COUNTER_PRELOAD): count its requests and report each one.
if (!isMainThread) {
  const worker = randomUUID();
  const channel = new BroadcastChannel(CHANNEL);
  // Reports must not keep a worker alive that has nothing else to do.
  channel.unref();
  countRequests((key, count) => channel.postMessage({ type: 'count', key, count } satisfies Report));
  channel.onmessage = (message) => {
    const report = (message as { data: Report }).data;
    if (report.type === 'flush') channel.postMessage({ type: 'flushed', id: report.id, worker } satisfies Report);
  };
  channel.postMessage({ type: 'hello', worker } satisfies Report);
}
