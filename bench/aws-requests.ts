import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts every AWS request the process makes, by service and operation, with a middleware added
 * to each SDK client's stack the first time the client sends. DynamoDB requests also ask for
 * `ReturnConsumedCapacity: TOTAL` and add up the capacity units the service reports.
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
  /** `<client>:<command>` → counts, e.g. `DynamoDBClient:TransactWriteItemsCommand`. */
  counts: Map<string, RequestCount>;
  reset(): void;
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

export function installRequestCounter(): RequestCounter {
  const counts = new Map<string, RequestCount>();
  const counted = new WeakSet<object>();
  // Every v3 client (and lib-dynamodb's document client) extends the same smithy Client.
  const base = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: Send };
  const originalSend = base.send;

  const middleware =
    (next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>, context: Record<string, string>) =>
    async (args: { input: Record<string, unknown> }) => {
      const key = `${context.clientName}:${context.commandName}`;
      const count = counts.get(key) ?? { requests: 0, readUnits: 0, writeUnits: 0, unreported: 0 };
      counts.set(key, count);
      count.requests += 1;
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
      }
    };

  base.send = function (this: { middlewareStack: MiddlewareStackLike }, ...args: unknown[]) {
    if (!counted.has(this.middlewareStack)) {
      counted.add(this.middlewareStack);
      this.middlewareStack.add(middleware, { step: 'initialize', name: 'parcelcastRequestCounter', priority: 'high', override: true });
    }
    return originalSend.apply(this, args);
  };

  return {
    counts,
    reset: () => counts.clear(),
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
      base.send = originalSend;
    },
  };
}
