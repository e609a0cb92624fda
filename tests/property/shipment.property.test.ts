import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import {
  DETAIL_FIELDS,
  mergeEvent,
  receiptKey,
  type ShipmentEntry,
  type ShipmentState,
  type ShipmentStatus,
  timelineKey,
  toShipmentEntry,
} from '../../functions/lib/domain/shipment.ts';

// Properties of the shipment state's merge over realistic, schema-valid event sets, and its
// agreement with a reference that folds the whole history at once (the rules as first written).
const SHIPMENT_ID = 'shp-prop';
const START = Date.UTC(2026, 10, 1, 8, 0);
const RUNS = { numRuns: 400 };

/**
 * The stages of docs/data-model.md's status rules: attempts (in_transit, out_for_delivery,
 * delivery_failed, attempted_delivery, available_for_pickup) share one, the terminals returned and
 * cancelled the next, and returned_to_sender, terminal too, comes last.
 */
const STAGE: Record<ShipmentStatus, number> = {
  created: 0,
  picked: 1,
  packed: 2,
  shipped: 3,
  in_transit: 4,
  out_for_delivery: 4,
  delivery_failed: 4,
  attempted_delivery: 4,
  available_for_pickup: 4,
  delivered: 5,
  returned: 6,
  cancelled: 6,
  returned_to_sender: 7,
};
const isTerminal = (status: ShipmentStatus) => status === 'returned' || status === 'cancelled' || status === 'returned_to_sender';

const pad = (value: number) => String(value).padStart(2, '0');

/** The same instant written with a UTC offset, as warehouses in different zones send it. */
function rfc3339(epochMs: number, offsetMinutes: number): string {
  const local = new Date(epochMs + offsetMinutes * 60_000).toISOString().slice(0, -1);
  if (offsetMinutes === 0) return `${local}Z`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const optional = <T>(record: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(record, { requiredKeys: [] });
const carrier = fc.constantFrom('DHL', 'UPS', 'GLS');
const trackingNumber = fc.constantFrom('JD0001', '1Z999', 'GLS-42');
const trackingUrl = fc.constantFrom('https://track.example/1', 'https://track.example/2');
const place = fc.constantFrom('Madrid', 'Lyon', 'Rotterdam');
const reason = fc.constantFrom('nobody home', 'address unknown', 'refused');
const estimatedDelivery = fc.oneof(
  fc.record({ date: fc.constantFrom('2026-11-03', '2026-11-04', '2026-11-06'), timeZone: fc.constantFrom('Europe/Madrid', 'Asia/Tokyo') }),
  fc.record({
    from: fc.constantFrom('2026-11-03T08:00:00Z', '2026-11-04T09:00:00+01:00'),
    to: fc.constantFrom('2026-11-04T18:00:00Z', '2026-11-05T12:00:00+01:00'),
    timeZone: fc.constantFrom('Europe/Madrid', 'America/New_York'),
  }),
);
const later = fc.integer({ min: 0, max: 48 * 60 }).map((minutes) => new Date(START + minutes * 60_000).toISOString());

const dataFor: Record<ShipmentStatus, fc.Arbitrary<Record<string, unknown>>> = {
  created: fc.record(
    {
      orderId: fc.constantFrom('ord-1', 'ord-2'),
      parcelCount: fc.constantFrom(1, 2, 3),
      customer: fc.record(
        {
          id: fc.constantFrom('cus-1', 'cus-2'),
          name: fc.constantFrom('Ana García', 'Jan de Vries'),
          phone: fc.constantFrom('+34600111222', '+31612345678'),
          email: fc.constantFrom('ana@example.com', 'jan@example.nl'),
          locale: fc.constantFrom('es-ES', 'nl-NL', 'en'),
          timeZone: fc.constantFrom('Europe/Madrid', 'Europe/Amsterdam'),
          channels: fc.subarray(['sms', 'email']),
        },
        { requiredKeys: ['id'] },
      ),
      carrier,
      trackingNumber,
      trackingUrl,
      promisedBy: later,
      estimatedDelivery,
    },
    { requiredKeys: ['orderId', 'customer'] },
  ),
  picked: fc.constant({}),
  packed: fc.constant({}),
  shipped: optional({ carrier, trackingNumber, trackingUrl, estimatedDelivery }),
  in_transit: optional({ location: place, estimatedDelivery }),
  out_for_delivery: optional({ eta: later, estimatedDelivery }),
  delivered: optional({
    location: place,
    signedBy: fc.constantFrom('A. García', 'neighbour'),
    deliveredTo: fc.constantFrom('recipient', 'neighbour', 'safe_place'),
  }),
  delivery_failed: fc.record({ reason, nextAttemptAt: later, estimatedDelivery }, { requiredKeys: ['reason'] }),
  attempted_delivery: fc.record({ nextAttemptAt: later, reason, estimatedDelivery }, { requiredKeys: ['nextAttemptAt'] }),
  available_for_pickup: fc.record(
    { pickupPoint: fc.constantFrom('Kiosk Plaza Mayor', 'Locker 12, Centraal'), collectBy: later },
    { requiredKeys: ['pickupPoint'] },
  ),
  returned: optional({ reason }),
  cancelled: optional({ reason }),
  returned_to_sender: optional({ reason }),
};

const eventSpec = fc.oneof(
  ...(Object.keys(dataFor) as ShipmentStatus[]).map((status) =>
    fc.record({
      status: fc.constant(status),
      data: dataFor[status],
      // A small range of instants, so ties between events are common.
      minute: fc.integer({ min: 0, max: 30 }),
      offset: fc.constantFrom(0, 120, -330),
      source: fc.constantFrom('//warehouse/ams-1', '//warehouse/mad-2'),
      id: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8'),
    }),
  ),
);

const OWNER = 'ams';
const RECEIVED = Date.UTC(2026, 11, 1, 8, 0);

/** Entries as the store records events arriving in this order: each received a second after the one before. */
const received = (events: readonly ShipmentEvent[]) =>
  events.map((event, index) => toShipmentEntry(event, OWNER, { receivedAt: new Date(RECEIVED + index * 1000).toISOString(), position: 0 }));

/** Distinct events (by source and id) of one shipment, validated by the ingest schemas. */
const shipmentEvents = fc
  .uniqueArray(eventSpec, { minLength: 1, maxLength: 12, selector: (spec) => `${spec.source} ${spec.id}` })
  .map((specs) => {
    const raw = specs.map((spec) => ({
      specversion: '1.0',
      id: spec.id,
      source: spec.source,
      type: `shipment.${spec.status}`,
      time: rfc3339(START + spec.minute * 60_000, spec.offset),
      data: { shipmentId: SHIPMENT_ID, ...spec.data },
    }));
    return parseEvents(raw).events as ShipmentEvent[];
  });

/** Recorded entries, and the same entries in another order. */
const entriesAndPermutation = shipmentEvents.chain((events) => {
  const entries = received(events);
  return fc.tuple(fc.constant(entries), fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }));
});

/** The same events arriving in two orders (so received in two orders). */
const eventsAndPermutation = shipmentEvents.chain((events) =>
  fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length })),
);

function fold(entries: readonly ShipmentEntry[]): ShipmentState {
  return entries.reduce<ShipmentState | undefined>(mergeEvent, undefined)!;
}

/** Merges entries one at a time, handing each step (before, entry, after) to `check`. */
function eachStep(
  entries: readonly ShipmentEntry[],
  check: (before: ShipmentState, entry: ShipmentEntry, after: ShipmentState) => void,
): void {
  let shipment: ShipmentState | undefined;
  for (const entry of entries) {
    const next = mergeEvent(shipment, entry);
    if (shipment) check(shipment, entry, next);
    shipment = next;
  }
}

const isOlderThanStatus = (entry: ShipmentEntry, shipment: ShipmentState) => Date.parse(entry.time) < Date.parse(shipment.statusTime);

const byTimeline = (a: ShipmentEntry, b: ShipmentEntry) => (timelineKey(a) < timelineKey(b) ? -1 : timelineKey(a) > timelineKey(b) ? 1 : 0);

/**
 * The reference: the whole history sorted by timeline key and folded at once, as the rules were
 * written before the state was merged one entry at a time. The status entry outranks every other
 * (a later stage; within a stage the later event, but the earliest terminal one); each detail is
 * the last one in history that carries it; the customer is the last shipment.created received.
 */
function reference(entries: readonly ShipmentEntry[]) {
  const history = [...entries].sort(byTimeline);
  let current = history[0]!;
  for (const entry of history) {
    const stageDelta = STAGE[entry.status] - STAGE[current.status];
    const later = byTimeline(entry, current) > 0;
    if (stageDelta > 0 || (stageDelta === 0 && (isTerminal(entry.status) ? !later && entry !== current : later))) current = entry;
  }
  const details: Record<string, unknown> = {};
  for (const entry of history) {
    for (const field of DETAIL_FIELDS) if (typeof entry.data[field] === 'string') details[field] = entry.data[field];
    // The parcel count is what the event that gave the orderId said, or nothing.
    if (typeof entry.data.orderId === 'string') {
      if (typeof entry.data.parcelCount === 'number') details.parcelCount = entry.data.parcelCount;
      else delete details.parcelCount;
    }
  }
  // The estimate: the latest in history that carries one, and beside it the first.
  const estimates = history.filter((entry) => entry.data.estimatedDelivery !== undefined);
  if (estimates.length > 0) {
    details.estimatedDelivery = estimates.at(-1)!.data.estimatedDelivery;
    details.originalEstimatedDelivery = estimates[0]!.data.estimatedDelivery;
  }
  const created = entries.filter((entry) => entry.status === 'created').sort((a, b) => (receiptKey(a) < receiptKey(b) ? -1 : 1));
  const { shipmentId: _id, customer: _customer, estimatedDelivery: _estimate, ...own } = current.data;
  for (const field of DETAIL_FIELDS) delete own[field];
  delete own.parcelCount;
  return {
    status: current.status,
    statusTime: current.time,
    statusDetails: own,
    ...details,
    ...(created.length > 0 ? { customer: created.at(-1)!.data.customer } : {}),
  };
}

const withoutMarks = ({ marks: _marks, shipmentId: _id, owner: _owner, ...state }: ShipmentState) => state;

describe('shipment state merge', () => {
  it('merges the recorded entries in any order to the same state', () => {
    fc.assert(
      fc.property(entriesAndPermutation, ([entries, reordered]) => {
        expect(fold(reordered)).toStrictEqual(fold(entries));
      }),
      RUNS,
    );
  });

  it('agrees with the reference that folds the whole history at once', () => {
    fc.assert(
      fc.property(entriesAndPermutation, ([, arrivals]) => {
        expect(withoutMarks(fold(arrivals))).toStrictEqual(reference(arrivals));
      }),
      RUNS,
    );
  });

  it('gives the same state for events arriving in any order, but for the customer, which is the last received', () => {
    fc.assert(
      fc.property(eventsAndPermutation, ([events, reordered]) => {
        const { customer: a, marks: marksA, ...stateA } = fold(received(events));
        const { customer: b, marks: marksB, ...stateB } = fold(received(reordered));
        const { customer: _a, ...restA } = marksA;
        const { customer: _b, ...restB } = marksB;
        expect({ ...stateB, marks: restB }).toStrictEqual({ ...stateA, marks: restA });
        const lastCreated = reordered.filter((event) => event.type === 'shipment.created').at(-1);
        expect(b).toStrictEqual(lastCreated?.data.customer);
      }),
      RUNS,
    );
  });

  it('returns the very same state when any entry already merged is merged again', () => {
    fc.assert(
      fc.property(shipmentEvents, fc.nat(), (events, pick) => {
        const entries = received(events);
        const shipment = fold(entries);
        expect(mergeEvent(shipment, entries[pick % entries.length]!)).toBe(shipment);
      }),
      RUNS,
    );
  });

  it('merges entries with repeats interleaved anywhere to the same state as without them', () => {
    const withRepeats = shipmentEvents.map(received).chain((events) =>
      fc.tuple(
        fc.constant(events),
        fc.array(fc.constantFrom(...events), { maxLength: 8 }).chain((repeats) =>
          fc.shuffledSubarray([...events, ...repeats], {
            minLength: events.length + repeats.length,
            maxLength: events.length + repeats.length,
          }),
        ),
      ),
    );
    fc.assert(
      fc.property(withRepeats, ([events, arrivals]) => {
        expect(fold(arrivals)).toStrictEqual(fold(events));
      }),
      RUNS,
    );
  });

  it('never moves the status to a lower stage when an event older than the current status arrives', () => {
    fc.assert(
      fc.property(entriesAndPermutation, ([, arrivals]) => {
        eachStep(arrivals, (before, event, after) => {
          if (isOlderThanStatus(event, before)) expect(STAGE[after.status]).toBeGreaterThanOrEqual(STAGE[before.status]);
        });
      }),
      RUNS,
    );
  });

  it('lets an older event replace the status only with a later stage or an earlier terminal status', () => {
    fc.assert(
      fc.property(entriesAndPermutation, ([, arrivals]) => {
        eachStep(arrivals, (before, event, after) => {
          if (!isOlderThanStatus(event, before) || after.status === before.status) return;
          const outranks = STAGE[after.status] > STAGE[before.status] || (isTerminal(after.status) && isTerminal(before.status));
          expect({ from: before.status, to: after.status, outranks }).toMatchObject({ outranks: true });
        });
      }),
      RUNS,
    );
  });

  it('never moves the status to a lower stage, whatever arrives next', () => {
    fc.assert(
      fc.property(entriesAndPermutation, ([, arrivals]) => {
        eachStep(arrivals, (before, _event, after) => {
          expect(STAGE[after.status]).toBeGreaterThanOrEqual(STAGE[before.status]);
        });
      }),
      RUNS,
    );
  });

  it('orders history by time: timeline keys sort as the events happened, one key per event', () => {
    fc.assert(
      fc.property(entriesAndPermutation, ([entries]) => {
        const history = [...entries].sort(byTimeline);
        const times = history.map((entry) => Date.parse(entry.time));
        expect({
          distinct: new Set(history.map((entry) => timelineKey(entry))).size,
          ordered: times.every((time, index) => index === 0 || times[index - 1]! <= time),
        }).toEqual({ distinct: entries.length, ordered: true });
      }),
      RUNS,
    );
  });
});
