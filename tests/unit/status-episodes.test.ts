import { describe, expect, it } from 'vitest';
import { claimKeyOf } from '../../functions/lib/adapters/dynamo-notification-claims.ts';
import { keys } from '../../functions/lib/adapters/keys.ts';
import { fallbackMessage } from '../../functions/lib/domain/fallback-policy.ts';
import { parseNotificationMessage } from '../../functions/lib/domain/notification-message-schema.ts';
import { notificationsForChange, withheldEntry } from '../../functions/lib/domain/notification-policy.ts';
import { mergeEvent, type ShipmentEntry, type ShipmentState, type ShipmentStatus } from '../../functions/lib/domain/shipment.ts';
import { ENTRIES_TOLD_PER_STATUS, entersStatusEpisode, recordEntry } from '../../functions/lib/domain/status-episodes.ts';

// A status is announced once per entry into it (docs/notifications.md, "Status episodes").
const customer = { id: 'cus-1', phone: '+34600111222', email: 'ana@example.com' };
let ids = 0;

function entry(status: ShipmentStatus, minute: number, data: Record<string, unknown> = {}): ShipmentEntry {
  ids += 1;
  return {
    owner: 'ams',
    source: '//w',
    id: `e${ids}`,
    status,
    time: new Date(Date.UTC(2026, 10, 2, 8, minute)).toISOString(),
    data: { shipmentId: 'shp-ep', ...(status === 'created' ? { customer } : {}), ...data },
    receivedAt: new Date(Date.UTC(2026, 10, 2, 9, 0) + ids * 1000).toISOString(),
    position: 0,
  };
}

/** What the stream router publishes for each arriving entry, as `status@episode channel` claim keys. */
function told(entries: readonly ShipmentEntry[]): string[][] {
  let state: ShipmentState | undefined;
  return entries.map((next) => {
    const before = state;
    state = recordEntry(state, next);
    if (state === before) return []; // nothing written, no stream record
    return notificationsForChange(before, state).map((message) => claimKeyOf(message).SK);
  });
}

const start = [entry('created', 0), entry('shipped', 1)];

describe('status episodes', () => {
  it('tells out_for_delivery → attempted_delivery → out_for_delivery three times per channel, each under its own claim', () => {
    const [, , ofd1, attempt, ofd2] = told([
      ...start,
      entry('out_for_delivery', 10),
      entry('attempted_delivery', 20),
      entry('out_for_delivery', 30),
    ]);
    expect([ofd1, attempt, ofd2]).toEqual([
      ['NOTIFICATION#out_for_delivery@2026-11-02T08:10:00.000Z#sms', 'NOTIFICATION#out_for_delivery@2026-11-02T08:10:00.000Z#email'],
      ['NOTIFICATION#attempted_delivery@2026-11-02T08:20:00.000Z#sms', 'NOTIFICATION#attempted_delivery@2026-11-02T08:20:00.000Z#email'],
      ['NOTIFICATION#out_for_delivery@2026-11-02T08:30:00.000Z#sms', 'NOTIFICATION#out_for_delivery@2026-11-02T08:30:00.000Z#email'],
    ]);
  });

  it('tells a second scan of the same status nothing, even from another event id minutes later', () => {
    expect(told([...start, entry('out_for_delivery', 10), entry('out_for_delivery', 14)]).slice(2)).toEqual([
      ['NOTIFICATION#out_for_delivery@2026-11-02T08:10:00.000Z#sms', 'NOTIFICATION#out_for_delivery@2026-11-02T08:10:00.000Z#email'],
      [],
    ]);
  });

  it('tells attempted_delivery again only for a new attempt, one with another nextAttemptAt', () => {
    const next = (day: number) => ({ nextAttemptAt: `2026-11-0${day}T09:00:00Z` });
    const results = told([
      ...start,
      entry('attempted_delivery', 10, next(3)),
      entry('attempted_delivery', 12, next(3)),
      entry('attempted_delivery', 40, next(4)),
    ]).slice(2);
    expect(results.map((keysOf) => keysOf.length)).toEqual([2, 0, 2]);
    expect(results[2]?.[0]).toBe('NOTIFICATION#attempted_delivery@2026-11-02T08:40:00.000Z#sms');
  });

  it('tells no new attempt when a later scan spells the same attempt time another way', () => {
    const results = told([
      ...start,
      entry('attempted_delivery', 10, { nextAttemptAt: '2026-11-03T09:00:00Z' }),
      entry('attempted_delivery', 12, { nextAttemptAt: '2026-11-03T10:00:00+01:00' }),
      entry('attempted_delivery', 14, { nextAttemptAt: '2026-11-03T09:00:00.000Z' }),
      entry('attempted_delivery', 16, { nextAttemptAt: '2026-11-03T09:30:00Z' }),
    ]).slice(2);
    expect(results.map((keysOf) => keysOf.length)).toEqual([2, 0, 0, 2]);
  });

  it('never tells an event older than the status, nor one that changes nothing', () => {
    const ofd = entry('out_for_delivery', 30);
    expect(told([...start, ofd, entry('attempted_delivery', 20), entry('out_for_delivery', 10), ofd]).slice(2)).toEqual([
      ['NOTIFICATION#out_for_delivery@2026-11-02T08:30:00.000Z#sms', 'NOTIFICATION#out_for_delivery@2026-11-02T08:30:00.000Z#email'],
      [],
      [],
      [],
    ]);
  });

  it('decides news from the status, its time and a new attempt date, nothing else', () => {
    const at = (status: ShipmentStatus, statusTime: string, nextAttemptAt?: string) => ({
      status,
      statusTime,
      statusDetails: nextAttemptAt ? { nextAttemptAt } : ({} as Record<string, string>),
    });
    expect(entersStatusEpisode(undefined, at('shipped', 't1'))).toBe(true);
    expect(entersStatusEpisode(at('shipped', 't1'), at('shipped', 't1'))).toBe(false);
    expect(entersStatusEpisode(at('shipped', 't1'), at('shipped', 't2'))).toBe(false);
    expect(entersStatusEpisode(at('delivery_failed', 't1'), at('delivery_failed', 't2'))).toBe(false);
    expect(entersStatusEpisode(at('in_transit', 't1'), at('out_for_delivery', 't1'))).toBe(true);
    expect(entersStatusEpisode(at('attempted_delivery', 't1', 'a'), at('attempted_delivery', 't2', 'a'))).toBe(false);
    expect(entersStatusEpisode(at('attempted_delivery', 't1', 'a'), at('attempted_delivery', 't2', 'b'))).toBe(true);
    expect(entersStatusEpisode(at('attempted_delivery', 't1'), at('attempted_delivery', 't2', 'b'))).toBe(true);
  });

  it('claims a fallback copy under the other channel’s own claim of the same episode, and a message from before episodes per status', () => {
    let state = [...start, entry('out_for_delivery', 10)].reduce<ShipmentState | undefined>(mergeEvent, undefined) as ShipmentState;
    const [sms, email] = notificationsForChange(undefined, state);
    if (!sms || !email) throw new Error('expected a message per channel');
    expect(claimKeyOf(fallbackMessage(sms, 'email', 'ana@example.com'))).toEqual(claimKeyOf(email));
    state = mergeEvent(mergeEvent(state, entry('attempted_delivery', 20)), entry('out_for_delivery', 30));
    const [, laterEmail] = notificationsForChange(undefined, state);
    expect(claimKeyOf(laterEmail as typeof email)).not.toEqual(claimKeyOf(email));

    // Published before claims were per episode (no `episode`): its claim, and its copy's, stay per status.
    const { episode: _episode, ...legacy } = sms;
    expect(claimKeyOf(legacy)).toEqual(keys.notification('shp-ep', 'out_for_delivery', 'sms'));
    expect(claimKeyOf(fallbackMessage(legacy, 'email', 'ana@example.com'))).toEqual(
      keys.notification('shp-ep', 'out_for_delivery', 'email'),
    );
  });

  it('reads an episode from a queue only as a UTC time, which can never break a claim key', () => {
    const [sms] = notificationsForChange(undefined, [...start].reduce<ShipmentState | undefined>(mergeEvent, undefined) as ShipmentState);
    expect(parseNotificationMessage(JSON.stringify(sms)).episode).toBe('2026-11-02T08:01:00.000Z');
    expect(() => parseNotificationMessage(JSON.stringify({ ...sms, episode: 'x#NOTIFICATION|y' }))).toThrow(/episode/);
  });

  describe('the bound on entries into one status (a flapping scanner)', () => {
    /** out_for_delivery and in_transit alternating, a minute apart, `flips` events. */
    const flaps = (flips: number, from = 10) =>
      Array.from({ length: flips }, (_, index) => entry(index % 2 === 0 ? 'out_for_delivery' : 'in_transit', from + index));

    it('tells the first three entries into a status and none after, whatever the times: 40 flips are 3 messages per channel', () => {
      const results = told([...start, ...flaps(40)]).slice(2);
      const sent = results.flat();
      expect(ENTRIES_TOLD_PER_STATUS).toBe(3);
      expect(sent).toHaveLength(3 * 2);
      // The first three entries are the ones told (out_for_delivery at the 1st, 3rd and 5th event).
      expect(results.map((keysOf) => keysOf.length).slice(0, 7)).toEqual([2, 0, 2, 0, 2, 0, 0]);
    });

    it('counts an entry once, in the state: not a repeat, a second scan, an older event nor a detail', () => {
      const ofd = entry('out_for_delivery', 10);
      let state = [...start, ofd].reduce<ShipmentState | undefined>(recordEntry, undefined) as ShipmentState;
      expect(state.statusEntries).toEqual({ created: 1, shipped: 1, out_for_delivery: 1 });
      expect(recordEntry(state, ofd)).toBe(state);
      for (const later of [entry('out_for_delivery', 12), entry('in_transit', 5), entry('out_for_delivery', 13, { carrier: 'DHL' })]) {
        state = recordEntry(state, later);
      }
      expect(state.statusEntries).toEqual({ created: 1, shipped: 1, out_for_delivery: 1 });
      state = recordEntry(recordEntry(state, entry('attempted_delivery', 20)), entry('out_for_delivery', 30));
      expect(state.statusEntries).toEqual({ created: 1, shipped: 1, out_for_delivery: 2, attempted_delivery: 1 });
    });

    it('withholds an entry beyond the bound on a channel that becomes reachable later too, and names it for the operator', () => {
      const noPhone = { ...customer, phone: undefined };
      const opening = [entry('created', 0, { customer: noPhone }), entry('shipped', 1), ...flaps(7)];
      const before = opening.reduce<ShipmentState | undefined>(recordEntry, undefined) as ShipmentState;
      expect(before.status).toBe('out_for_delivery');
      expect(before.statusEntries?.out_for_delivery).toBe(4);
      expect(withheldEntry(undefined, before)).toEqual({ status: 'out_for_delivery', entry: 4 });
      expect(notificationsForChange(undefined, before)).toEqual([]);
      // The phone arrives: the current status is the withheld 4th entry, so nothing goes.
      const after = recordEntry(before, entry('created', 0, { customer }));
      expect(after.customer?.phone).toBe(customer.phone);
      expect(notificationsForChange(before, after)).toEqual([]);
      expect(withheldEntry(before, after)).toBeUndefined();
    });

    it('tells a state written before the tally existed as before', () => {
      const state = [...start, entry('out_for_delivery', 10)].reduce<ShipmentState | undefined>(mergeEvent, undefined) as ShipmentState;
      expect(state.statusEntries).toBeUndefined();
      expect(notificationsForChange(undefined, state)).toHaveLength(2);
      expect(withheldEntry(undefined, state)).toBeUndefined();
    });
  });
});
