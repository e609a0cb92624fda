import { randomUUID } from 'node:crypto';
import { BroadcastChannel, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts every AWS request, by service and operation, with a middleware added to each SDK
 * client's stack the first time the client sends. DynamoDB requests also ask for
 * `ReturnConsumedCapacity: TOTAL` and add up the capacity units the service reports (DynamoDB
 * Local's TOTAL includes the write units of the Timeline index entries, as AWS bills them); a write
 * is keyed by the kind of item it writes too (event, state, claim…), so the report can say which
 * write each unit pays for. SNS topic publishes are counted as AWS bills them, per 64 KB of payload.
 * Function workers key their requests by the function (`IngestFunction DynamoDBClient:…`) and report
 * each invocation.
 *
 * The functions run in worker threads of their own (emulator/function-runner.ts), so the counter
 * runs in two places: in this thread, where only the local tooling sends (stream and queue pollers;
 * its keys start with `local `), and in every function worker, which imports this module first
 * (`REQUEST_COUNTER_PRELOAD`), adds up its requests and invocations in its own memory and reports the
 * sums over a BroadcastChannel when the benchmark flushes. A message per request would cost more than
 * the request: a BroadcastChannel hands every message to every thread listening on it, and the
 * counter's messages took a quarter of the function workers' CPU in the throughput rounds.
 */

export interface RequestCount {
  requests: number;
  /** Capacity units DynamoDB reported (ReturnConsumedCapacity: TOTAL); reads and writes apart. */
  readUnits: number;
  writeUnits: number;
  /** Requests that reported no ConsumedCapacity (then the units above are incomplete). */
  unreported: number;
  /** SNS topic publishes as billed: each request's payload in 64 KB chunks (a PublishBatch's entries together). */
  billedPublishes: number;
}

/** A function's invocations. */
export interface Invocations {
  count: number;
}

export interface RequestCounter {
  /**
   * `<function> <client>:<command>` → counts, e.g. `StreamRouterFunction SNSClient:PublishBatchCommand`,
   * with the kind of item for DynamoDB writes (`IngestFunction DynamoDBClient:PutItemCommand (shipment
   * state)`); `local <client>:<command>` for the local tooling's.
   */
  counts: Map<string, RequestCount>;
  /** Function logical id → its invocations. */
  invocations: Map<string, Invocations>;
  reset(): void;
  /** Resolves once every function worker's reports sent so far have arrived. */
  flush(): Promise<void>;
  total(filter?: (key: string) => boolean): RequestCount;
  uninstall(): void;
}

/** Operations whose input takes ReturnConsumedCapacity, by the kind of capacity they consume. */
const DYNAMO_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);
const DYNAMO_READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

/** The API operation of an SDK command name: `PutCommand` (lib-dynamodb) and `PutItemCommand` → `PutItem`. */
export const operationOf = (commandName: string) =>
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
  | { type: 'flush'; id: string }
  /** A worker's sums since its last report: requests by key, and its function's invocations. */
  | { type: 'flushed'; id: string; worker: string; counts: [string, RequestCount][]; invocations: [string, number][] };

const add = (into: RequestCount, count: RequestCount) => {
  into.requests += count.requests;
  into.readUnits += count.readUnits;
  into.writeUnits += count.writeUnits;
  into.unreported += count.unreported;
  into.billedPublishes += count.billedPublishes;
};

const empty = (): RequestCount => ({ requests: 0, readUnits: 0, writeUnits: 0, unreported: 0, billedPublishes: 0 });

/** The sort key of the item a DynamoDB write names, plain or marshalled. */
function sortKeyOf(input: Record<string, unknown>): string | undefined {
  const item = (input.Item ?? input.Key) as Record<string, unknown> | undefined;
  const sk = item?.SK as string | { S?: string } | undefined;
  return typeof sk === 'string' ? sk : sk?.S;
}

/** What a DynamoDB write is for, from its sort key (docs/data-model.md). */
function writeKind(operation: string, input: Record<string, unknown>): string | undefined {
  if (operation === 'TransactWriteItems') return 'wallet entry';
  const sk = sortKeyOf(input);
  if (sk === undefined) return undefined;
  if (sk === 'SHIPMENT') return 'shipment state';
  if (sk.startsWith('EVENT#')) return 'shipment event, with its Timeline index entry';
  if (sk.startsWith('NOTIFICATION#')) return 'notification claim';
  if (sk === 'PROFILE') return 'customer profile';
  if (sk === 'WALLET') return 'wallet';
  return undefined;
}

/** An SNS publish as billed: one per 64 KB of payload (messages and their attributes), at least one per request. */
function billedPublishes(input: Record<string, unknown>): number {
  const entries = (input.PublishBatchRequestEntries as Record<string, unknown>[] | undefined) ?? [input];
  const bytes = entries.reduce((sum, entry) => sum + Buffer.byteLength(JSON.stringify([entry.Message, entry.MessageAttributes ?? {}])), 0);
  return Math.max(1, Math.ceil(bytes / (64 * 1024)));
}

/** Adds the counting middleware to every SDK client that sends; `onCount` hears each request's count. */
function countRequests(onCount: (key: string, count: RequestCount) => void): () => void {
  const counted = new WeakSet<object>();
  // Every v3 client (and lib-dynamodb's document client) extends the same smithy Client.
  const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: Send };
  const originalSend = base.send;

  const middleware =
    (next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>, context: Record<string, string>) =>
    async (args: { input: Record<string, unknown> }) => {
      const operation = operationOf(context.commandName ?? '');
      const isDynamo = context.clientName === 'DynamoDBClient' || context.clientName === 'DynamoDBDocumentClient';
      const kind = isDynamo && DYNAMO_WRITES.has(operation) ? writeKind(operation, args.input) : undefined;
      const key = `${context.clientName}:${context.commandName}${kind ? ` (${kind})` : ''}`;
      const count: RequestCount = { ...empty(), requests: 1 };
      // A topic publish (not an SMS to a phone number, which is billed as an SMS).
      if (context.clientName === 'SNSClient' && (operation === 'PublishBatch' || (operation === 'Publish' && args.input.TopicArn))) {
        count.billedPublishes = billedPublishes(args.input);
      }
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
  const invocations = new Map<string, Invocations>();
  const record = (key: string, count: RequestCount) => {
    const sum = counts.get(key) ?? empty();
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
    else if (report.type === 'flushed') {
      for (const [key, count] of report.counts) record(key, count);
      for (const [functionId, count] of report.invocations) {
        const sum = invocations.get(functionId) ?? { count: 0 };
        sum.count += count;
        invocations.set(functionId, sum);
      }
      const flush = flushes.get(report.id);
      flush?.waiting.delete(report.worker);
      if (flush?.waiting.size === 0) flush.done();
    }
  };

  return {
    counts,
    invocations,
    reset: () => {
      counts.clear();
      invocations.clear();
    },
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
      const sum = empty();
      for (const [key, count] of counts) if (filter(key)) add(sum, count);
      return sum;
    },
    uninstall() {
      uninstallLocal();
      channel.close();
    },
  };
}

// Imported by a function worker (REQUEST_COUNTER_PRELOAD): count its requests and invocations, and report the sums when asked.
if (!isMainThread) {
  const worker = randomUUID();
  const channel = new BroadcastChannel(CHANNEL);
  // Reports must not keep a worker alive that has nothing else to do.
  channel.unref();
  const name = (workerData as { functionName?: unknown } | null)?.functionName;
  const functionId = typeof name === 'string' ? name : undefined;
  const counts = new Map<string, RequestCount>();
  let invoked = 0;
  countRequests((key, count) => {
    const keyed = functionId ? `${functionId} ${key}` : key;
    const sum = counts.get(keyed) ?? empty();
    counts.set(keyed, sum);
    add(sum, count);
  });
  channel.onmessage = (message) => {
    const report = (message as { data: Report }).data;
    if (report.type !== 'flush') return;
    channel.postMessage({
      type: 'flushed',
      id: report.id,
      worker,
      counts: [...counts],
      invocations: functionId !== undefined && invoked > 0 ? [[functionId, invoked]] : [],
    } satisfies Report);
    counts.clear();
    invoked = 0;
  };
  channel.postMessage({ type: 'hello', worker } satisfies Report);
  // Each invocation: an event arriving from the function runner (emulator/function-worker.ts).
  if (functionId !== undefined) {
    parentPort?.on('message', (request: { id?: unknown; event?: unknown }) => {
      if (typeof request?.id === 'number' && typeof request.event === 'string') invoked += 1;
    });
  }
}
