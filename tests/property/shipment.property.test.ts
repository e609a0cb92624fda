import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import { applyEvent, type Shipment, type ShipmentStatus } from '../../functions/lib/domain/shipment.ts';

// Properties of the shipment fold over realistic, schema-valid event sets.
const SHIPMENT_ID = 'shp-prop';
const START = Date.UTC(2026, 10, 1, 8, 0);
const RUNS = { numRuns: 400 };

/** The stages of docs/data-model.md's status rules: attempts (in_transit, out_for_delivery, delivery_failed) share one, terminals the last. */
const STAGE: Record<ShipmentStatus, number> = {
  created: 0,
  picked: 1,
  packed: 2,
  shipped: 3,
  in_transit: 4,
  out_for_delivery: 4,
  delivery_failed: 4,
  delivered: 5,
  returned: 6,
  cancelled: 6,
};
const isTerminal = (status: ShipmentStatus) => status === 'returned' || status === 'cancelled';

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
const later = fc.integer({ min: 0, max: 48 * 60 }).map((minutes) => new Date(START + minutes * 60_000).toISOString());

const dataFor: Record<ShipmentStatus, fc.Arbitrary<Record<string, unknown>>> = {
  created: fc.record(
    {
      orderId: fc.constantFrom('ord-1', 'ord-2'),
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
    },
    { requiredKeys: ['orderId', 'customer'] },
  ),
  picked: fc.constant({}),
  packed: fc.constant({}),
  shipped: optional({ carrier, trackingNumber, trackingUrl }),
  in_transit: optional({ location: place }),
  out_for_delivery: optional({ eta: later }),
  delivered: optional({ location: place, signedBy: fc.constantFrom('A. García', 'neighbour') }),
  delivery_failed: fc.record({ reason, nextAttemptAt: later }, { requiredKeys: ['reason'] }),
  returned: optional({ reason }),
  cancelled: optional({ reason }),
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

/** The same events and a reordering of them. */
const eventsAndPermutation = shipmentEvents.chain((events) =>
  fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length })),
);

function fold(events: readonly ShipmentEvent[]): Shipment {
  return events.reduce<Shipment | undefined>(applyEvent, undefined)!;
}

/** Folds events one at a time, handing each step (before, event, after) to `check`. */
function eachStep(events: readonly ShipmentEvent[], check: (before: Shipment, event: ShipmentEvent, after: Shipment) => void): void {
  let shipment: Shipment | undefined;
  for (const event of events) {
    const next = applyEvent(shipment, event);
    if (shipment) check(shipment, event, next);
    shipment = next;
  }
}

const isOlderThanStatus = (event: ShipmentEvent, shipment: Shipment) => Date.parse(event.time) < Date.parse(shipment.statusTime);

describe('shipment fold', () => {
  it('folds any order of the same events to the same shipment', () => {
    fc.assert(
      fc.property(eventsAndPermutation, ([events, reordered]) => {
        expect(fold(reordered)).toStrictEqual(fold(events));
      }),
      RUNS,
    );
  });

  it('returns the same shipment when any event already applied is applied again', () => {
    fc.assert(
      fc.property(shipmentEvents, fc.nat(), (events, pick) => {
        const shipment = fold(events);
        expect(applyEvent(shipment, events[pick % events.length]!)).toBe(shipment);
      }),
      RUNS,
    );
  });

  it('folds events with repeats interleaved anywhere to the same shipment as without them', () => {
    const withRepeats = shipmentEvents.chain((events) =>
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
      fc.property(eventsAndPermutation, ([, arrivals]) => {
        eachStep(arrivals, (before, event, after) => {
          if (isOlderThanStatus(event, before)) expect(STAGE[after.status]).toBeGreaterThanOrEqual(STAGE[before.status]);
        });
      }),
      RUNS,
    );
  });

  it('lets an older event replace the status only with a later stage or an earlier terminal status', () => {
    fc.assert(
      fc.property(eventsAndPermutation, ([, arrivals]) => {
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
      fc.property(eventsAndPermutation, ([, arrivals]) => {
        eachStep(arrivals, (before, _event, after) => {
          expect(STAGE[after.status]).toBeGreaterThanOrEqual(STAGE[before.status]);
        });
      }),
      RUNS,
    );
  });

  it('keeps every distinct event exactly once in the timeline, ordered by time', () => {
    fc.assert(
      fc.property(eventsAndPermutation, ([events, arrivals]) => {
        const timeline = fold(arrivals).timeline;
        const times = timeline.map((entry) => Date.parse(entry.time));
        expect({
          keys: timeline.map((entry) => `${entry.source} ${entry.id}`).sort(),
          ordered: times.every((time, index) => index === 0 || times[index - 1]! <= time),
        }).toEqual({ keys: events.map((event) => `${event.source} ${event.id}`).sort(), ordered: true });
      }),
      RUNS,
    );
  });
});
