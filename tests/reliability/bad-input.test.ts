import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { signedHeaders } from '../../support/signing.ts';
import {
  OTHER_SECRET,
  postEvents,
  shipmentCreated,
  shipmentStatus,
  TEST_SECRET,
  walletEvent,
  withoutRequestRateLimit,
} from '../support/events.ts';

// Bad input at scale: 10,000 generated malformed, oversized, unsigned, type-confused and replayed
// requests against the ingest handler, DynamoDB answering from memory. Never a 5xx, never a write
// for a rejected request, each answered with the status the README's "What the API promises" and docs/problems.md name.
const SEED = 20261128;
const dynamo = mockClient(DynamoDBDocumentClient);
/** The table, in memory: items by key, enough of DynamoDB's conditions for what ingest asks. */
const table = new Map<string, Record<string, unknown>>();
/** Write requests sent, whatever came of them; changes: writes that stored something new. */
let writes = 0;
let changes = 0;

let ingest: typeof import('../../functions/ingest-events.ts')['handler'];

/** What the run saw, per category and status, for the summary test and the failure messages. */
const tally = new Map<string, Map<number, number>>();

type Item = Record<string, unknown> & { PK: string; SK: string };
const keyOf = (item: { PK: string; SK: string }) => `${item.PK}\n${item.SK}`;

/** Whether the condition ingest wrote on a Put fails against what the table holds. */
function conditionFails(input: { ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }, existing?: Item) {
  if (input.ConditionExpression === undefined) return false;
  if (input.ConditionExpression === 'attribute_not_exists(PK)') return existing !== undefined;
  if (input.ConditionExpression === '#version = :expected') return existing?.version !== input.ExpressionAttributeValues?.[':expected'];
  throw new Error(`the in-memory table does not know the condition ${input.ConditionExpression}`);
}

beforeAll(async () => {
  dynamo.on(GetCommand).callsFake((input: { Key: Item }) => ({ Item: table.get(keyOf(input.Key)) }));
  dynamo.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Item[] }> }) => ({
    Responses: Object.fromEntries(
      Object.entries(input.RequestItems).map(([name, { Keys }]) => [name, Keys.flatMap((key) => table.get(keyOf(key)) ?? [])]),
    ),
  }));
  dynamo
    .on(PutCommand)
    .callsFake((input: { Item: Item; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }) => {
      writes += 1;
      const existing = table.get(keyOf(input.Item)) as Item | undefined;
      if (conditionFails(input, existing)) {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: marshall(existing) as never,
        });
      }
      if (JSON.stringify(existing) !== JSON.stringify(input.Item)) changes += 1;
      table.set(keyOf(input.Item), input.Item);
      return {};
    });
  dynamo.on(UpdateCommand).callsFake(() => {
    writes += 1;
    changes += 1;
    return {};
  });
  // A wallet event: its ledger entry, unless booked already, and the wallet's balance.
  dynamo
    .on(TransactWriteCommand)
    .callsFake(
      (input: { TransactItems: [{ Put: { Item: Item } }, { Update: { Key: Item; ExpressionAttributeValues: Record<string, any> } }] }) => {
        writes += 1;
        const [{ Put: ledger }, { Update: update }] = input.TransactItems;
        if (table.has(keyOf(ledger.Item))) {
          throw new TransactionCanceledException({
            message: 'Transaction cancelled [ConditionalCheckFailed, None]',
            $metadata: {},
            CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
          });
        }
        table.set(keyOf(ledger.Item), ledger.Item);
        const values = update.ExpressionAttributeValues;
        const wallet = table.get(keyOf(update.Key)) ?? {
          ...update.Key,
          walletId: values[':walletId'],
          owner: values[':warehouse'],
          currency: values[':currency'],
          balance: 0,
        };
        table.set(keyOf(update.Key), { ...wallet, balance: (wallet.balance as number) + values[':delta'] });
        changes += 1;
        return {};
      },
    );
  // Thousands of requests from one warehouse, about their bodies, not its rate.
  withoutRequestRateLimit();
  ({ handler: ingest } = await import('../../functions/ingest-events.ts'));
});

afterAll(() => {
  dynamo.reset();
  vi.unstubAllEnvs();
});

interface Answer {
  status: number;
  contentType: string | undefined;
  problemStatus: unknown;
  results: { status: string }[] | undefined;
  /** Write requests the request caused, and how many of them stored something new. */
  writes: number;
  changes: number;
}

async function send(category: string, request: APIGatewayProxyEventV2): Promise<Answer> {
  const before = { writes, changes };
  const response = await ingest(request, lambdaContext('IngestFunction'));
  const status = response.statusCode ?? 0;
  const counts = tally.get(category) ?? new Map<number, number>();
  counts.set(status, (counts.get(status) ?? 0) + 1);
  tally.set(category, counts);
  let body: any;
  try {
    body = JSON.parse(response.body ?? '');
  } catch {
    body = undefined;
  }
  return {
    status,
    contentType: response.headers?.['content-type'] as string | undefined,
    problemStatus: body?.status,
    results: body?.results,
    writes: writes - before.writes,
    changes: changes - before.changes,
  };
}

/** A rejection as the contract words it: this status, problem+json naming it, nothing written. */
function expectRejected(answer: Answer, status: number): void {
  expect(answer).toEqual({
    status,
    contentType: 'application/problem+json',
    problemStatus: status,
    results: undefined,
    writes: 0,
    changes: 0,
  });
}

const CONTENT_TYPES = ['application/cloudevents+json', 'application/json'] as const;

/** Valid events of every kind; a factory so each draw gets a fresh id. */
const validEvent = fc.constantFrom(
  () => shipmentCreated('shp-bad', 0, { carrier: 'DHL', trackingUrl: 'https://track.example/1' }),
  () => shipmentStatus('shipped', 'shp-bad', 2, { carrier: 'UPS', trackingNumber: '1Z999' }),
  () => shipmentStatus('in_transit', 'shp-bad', 3, { location: 'Madrid' }),
  () => shipmentStatus('out_for_delivery', 'shp-bad', 4, { eta: '2026-11-01T18:00:00+01:00' }),
  () => shipmentStatus('delivery_failed', 'shp-bad', 5, { reason: 'nobody home' }),
  () => shipmentStatus('delivered', 'shp-bad', 6, { signedBy: 'neighbour' }),
  () => walletEvent('credited', 'wal-bad', 2500),
  () => walletEvent('debited', 'wal-bad', 700),
);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function leafAndBranchPaths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...leafAndBranchPaths(child, [...prefix, key])]);
}

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Replaces one value of a valid event with a value of another JSON type. */
const typeConfused = fc
  .tuple(validEvent, fc.nat(), fc.jsonValue({ maxDepth: 2 }))
  .map(([make, pick, replacement]) => {
    const event = structuredClone(make()) as unknown as Json;
    const paths = leafAndBranchPaths(event);
    const path = paths[pick % paths.length] as (string | number)[];
    const parent = path.slice(0, -1).reduce<any>((node, key) => node[key], event);
    const key = path.at(-1) as string | number;
    return { event, parent, key, replacement };
  })
  .filter(({ parent, key, replacement }) => kindOf(parent[key]) !== kindOf(replacement))
  .map(({ event, parent, key, replacement }) => {
    parent[key] = replacement;
    return event;
  });

const REQUIRED = ['specversion', 'id', 'source', 'type', 'time', 'data'] as const;

/** Schema violations: a required attribute gone, an unknown type, a field the strict schema does not know. */
const schemaViolation = fc.oneof(
  fc.tuple(validEvent, fc.constantFrom(...REQUIRED)).map(([make, key]) => {
    const event: Record<string, unknown> = { ...make() };
    delete event[key];
    return event;
  }),
  fc.tuple(validEvent, fc.stringMatching(/^[a-z]{1,8}\.[a-z_]{1,12}$/)).map(([make, type]) => ({ ...make(), type: `x-${type}` })),
  fc.tuple(validEvent, fc.stringMatching(/^[a-z]{3,10}$/)).map(([make, key]) => {
    const event = make();
    return { ...event, data: { ...event.data, [`unknown_${key}`]: 1 } };
  }),
  fc.tuple(validEvent, fc.constantFrom('0.3', '2.0', '', '1')).map(([make, specversion]) => ({ ...make(), specversion })),
);

describe('bad input at scale', () => {
  it('answers 1,500 signed bodies that are not JSON with 400', async () => {
    const notJson = fc.oneof(
      fc.string({ maxLength: 200 }).filter((text) => {
        try {
          JSON.parse(text);
          return false;
        } catch {
          return true;
        }
      }),
      validEvent.chain((make) => {
        const text = JSON.stringify(make());
        return fc.integer({ min: 1, max: text.length - 1 }).map((cut) => text.slice(0, cut));
      }),
    );
    await fc.assert(
      fc.asyncProperty(notJson, fc.constantFrom(...CONTENT_TYPES), async (raw, contentType) => {
        expectRejected(await send('not JSON', postEvents(null, { raw, contentType })), 400);
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('answers 2,000 type-confused CloudEvents (one value of another JSON type) with 400', async () => {
    await fc.assert(
      fc.asyncProperty(typeConfused, fc.constantFrom(...CONTENT_TYPES), async (event, contentType) => {
        expectRejected(await send('type-confused', postEvents(event, { contentType })), 400);
      }),
      { seed: SEED + 1, numRuns: 2000 },
    );
  });

  it('answers 1,500 schema violations (missing attribute, unknown type or field, wrong specversion) with 400', async () => {
    await fc.assert(
      fc.asyncProperty(schemaViolation, fc.boolean(), async (event, asBatch) => {
        const request = asBatch
          ? postEvents([shipmentStatus('packed', 'shp-bad', 1), event], { contentType: 'application/cloudevents-batch+json' })
          : postEvents(event);
        expectRejected(await send('schema violation', request), 400);
      }),
      { seed: SEED + 2, numRuns: 1500 },
    );
  });

  it('answers 1,000 oversized requests (body over 256 KiB, batch over 100 events) with 413', async () => {
    const padding = 'x'.repeat(256 * 1024);
    const small = JSON.stringify(shipmentStatus('packed', 'shp-bad', 1));
    const oversized = fc.oneof(
      fc.integer({ min: 1, max: 4096 }).map((extra) => {
        const event = shipmentStatus('delivered', 'shp-bad', 6, { signedBy: padding.slice(0, 256 * 1024 - 150 + extra) });
        return { raw: JSON.stringify(event), contentType: 'application/cloudevents+json' };
      }),
      fc.integer({ min: 101, max: 400 }).map((count) => ({
        raw: `[${Array.from({ length: count }, () => small).join(',')}]`,
        contentType: 'application/cloudevents-batch+json',
      })),
    );
    await fc.assert(
      fc.asyncProperty(oversized, async ({ raw, contentType }) => {
        expectRejected(await send('oversized', postEvents(null, { raw, contentType })), 413);
      }),
      { seed: SEED + 3, numRuns: 1000 },
    );
  });

  it('answers 2,000 unsigned, wrongly signed, stale or tampered requests with 401', async () => {
    const now = Date.now();
    const unsigned = fc
      .tuple(validEvent, fc.integer({ min: 0, max: 6 }), fc.integer({ min: 301, max: 86_400 }))
      .map(([make, kind, skew]) => {
        const body = JSON.stringify(make());
        const good = signedHeaders(TEST_SECRET, body);
        const variants: Record<string, string>[] = [
          {},
          signedHeaders(OTHER_SECRET, body),
          signedHeaders(TEST_SECRET, body, { timestamp: new Date(now - skew * 1000) }),
          signedHeaders(TEST_SECRET, body, { timestamp: new Date(now + skew * 1000) }),
          { ...good, 'webhook-signature': good['webhook-signature'].replace(/^v1,/, 'v1a,') },
          { ...good, 'webhook-id': `${good['webhook-id']}x` },
          { 'webhook-id': good['webhook-id'], 'webhook-timestamp': good['webhook-timestamp'] },
        ];
        return { body: kind === 5 ? body : body.replace('shp-bad', 'shp-bbd').replace('wal-bad', 'wal-bbd'), headers: variants[kind]! };
      });
    await fc.assert(
      fc.asyncProperty(unsigned, async ({ body, headers }) => {
        expectRejected(await send('unsigned', postEvents(null, { raw: body, secret: null, headers })), 401);
      }),
      { seed: SEED + 4, numRuns: 2000 },
    );
  });

  it('answers 1,000 requests of an unsupported content type with 415', async () => {
    const contentType = fc.oneof(
      fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', ''),
      fc.stringMatching(/^[a-z]{1,10}\/[a-z.+-]{1,20}$/).filter((type) => !/^application\/(cloudevents(-batch)?\+)?json$/.test(type)),
    );
    await fc.assert(
      fc.asyncProperty(validEvent, contentType, async (make, type) => {
        expectRejected(await send('content type', postEvents(make(), { contentType: type })), 415);
      }),
      { seed: SEED + 5, numRuns: 1000 },
    );
  });

  it('answers 1,000 replays of 500 stored events 202 duplicate, storing nothing new', async () => {
    const originals = fc.sample(validEvent, { seed: SEED + 6, numRuns: 500 }).map((make) => make());
    for (const event of originals) {
      const answer = await send('original', postEvents(event));
      expect({ status: answer.status, result: answer.results?.[0]?.status, stored: answer.changes > 0 }).toEqual({
        status: 202,
        result: 'accepted',
        stored: true,
      });
    }
    // A replay is the same event again: signed anew (a warehouse retry), or the very same request resent.
    const replays = fc.tuple(fc.nat({ max: originals.length - 1 }), fc.boolean());
    const sameRequests = originals.map((event) => postEvents(event));
    await fc.assert(
      fc.asyncProperty(replays, async ([index, resend]) => {
        const request = resend ? sameRequests[index]! : postEvents(originals[index]);
        const answer = await send('replay', request);
        // The event's write is attempted and refused by its condition; the repeat merged into the state changes
        // nothing, so no state is written (a wallet event's transaction is cancelled the same way).
        expect({ status: answer.status, results: answer.results?.map((result) => result.status), changes: answer.changes }).toEqual({
          status: 202,
          results: ['duplicate'],
          changes: 0,
        });
      }),
      { seed: SEED + 7, numRuns: 1000 },
    );
  });

  it('saw at least 10,000 bad requests, none answered with a 5xx', () => {
    const summary = Object.fromEntries([...tally].map(([category, counts]) => [category, Object.fromEntries(counts)]));
    const bad = [...tally].filter(([category]) => category !== 'original').flatMap(([, counts]) => [...counts]);
    expect(
      bad.reduce((sum, [, count]) => sum + count, 0),
      JSON.stringify(summary),
    ).toBeGreaterThanOrEqual(10_000);
    expect(
      bad.filter(([status]) => status >= 500),
      JSON.stringify(summary),
    ).toEqual([]);
  });
});
