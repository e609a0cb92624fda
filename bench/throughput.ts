import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { LOCAL_AWS } from '../emulator/aws-local.ts';
import { type RunningStack, startStack } from '../local/stack.ts';
import { projectTemplate } from '../support/project.ts';
import { type Invocations, REQUEST_COUNTER_PRELOAD, type RequestCount, type RequestCounter } from './aws-requests.ts';
import type { LoadJob } from './load-worker.ts';
import { type PostOutcome, SECRET, shipmentStories, WAREHOUSE } from './workload.ts';

/**
 * Throughput through the local stack (`npm start`'s): signed events posted over loopback with
 * bounded concurrency, each shipment's events in order, beside floors that send, raw and with the
 * same concurrency straight to the same DynamoDB Local, the DynamoDB requests the design needs per
 * event (bench/load-worker.ts). Each round has four phases, in an order that rotates from round to
 * round so that neither a warming JVM nor a growing table favours one:
 *
 * - floor: the ingest path's writes, raw: per event the event item and the state;
 * - floor-e2e: the same, and every other DynamoDB request the design makes per event: the
 *   stream-router's (order, profile, stall deadline) and, per notification, the sender's (claim,
 *   suppression and preference reads, settle), through the product's own adapters;
 * - held: the events posted while the stream consumers are held back (records wait on the stream,
 *   as behind an event source mapping that lags), then released and drained: the ingest path
 *   alone, as on AWS where the consumers run on capacity of their own (compared with `floor`);
 * - live: the events posted while the stream-router and the senders run beside the ingest, as
 *   `npm start` runs them, all on this machine's cores (compared with `floor-e2e`).
 *
 * CPU is accounted per phase: this Node process (all threads, the load generator included) and
 * DynamoDB Local's JVM, so the report can say where the time goes.
 */

export interface CpuSeconds {
  node: number;
  /** DynamoDB Local's JVM; undefined where /proc cannot tell. */
  dynamo: number | undefined;
}

export interface FloorPhase {
  events: number;
  seconds: number;
  /** A floor's DynamoDB requests by command (a product phase's are in ThroughputResult.requests). */
  requests?: Record<string, number>;
  /** CPU used while the transactions ran. */
  cpu: CpuSeconds;
}

export interface ProductPhase extends FloorPhase {
  /** From the first post until every notification was delivered (stack.settled()). */
  settledSeconds: number;
  /**
   * From the first post until the outbox received the phase's last message: when the design's work
   * for the events was done, without the idle rounds stack.settled() waits out to be sure of it.
   */
  deliveredSeconds: number;
  /** CPU used from the first post until settled: all the work the events caused. */
  cpuUntilSettled: CpuSeconds;
  errors: number;
  accepted: number;
  stored: number;
  notified: number;
  expectedNotifications: number;
  latenciesMs: number[];
}

export interface ThroughputRound {
  floor: FloorPhase;
  floorE2e: FloorPhase;
  held: ProductPhase;
  live: ProductPhase;
  /** The order the phases ran in this round. */
  order: Phase[];
}

export type Phase = 'floor' | 'floorE2e' | 'held' | 'live';

export interface ThroughputResult {
  concurrency: number;
  rounds: ThroughputRound[];
  /** AWS requests of the product phases only, by `<function> <client>:<command>` (bench/aws-requests.ts). */
  requests: Record<string, RequestCount>;
  /** Invocations of each function during the product phases. */
  invocations: Record<string, Invocations>;
  dataDir: string;
}

const PHASES: readonly Phase[] = ['floor', 'floorE2e', 'held', 'live'];

/** Round r runs the phases rotated by r: floor-floorE2e-held-live, floorE2e-held-live-floor, ... */
export function phaseOrder(round: number): Phase[] {
  return PHASES.map((_, index) => PHASES[(index + round) % PHASES.length] as Phase);
}

function cpuMeter(stack: RunningStack) {
  const read = () => ({ node: process.cpuUsage(), dynamo: stack.dynamoCpuSeconds() });
  return () => {
    const before = read();
    return (): CpuSeconds => {
      const node = process.cpuUsage(before.node);
      const dynamo = stack.dynamoCpuSeconds();
      return {
        node: (node.user + node.system) / 1e6,
        dynamo: dynamo === undefined || before.dynamo === undefined ? undefined : dynamo - before.dynamo,
      };
    };
  };
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

/**
 * Runs one load job in its own thread and resolves with what it reports. `onReady` runs once the
 * thread has loaded, just before it starts: where the caller starts measuring.
 */
function inWorker<T>(job: LoadJob, onReady: () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: job });
    worker.once('message', () => {
      onReady();
      worker.once('message', resolve);
      worker.postMessage('go');
    });
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
  // Each function worker counts its own AWS requests (bench/aws-requests.ts).
  const stack = await startStack({
    port: 0,
    dataDir,
    warehouses: { entries: [WAREHOUSE] },
    // The registry read as often as on AWS (the local stack's 1-second default is for editing it live).
    parameterOverrides: { WarehouseRegistryCacheSeconds: String(projectTemplate().Parameters?.WarehouseRegistryCacheSeconds?.Default) },
    functionPreload: [REQUEST_COUNTER_PRELOAD],
  });
  const outbox = async () => (await (await fetch(`${stack.url}/local/outbox`)).json()) as { time: string }[];
  const tableName = stack.tableNames.ParcelTable as string;
  const startCpu = cpuMeter(stack);
  const rounds: ThroughputRound[] = [];
  const requests = new Map<string, RequestCount>();
  const invocations = new Map<string, Invocations>();
  const shipments = Math.ceil(options.events / 10);
  const storiesFor = (round: number | 'warm-up', phase: string) =>
    round === 'warm-up'
      ? shipmentStories({ shipments: Math.ceil(shipments / 5), seed: 999, runId: `w${phase}` })
      : shipmentStories({ shipments, seed: 1000 + round, runId: `${phase}${round}` });

  async function floorPhase(round: number | 'warm-up', notifications: boolean): Promise<FloorPhase> {
    const stories = storiesFor(round, notifications ? 'n' : 'f');
    // The floor's records concern no consumer; reading them is left to the drain after the phase.
    const release = stack.holdStreams();
    let cpu = startCpu();
    const { seconds, requests } = await inWorker<{ seconds: number; requests: Record<string, number> }>(
      {
        kind: 'raw',
        endpoint: stack.dynamoEndpoint,
        tableName,
        stories,
        concurrency: options.concurrency,
        ...(notifications ? { routerEnvironment: stack.environmentOf('StreamRouterFunction') } : {}),
      },
      () => (cpu = startCpu()),
    );
    const used = cpu();
    release();
    return { events: stories.reduce((sum, story) => sum + story.events.length, 0), seconds, requests, cpu: used };
  }

  async function productPhase(round: number | 'warm-up', phase: 'held' | 'live'): Promise<ProductPhase> {
    const stories = storiesFor(round, phase[0] as string);
    await options.counter.flush();
    options.counter.reset();
    // Phases run one after another and each ends settled: what the outbox gains meanwhile is this phase's.
    const outboxBefore = (await outbox()).length;
    const release = phase === 'held' ? stack.holdStreams() : () => undefined;
    let cpu = startCpu();
    let started = performance.now();
    let startedAt = Date.now();
    const posted = await inWorker<{ seconds: number; outcomes: PostOutcome[]; latencies: number[] }>(
      { kind: 'post', url: stack.url, stories, concurrency: options.concurrency, secret: SECRET },
      () => {
        cpu = startCpu();
        started = performance.now();
        startedAt = Date.now();
      },
    );
    const postingCpu = cpu();
    release();
    await stack.settled();
    const settledSeconds = (performance.now() - started) / 1000;
    const cpuUntilSettled = cpu();
    await options.counter.flush();
    for (const [key, count] of options.counter.counts) {
      const sum = requests.get(key) ?? { requests: 0, readUnits: 0, writeUnits: 0, unreported: 0, billedPublishes: 0 };
      sum.requests += count.requests;
      sum.readUnits += count.readUnits;
      sum.writeUnits += count.writeUnits;
      sum.unreported += count.unreported;
      sum.billedPublishes += count.billedPublishes;
      requests.set(key, sum);
    }
    for (const [functionId, count] of options.counter.invocations) {
      const sum = invocations.get(functionId) ?? { count: 0 };
      sum.count += count.count;
      invocations.set(functionId, sum);
    }
    const ids = new Set(stories.flatMap((story) => story.events.map((event) => event.id)));
    const items = await scan(stack.dynamoEndpoint, tableName);
    const delivered = (await outbox()).slice(outboxBefore);
    const notified = delivered.length;
    const lastDelivered = Math.max(startedAt, ...delivered.map((entry) => Date.parse(entry.time)));
    return {
      events: posted.outcomes.length,
      seconds: posted.seconds,
      cpu: postingCpu,
      settledSeconds,
      deliveredSeconds: (lastDelivered - startedAt) / 1000,
      cpuUntilSettled,
      errors: posted.outcomes.filter((outcome) => outcome.status !== 202).length,
      accepted: posted.outcomes.filter((outcome) => outcome.results?.[0]?.status === 'accepted').length,
      stored: items.filter((item) => item.entity === 'event' && ids.has(item.event?.id)).length,
      notified,
      expectedNotifications: stories.reduce((sum, story) => sum + story.expectedNotifications.length, 0),
      latenciesMs: posted.latencies,
    };
  }

  try {
    // A fifth of a round of the floor and of the product, not reported: the JVM's JIT and the SDK
    // clients warm up before anything is measured, so the first measured phase is not penalised.
    await floorPhase('warm-up', true);
    await productPhase('warm-up', 'live');
    for (let round = 0; round < options.rounds; round++) {
      const order = phaseOrder(round);
      if (round === 0) {
        requests.clear();
        invocations.clear();
      }
      const phases: Partial<Pick<ThroughputRound, Phase>> = {};
      for (const phase of order) {
        await stack.settled();
        if (phase === 'floor' || phase === 'floorE2e') phases[phase] = await floorPhase(round, phase === 'floorE2e');
        else phases[phase] = await productPhase(round, phase);
      }
      const { floor, floorE2e, held, live } = phases as Pick<ThroughputRound, Phase>;
      rounds.push({ floor, floorE2e, held, live, order });
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
  return {
    concurrency: options.concurrency,
    rounds,
    requests: Object.fromEntries(requests),
    invocations: Object.fromEntries(invocations),
    dataDir,
  };
}
