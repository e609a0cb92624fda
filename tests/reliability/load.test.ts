import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postStories, type ShipmentStory, shipmentStories, WAREHOUSE } from '../../bench/workload.ts';
import { LOCAL_AWS } from '../../emulator/aws-local.ts';
import { type RunningStack, startStack } from '../../local/stack.ts';

// Sustained concurrent posting through `npm start`'s stack, then settle: every accepted event is
// stored once and every customer hears exactly what the notification policy promises, once.
const SHIPMENTS = 50; // × 10 events each = 500 events
const CONCURRENCY = 16;

let stack: RunningStack;
let dataDir: string;
let stories: ShipmentStory[];
let posted: Awaited<ReturnType<typeof postStories>>;
let items: Record<string, any>[];
let outbox: { channel: string; recipient: string; tags?: { eventType?: string } }[];

async function scanTable(): Promise<Record<string, any>[]> {
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stack.dynamoEndpoint });
  const found: Record<string, any>[] = [];
  let ExclusiveStartKey: Record<string, any> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: stack.tableNames.ParcelTable, ConsistentRead: true, ExclusiveStartKey }));
    found.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  client.destroy();
  return found;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-load-'));
  // The outbox prints a line per message; 600-odd lines would drown the test report.
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  stack = await startStack({ port: 0, dataDir, warehouses: { entries: [WAREHOUSE] } });
  stories = shipmentStories({ shipments: SHIPMENTS, seed: 7, runId: 'load' });
  posted = await postStories(stack.url, stories, CONCURRENCY);
  await stack.settled();
  items = await scanTable();
  outbox = (await (await fetch(`${stack.url}/local/outbox`)).json()) as typeof outbox;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  vi.restoreAllMocks();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('sustained load through the local stack', () => {
  it.skipIf(!existsSync('/proc/self/stat'))(
    "accounts DynamoDB Local's CPU time (from /proc), as the benchmark's CPU table reads it",
    () => {
      expect(stack.dynamoCpuSeconds()).toBeGreaterThan(0);
    },
  );

  it('accepts every one of the 500 events with a 202 and no errors', () => {
    const statuses = posted.outcomes.map((outcome) => `${outcome.status}/${outcome.results?.[0]?.status ?? outcome.error}`);
    expect(statuses).toHaveLength(SHIPMENTS * 10);
    expect(new Set(statuses)).toEqual(new Set(['202/accepted']));
  });

  it('stores every accepted event exactly once', () => {
    const stored = items.filter((item) => item.entity === 'event').map((item) => item.event.id as string);
    const sent = stories.flatMap((story) => story.events.map((event) => event.id));
    expect(stored.length).toBe(sent.length);
    expect(new Set(stored)).toEqual(new Set(sent));
  });

  it('folds every shipment to the last status of its story, with its whole history', () => {
    const states = new Map(items.filter((item) => item.entity === 'shipment').map((item) => [item.shipmentId as string, item]));
    const history = (shipmentId: string) => items.filter((item) => item.entity === 'event' && item.PK === `SHIPMENT#${shipmentId}`).length;
    const actual = stories.map((story) => `${story.shipmentId} ${states.get(story.shipmentId)?.status} ${history(story.shipmentId)}`);
    const expected = stories.map((story) => `${story.shipmentId} ${story.events.at(-1)?.type.slice('shipment.'.length)} 10`);
    expect(actual).toEqual(expected);
  });

  it('delivers exactly the notifications the policy names, once per shipment, status and channel', () => {
    // The outbox holds what SNS and SES were handed. Every story's customer has a phone and an address
    // of their own; an email carries its eventType as an SES tag, an SMS only its text.
    const storyOf = new Map<string, ShipmentStory>();
    for (const story of stories) {
      const customer = story.events[0]?.data.customer as { phone: string; email: string };
      storyOf.set(customer.phone, story);
      storyOf.set(customer.email, story);
    }
    const heard = new Map<string, string[]>();
    for (const entry of outbox) {
      const shipment = storyOf.get(entry.recipient)?.shipmentId ?? `someone else: ${entry.recipient}`;
      const what = entry.channel === 'email' ? `${entry.tags?.eventType?.slice('shipment.'.length)}/email` : 'sms';
      heard.set(shipment, [...(heard.get(shipment) ?? []), what]);
    }
    const actual = stories.map((story) => ({ shipment: story.shipmentId, heard: (heard.get(story.shipmentId) ?? []).sort() }));
    const expected = stories.map((story) => ({
      shipment: story.shipmentId,
      heard: story.expectedNotifications.map((notification) => (notification.endsWith('/sms') ? 'sms' : notification)).sort(),
    }));
    expect(actual).toEqual(expected);
    expect([...heard.keys()].filter((shipment) => shipment.startsWith('someone else'))).toEqual([]);
    expect(outbox.length).toBe(stories.reduce((sum, story) => sum + story.expectedNotifications.length, 0));
  });

  it('settles every notification claim as sent, once per shipment, status and channel, and leaves nothing in a dead-letter destination', () => {
    const claims = items.filter((item) => item.entity === 'notification');
    expect(claims.length).toBe(outbox.length);
    expect(claims.every((claim) => claim.outcome === 'sent')).toBe(true);
    const claimed = new Map<string, string[]>();
    for (const claim of claims) {
      const shipment = String(claim.PK).slice('SHIPMENT#'.length);
      claimed.set(shipment, [...(claimed.get(shipment) ?? []), `${claim.status}/${claim.channel}`]);
    }
    expect(stories.map((story) => ({ shipment: story.shipmentId, claimed: (claimed.get(story.shipmentId) ?? []).sort() }))).toEqual(
      stories.map((story) => ({ shipment: story.shipmentId, claimed: story.expectedNotifications })),
    );
    for (const file of ['dead-letters.jsonl', 'sqs-dead-letters.jsonl']) {
      const path = join(dataDir, file);
      expect(existsSync(path) ? readFileSync(path, 'utf8') : '').toBe('');
    }
  });
});
