import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimKeyOf } from '../../functions/lib/adapters/dynamo-notification-claims.ts';
import { fallbackMessage } from '../../functions/lib/domain/fallback-policy.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import { ANNOUNCED_STATUSES, notificationsForChange } from '../../functions/lib/domain/notification-policy.ts';
import { type ShipmentEntry, type ShipmentState, type ShipmentStatus, timelineKey } from '../../functions/lib/domain/shipment.ts';
import { ENTRIES_TOLD_PER_STATUS, entersStatusEpisode, recordEntry } from '../../functions/lib/domain/status-episodes.ts';

// Status episodes over whole delivery stories (docs/notifications.md, "Status episodes"): the
// statuses of the delivery-attempt stage in any sequence, arriving in any order, each event,
// stream record and queued message delivered any number of times. The claims are a set of the
// real claim keys; a message is sent when its claim is new, as the senders do. Ingest merges with
// recordEntry, as the shipment store does, so the state counts its entries into each status.
const RUNS = { numRuns: 300 };
const START = Date.UTC(2026, 10, 2, 8, 0);
const customer = { id: 'cus-1', phone: '+34600111222', email: 'ana@example.com' };
const ATTEMPT_STAGE: ShipmentStatus[] = ['in_transit', 'out_for_delivery', 'delivery_failed', 'attempted_delivery', 'available_for_pickup'];

function entryAt(index: number, status: ShipmentStatus, minute: number, nextAttemptAt?: string): ShipmentEntry {
  return {
    owner: 'ams',
    source: '//w',
    id: `e${index}`,
    status,
    time: new Date(START + minute * 60_000).toISOString(),
    data: { shipmentId: 'shp-ep', ...(status === 'created' ? { customer } : {}), ...(nextAttemptAt ? { nextAttemptAt } : {}) },
    receivedAt: new Date(START + 86_400_000 + index * 1000).toISOString(),
    position: 0,
  };
}

const opening = [entryAt(0, 'created', 0), entryAt(1, 'shipped', 1)];

/** A story: delivery-stage events at distinct minutes, a new attempt's date from a small set (repeats are likely). */
const story = fc.uniqueArray(fc.integer({ min: 10, max: 200 }), { minLength: 1, maxLength: 24 }).chain((minutes) =>
  fc.tuple(
    ...minutes.map((minute, index) =>
      fc
        .record({
          status: fc.constantFrom(...ATTEMPT_STAGE),
          next: fc.constantFrom(undefined, '2026-11-03T09:00:00Z', '2026-11-04T09:00:00Z'),
        })
        .map(({ status, next }) => entryAt(index + 2, status, minute, status === 'attempted_delivery' ? next : undefined)),
    ),
  ),
);

/**
 * The episodes the customer should hear of, from the history alone, in time order: a run of one
 * status (of attempted_delivery, one nextAttemptAt) is one episode, entered by its first event.
 */
function referenceEpisodes(entries: readonly ShipmentEntry[]): ShipmentEntry[][] {
  const sorted = [...entries].sort((a, b) => (timelineKey(a) < timelineKey(b) ? -1 : 1));
  const runs: ShipmentEntry[][] = [];
  for (const entry of sorted) {
    const run = runs.at(-1);
    const first = run?.[0];
    const same = first && first.status === entry.status && first.data.nextAttemptAt === entry.data.nextAttemptAt;
    if (run && same) run.push(entry);
    else runs.push([entry]);
  }
  return runs.filter((run) => ANNOUNCED_STATUSES.has((run[0] as ShipmentEntry).status));
}

/** The first ENTRIES_TOLD_PER_STATUS episodes of each status, in the order given. */
function withinBound(episodes: ShipmentEntry[][]): ShipmentEntry[][] {
  const seen = new Map<ShipmentStatus, number>();
  return episodes.filter((episode) => {
    const { status } = episode[0] as ShipmentEntry;
    seen.set(status, (seen.get(status) ?? 0) + 1);
    return (seen.get(status) ?? 0) <= ENTRIES_TOLD_PER_STATUS;
  });
}

interface Sent {
  message: NotificationMessage;
  /** The times of every delivery-stage event that had arrived before the one that caused it. */
  arrivedBefore: string[];
  cause: ShipmentEntry;
}

/**
 * The pipeline: ingest merges each arriving entry (a repeat changes nothing, so no stream record);
 * the stream router turns each record, delivered `streamCopies` times, into messages; each message
 * reaches its sender `queueCopies` times, and every sent message's fallback copy is published too.
 */
function run(
  arrivals: readonly ShipmentEntry[],
  streamCopies: (i: number) => number,
  queueCopies: (i: number) => number,
  entering: ShipmentEntry[] = [],
): Sent[] {
  const claims = new Set<string>();
  const sent: Sent[] = [];
  let state = opening.reduce<ShipmentState | undefined>(recordEntry, undefined);
  let deliveries = 0;
  arrivals.forEach((entry, index) => {
    const before = state;
    state = recordEntry(state, entry);
    if (state === before) return;
    if (entersStatusEpisode(before, state)) entering.push(entry);
    const arrivedBefore = arrivals.slice(0, index).map((earlier) => earlier.time);
    for (let copy = 0; copy < streamCopies(index); copy += 1) {
      for (const message of notificationsForChange(before, state)) {
        const copies = [message, fallbackMessage(message, message.channel === 'sms' ? 'email' : 'sms', 'x')];
        for (const candidate of copies) {
          for (let n = 0; n < queueCopies(deliveries++); n += 1) {
            const key = `${claimKeyOf(candidate).PK}|${claimKeyOf(candidate).SK}`;
            if (claims.has(key)) continue;
            claims.add(key);
            sent.push({ message: candidate, arrivedBefore, cause: entry });
          }
        }
      }
    }
  });
  return sent;
}

const copies = fc.func(fc.integer({ min: 1, max: 3 }));
const arrivalOrder = (entries: ShipmentEntry[]) =>
  fc.tuple(fc.shuffledSubarray(entries, { minLength: entries.length }), fc.array(fc.constantFrom(...entries), { maxLength: 4 }));

describe('status episodes (property)', () => {
  it('in time order: each episode is told once per channel, under the time of the event that entered it, up to the bound per status', () => {
    fc.assert(
      fc.property(story, copies, copies, (entries, streamCopies, queueCopies) => {
        const inTimeOrder = [...entries].sort((a, b) => (a.time < b.time ? -1 : 1));
        const sent = run(inTimeOrder, streamCopies, queueCopies);
        const expected = withinBound(referenceEpisodes(entries)).flatMap((episode) => {
          const first = episode[0] as ShipmentEntry;
          return ['sms', 'email'].map((channel) => `${first.status}@${first.time} ${channel}`);
        });
        expect(sent.map(({ message }) => `${message.shipment?.status}@${message.episode} ${message.channel}`)).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('in any order, with repeats and redeliveries: never two messages for one episode, never one for an older event', () => {
    fc.assert(
      fc.property(
        story.chain((entries) => arrivalOrder(entries).map(([order, repeats]) => ({ entries, arrivals: [...order, ...repeats] }))),
        copies,
        copies,
        ({ entries, arrivals }, streamCopies, queueCopies) => {
          const sent = run(arrivals, streamCopies, queueCopies);
          const episodes = referenceEpisodes(entries);
          const episodeOf = (entry: ShipmentEntry) => episodes.findIndex((episode) => episode.includes(entry));
          const told = new Set<string>();
          for (const { message, cause, arrivedBefore } of sent) {
            // Only an event later than every one before it moves the status, so only it is told.
            expect(arrivedBefore.every((time) => time < cause.time)).toBe(true);
            expect(message.episode).toBe(cause.time);
            const episode = episodeOf(cause);
            expect(episode).toBeGreaterThanOrEqual(0);
            const told_ = `${episode} ${message.channel}`;
            expect(told.has(told_)).toBe(false);
            told.add(told_);
          }
        },
      ),
      RUNS,
    );
  });

  // A scanner flapping between two statuses (or between two attempt dates), with times the warehouse
  // chooses: later, earlier, far apart or a minute apart; arriving in any order, repeated.
  const flapping = fc
    .tuple(
      fc.uniqueArray(fc.integer({ min: 10, max: 50_000 }), { minLength: 1, maxLength: 40 }),
      fc.constantFrom<[ShipmentStatus, ShipmentStatus]>(
        ['out_for_delivery', 'in_transit'],
        ['out_for_delivery', 'attempted_delivery'],
        ['attempted_delivery', 'attempted_delivery'],
        ['available_for_pickup', 'delivery_failed'],
      ),
    )
    .map(([minutes, [a, b]]) =>
      minutes.map((minute, index) => {
        const status = index % 2 === 0 ? a : b;
        const next = status === 'attempted_delivery' ? `2026-11-0${3 + (index % 2)}T09:00:00Z` : undefined;
        return entryAt(index + 2, status, minute, next);
      }),
    )
    .chain((entries) => arrivalOrder(entries).map(([order, repeats]) => [...order, ...repeats]));

  it('whatever the times, order and redeliveries: at most the bound of entries per status told, and the first ones are', () => {
    fc.assert(
      fc.property(flapping, copies, copies, (arrivals, streamCopies, queueCopies) => {
        const entering: ShipmentEntry[] = [];
        const sent = run(arrivals, streamCopies, queueCopies, entering);
        const perStatus = new Map<string, number>();
        for (const { message } of sent) {
          const key = `${message.shipment?.status} ${message.channel}`;
          perStatus.set(key, (perStatus.get(key) ?? 0) + 1);
        }
        for (const count of perStatus.values()) expect(count).toBeLessThanOrEqual(ENTRIES_TOLD_PER_STATUS);
        // In arrival order, the first entries into each announced status are told on both channels, no later one.
        const seen = new Map<ShipmentStatus, number>();
        for (const entry of entering) {
          if (!ANNOUNCED_STATUSES.has(entry.status)) continue;
          const nth = (seen.get(entry.status) ?? 0) + 1;
          seen.set(entry.status, nth);
          const channels = sent.filter(({ cause, message }) => cause === entry && message.shipment?.status === entry.status);
          expect(channels.map(({ message }) => message.channel).sort()).toEqual(nth <= ENTRIES_TOLD_PER_STATUS ? ['email', 'sms'] : []);
        }
      }),
      RUNS,
    );
  });
});
