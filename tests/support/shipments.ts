import type { ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import { mergeEvent, type ShipmentEntry, type ShipmentState, toShipmentEntry } from '../../functions/lib/domain/shipment.ts';

/** The warehouse the tests' shipments belong to unless they say otherwise (the single-warehouse deployment's). */
export const TEST_OWNER = 'local';

let receipts = 0;

/** Entries as the store records `events` arriving in this order, each received after every one before it. */
export function entriesOf(events: readonly ShipmentEvent[], owner = TEST_OWNER): ShipmentEntry[] {
  return events.map((event) => {
    receipts += 1;
    return toShipmentEntry(event, owner, {
      receivedAt: new Date(Date.UTC(2026, 10, 2, 8, 0) + receipts * 1000).toISOString(),
      position: 0,
    });
  });
}

/** The state after merging `events` in arrival order; undefined for none. */
export function stateAfter(events: readonly ShipmentEvent[], owner = TEST_OWNER): ShipmentState | undefined {
  return entriesOf(events, owner).reduce<ShipmentState | undefined>(mergeEvent, undefined);
}
