import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { cloudEvent, postEvents, shipmentCreated, shipmentStatus, walletEvent, withoutRequestRateLimit } from '../support/events.ts';

// Whatever a client sends, signed, the ingest handler answers without a server fault, and writes nothing it rejects.
const dynamo = mockClient(DynamoDBDocumentClient);
const WRITES = [TransactWriteCommand, PutCommand, UpdateCommand, DeleteCommand, BatchWriteCommand] as const;
const CONTENT_TYPES = ['application/cloudevents+json', 'application/cloudevents-batch+json', 'application/json'] as const;
const RUNS = { numRuns: 400 };

let ingest: typeof import('../../functions/ingest-events.ts')['handler'];

beforeAll(async () => {
  dynamo.on(GetCommand).resolves({});
  dynamo.on(BatchGetCommand).resolves({ Responses: {} });
  dynamo.on(TransactWriteCommand).resolves({});
  // Thousands of requests from one warehouse, about their bodies, not its rate.
  withoutRequestRateLimit();
  ({ handler: ingest } = await import('../../functions/ingest-events.ts'));
});

afterAll(() => {
  dynamo.reset();
  vi.unstubAllEnvs();
});

interface Outcome {
  status: number;
  contentType: string | undefined;
  body: unknown;
  writes: number;
}

/** Posts a raw body, signed with the active secret, and reports the answer and the writes it caused. */
async function post(raw: string, contentType: string): Promise<Outcome> {
  dynamo.resetHistory();
  const request: APIGatewayProxyEventV2 = postEvents(null, { raw, contentType });
  const response = await ingest(request, lambdaContext('IngestFunction'));
  const writes = dynamo.calls().filter((call) => WRITES.some((Write) => call.args[0] instanceof Write)).length;
  let body: unknown = response.body;
  try {
    body = JSON.parse(response.body ?? '');
  } catch {
    // Left as text: the assertions below then fail on its shape.
  }
  return { status: response.statusCode ?? 0, contentType: response.headers?.['content-type'] as string | undefined, body, writes };
}

/**
 * The contract for any signed input: a 202 with one result per event, or a 4xx RFC 9457
 * problem with nothing written. Never a 5xx.
 */
function expectClientOutcome(outcome: Outcome): void {
  if (outcome.status === 202) {
    const { results } = outcome.body as { results: unknown[] };
    expect(results.length > 0 && results.every((result) => (result as { status: string }).status === 'accepted')).toBe(true);
    return;
  }
  expect({ ...outcome, clientError: outcome.status >= 400 && outcome.status < 500 }).toEqual({
    status: outcome.status,
    clientError: true,
    contentType: 'application/problem+json',
    body: expect.objectContaining({ type: expect.any(String), title: expect.any(String), status: outcome.status }),
    writes: 0,
  });
}

const contentType = fc.constantFrom(...CONTENT_TYPES);

/** Valid events of every kind, as a warehouse would post them. */
const validEvent = fc.constantFrom(
  () => shipmentCreated('shp-fuzz', 0, { carrier: 'DHL', trackingUrl: 'https://track.example/1', promisedBy: '2026-11-03T18:00:00Z' }),
  () => shipmentStatus('picked', 'shp-fuzz', 1),
  () => shipmentStatus('shipped', 'shp-fuzz', 2, { carrier: 'UPS', trackingNumber: '1Z999' }),
  () => shipmentStatus('in_transit', 'shp-fuzz', 3, { location: 'Madrid' }),
  () => shipmentStatus('out_for_delivery', 'shp-fuzz', 4, { eta: '2026-11-01T18:00:00+01:00' }),
  () => shipmentStatus('delivery_failed', 'shp-fuzz', 5, { reason: 'nobody home', nextAttemptAt: '2026-11-02T09:00:00Z' }),
  () => shipmentStatus('delivered', 'shp-fuzz', 6, { signedBy: 'neighbour' }),
  () => shipmentStatus('cancelled', 'shp-fuzz', 7, { reason: 'customer asked' }),
  () => walletEvent('credited', 'wal-fuzz', 2500),
  () => walletEvent('debited', 'wal-fuzz', 700),
  () => cloudEvent('shipment.returned', { shipmentId: 'shp-fuzz' }, { minute: 8 }),
);

type Json = Record<string, unknown>;

/** Every path to a value inside `value` (objects and arrays), the root excluded. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

function containerAt(root: unknown, path: readonly (string | number)[]): any {
  return path.reduce<any>((node, key) => node?.[key], root);
}

type Mutation =
  | { kind: 'remove'; pick: number }
  | { kind: 'rewrite'; pick: number; text: string }
  | { kind: 'retype'; pick: number; value: unknown }
  | { kind: 'extra'; pick: number; key: string; value: unknown };

/** Any text, lone UTF-16 surrogates included: what a JSON `\\udXXX` escape can carry. */
const unusualText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\u0000', '#', '%', ' '),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('rewrite' as const), pick: fc.nat(), text: unusualText }),
  fc.record({ kind: fc.constant('retype' as const), pick: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({
    kind: fc.constant('extra' as const),
    pick: fc.nat(),
    key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'partitionkey', 'id', 'data')),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
);

/** Applies one mutation to a copy of an event: a field removed, retyped, rewritten as other text, or an extra key added. */
function mutate(event: Json, change: Mutation): Json {
  const copy = structuredClone(event);
  const paths = pathsOf(copy);
  const path = paths[change.pick % paths.length]!;
  const parent = containerAt(copy, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (change.kind === 'remove') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (change.kind === 'retype') {
    parent[key] = change.value;
  } else if (change.kind === 'rewrite') {
    // Keeps the type, changes the text: the value still looks plausible to a type check.
    if (typeof parent[key] === 'string') parent[key] = change.text;
  } else {
    const target = containerAt(copy, path);
    const holder = target !== null && typeof target === 'object' && !Array.isArray(target) ? target : copy;
    Object.defineProperty(holder, change.key, { value: change.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

const mutatedEvent = fc
  .tuple(validEvent, fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([make, changes]) => changes.reduce<Json>((event, change) => mutate(event, change), make() as Json));

describe('ingest fuzzing', () => {
  it('answers arbitrary bytes with a 400 problem and writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), contentType, async (bytes, type) => {
        const outcome = await post(Buffer.from(bytes).toString('utf8'), type);
        expect({ status: outcome.status, writes: outcome.writes }).toEqual({ status: 400, writes: 0 });
      }),
      RUNS,
    );
  });

  it('answers arbitrary bytes with an RFC 9457 problem+json', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), contentType, async (bytes, type) => {
        expectClientOutcome(await post(Buffer.from(bytes).toString('latin1'), type));
      }),
      RUNS,
    );
  });

  it('answers arbitrary JSON values with a 4xx problem+json and writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), contentType, async (value, type) => {
        const outcome = await post(JSON.stringify(value) ?? 'null', type);
        expect(outcome.status).not.toBe(202);
        expectClientOutcome(outcome);
      }),
      RUNS,
    );
  });

  it('answers mutated CloudEvents with 202 or a 4xx problem+json, never a server fault, writing only what it accepts', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedEvent, contentType, async (event, type) => {
        const body = type === 'application/cloudevents-batch+json' ? [event] : event;
        expectClientOutcome(await post(JSON.stringify(body), type));
      }),
      RUNS,
    );
  });

  it('stores nothing of a batch in which any event is mutated into an invalid one', async () => {
    const batch = fc.tuple(fc.array(validEvent, { minLength: 1, maxLength: 4 }), mutatedEvent, fc.nat());
    await fc.assert(
      fc.asyncProperty(batch, async ([makers, mutated, at]) => {
        const events: unknown[] = makers.map((make) => make());
        events.splice(at % (events.length + 1), 0, mutated);
        const outcome = await post(JSON.stringify(events), 'application/cloudevents-batch+json');
        expectClientOutcome(outcome);
      }),
      RUNS,
    );
  });
});
