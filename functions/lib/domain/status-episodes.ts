import { mergeEvent, type ShipmentEntry, type ShipmentState } from './shipment.ts';

/**
 * Status episodes (docs/notifications.md, "Status episodes"): when a write of a shipment's state
 * enters its status anew, what names that entry, and how many entries of one status a customer
 * is told of at most.
 */

/** The fields of a state the status-news rule reads. */
export type StatusView = Pick<ShipmentState, 'status' | 'statusTime'> & { statusDetails?: Record<string, string> };

/**
 * Whether a write of the state entered its status anew: the one place that says when the same
 * status is news.
 * - The status did not move (an older event, a duplicate, a detail): no.
 * - It moved to another status: yes, also back to one held before (out for delivery again after a
 *   failed attempt, or after the parcel went back to the depot).
 * - The same status by a later event (a second scan, minutes apart, under another event id): only
 *   `attempted_delivery` with another `nextAttemptAt` (another instant, not another spelling of
 *   it), a new attempt with a new date the customer must know; otherwise it is a detail of the
 *   episode already told.
 * An older event never moves the status (shipment.ts), so it never enters one.
 */
export function entersStatusEpisode(before: StatusView | undefined, after: StatusView): boolean {
  if (!before) return true;
  if (before.status !== after.status) return true;
  if (before.statusTime === after.statusTime) return false;
  return after.status === 'attempted_delivery' && !sameInstant(before.statusDetails?.nextAttemptAt, after.statusDetails?.nextAttemptAt);
}

/**
 * `nextAttemptAt` is kept as the warehouse wrote it (any RFC 3339 offset or precision), so a
 * rescan saying the same attempt time another way (`10:00+01:00` for `09:00Z`) is the same attempt.
 */
function sameInstant(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a === b || Date.parse(a) === Date.parse(b);
}

/**
 * The episode a state's status message tells: the time of the event that entered the status. The
 * stream router builds status messages only from the write that entered it (entersStatusEpisode),
 * so it is the state's `statusTime` then, the same for every redelivery of that write's record.
 */
export function statusEpisode(state: Pick<ShipmentState, 'statusTime'>): string {
  return state.statusTime;
}

/**
 * How many entries into one status a shipment's customer is told of, at most. A scanner that flaps
 * between two statuses (out_for_delivery, in_transit, out_for_delivery, …) would otherwise send a
 * message per flip, and event times are the warehouse's to choose, so no rule on the time between
 * entries can hold against it: the count of entries can. Three is a carrier's usual number of
 * delivery attempts (out for delivery, missed, out again: each told, three times over).
 */
export const ENTRIES_TOLD_PER_STATUS = 3;

/**
 * Merges the entry into the state (mergeEvent) and, when that write enters the status anew, counts
 * the entry in `statusEntries`. The count is a tally of writes, not a register: it follows arrival
 * order, as telling does (an older event never enters a status). It rides in the state item, so the
 * stream image of the write that entered the status carries the entry's number, and every
 * redelivery of that record sees the same one. Merging again what changes nothing returns the very
 * same state, as mergeEvent does, so a repeat never counts. A state written before the tally
 * existed counts from its next entry.
 */
export function recordEntry(state: ShipmentState | undefined, entry: ShipmentEntry): ShipmentState {
  const next = mergeEvent(state, entry);
  if (next === state || !entersStatusEpisode(state, next)) return next;
  const entries = next.statusEntries ?? {};
  return { ...next, statusEntries: { ...entries, [next.status]: (entries[next.status] ?? 0) + 1 } };
}

/** Which entry into its status the state's current one is (1 for the first); 0 for a state from before the tally. */
export function entryNumber(state: Pick<ShipmentState, 'status' | 'statusEntries'>): number {
  return state.statusEntries?.[state.status] ?? 0;
}

/** Whether the state's current entry into its status is beyond what the customer is told of. */
export function beyondEntryBound(state: Pick<ShipmentState, 'status' | 'statusEntries'>): boolean {
  return entryNumber(state) > ENTRIES_TOLD_PER_STATUS;
}
