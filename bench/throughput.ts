import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { LOCAL_AWS } from '../local/dynamodb-local.ts';
import { startStack } from '../local/stack.ts';
import type { RequestCount, RequestCounter } from './aws-requests.ts';
import type { LoadJob } from './load-worker.ts';
import { type PostOutcome, SECRET, shipmentStories } from './workload.ts';

/**
 * Throughput through the local stack (`npm start`'s): signed events posted over loopback with
 * bounded concurrency, each shipment's events in order, beside the floor of the same number of
 * raw TransactWriteItems (event record + aggregate, the items ingest writes) sent with the same
 * concurrency straight to the same DynamoDB Local. Rounds alternate floor and product.
 */

export interface ThroughputRound {
  events: number;
  seconds: number;
  floorSeconds: number;
  /** Until every notification was delivered (stack.settled()). */
  settledSeconds: number;
  errors: number;
  accepted: number;
  stored: number;
  notified: number;
  expectedNotifications: number;
  latenciesMs: number[];
}

export interface ThroughputResult {
  concurrency: number;
  rounds: ThroughputRound[];
  /** AWS requests of the product rounds only, by `<client>:<command>`. */
  requests: Record<string, RequestCount>;
  dataDir: string;
}

async function scan(endpoint: string, tableName: string): Promise<Record<string, any>[]> {
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const items: Record<string, any>[] = [];
  let ExclusiveStartKey: Record<string, any> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }));
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  client.destroy();
  return items;
}

/** Runs one load job in its own thread and resolves with what it reports. */
function inWorker<T>(job: LoadJob): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: job });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
  });
}

export async function measureThroughput(options: {
  events: number;
  concurrency: number;
  rounds: number;
  counter: RequestCounter;
}): Promise<ThroughputResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-bench-'));
  // The outbox prints a line per message and the handlers log JSON lines: thousands of lines are not
  // the report. Both streams are held back during the run; the tail of stderr is shown on failure.
  const log = console.log;
  const writes = { out: process.stdout.write, err: process.stderr.write };
  let heldStderr = '';
  console.log = () => undefined;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    heldStderr = `${heldStderr}${String(chunk)}`.slice(-10_000);
    return true;
  }) as typeof process.stderr.write;
  const stack = await startStack({ port: 0, dataDir, webhookSecrets: SECRET });
  const tableName = stack.tableNames.ParcelTable as string;
  const rounds: ThroughputRound[] = [];
  const requests = new Map<string, RequestCount>();
  try {
    for (let round = 0; round < options.rounds; round++) {
      const stories = shipmentStories({ shipments: Math.ceil(options.events / 10), seed: 1000 + round, runId: `r${round}` });
      const floorStories = shipmentStories({ shipments: Math.ceil(options.events / 10), seed: 1000 + round, runId: `f${round}` });
      const floor = await inWorker<{ seconds: number }>({
        kind: 'raw',
        endpoint: stack.dynamoEndpoint,
        tableName,
        stories: floorStories,
        concurrency: options.concurrency,
      });
      const floorSeconds = floor.seconds;
      await stack.settled();
      options.counter.reset();
      const started = performance.now();
      const posted = await inWorker<{ seconds: number; outcomes: PostOutcome[]; latencies: number[] }>({
        kind: 'post',
        url: stack.url,
        stories,
        concurrency: options.concurrency,
        secret: SECRET,
      });
      const seconds = posted.seconds;
      await stack.settled();
      const settledSeconds = (performance.now() - started) / 1000;
      for (const [key, count] of options.counter.counts) {
        const sum = requests.get(key) ?? { requests: 0, readUnits: 0, writeUnits: 0, unreported: 0 };
        sum.requests += count.requests;
        sum.readUnits += count.readUnits;
        sum.writeUnits += count.writeUnits;
        sum.unreported += count.unreported;
        requests.set(key, sum);
      }
      const ids = new Set(stories.flatMap((story) => story.events.map((event) => event.id)));
      const shipments = new Set(stories.map((story) => story.shipmentId));
      const items = await scan(stack.dynamoEndpoint, tableName);
      const outbox = (await (await fetch(`${stack.url}/local/outbox`)).json()) as { shipmentId?: string }[];
      rounds.push({
        events: posted.outcomes.length,
        seconds,
        floorSeconds,
        settledSeconds,
        errors: posted.outcomes.filter((outcome) => outcome.status !== 202).length,
        accepted: posted.outcomes.filter((outcome) => outcome.results?.[0]?.status === 'accepted').length,
        stored: items.filter((item) => item.entity === 'event' && ids.has(item.event?.id)).length,
        notified: outbox.filter((entry) => shipments.has(entry.shipmentId ?? '')).length,
        expectedNotifications: stories.reduce((sum, story) => sum + story.expectedNotifications.length, 0),
        latenciesMs: posted.latencies,
      });
    }
  } catch (error) {
    process.stderr.write = writes.err;
    process.stderr.write(heldStderr);
    throw error;
  } finally {
    await stack.stop();
    console.log = log;
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { concurrency: options.concurrency, rounds, requests: Object.fromEntries(requests), dataDir };
}
