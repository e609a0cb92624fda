import { isWalletEvent, type ParcelEvent } from '#domain/cloud-events.ts';
import { currencyConflicts } from '#domain/currency.ts';
import { type FieldError, ForbiddenError, ValidationError } from '#domain/errors.ts';
import type { RecordOutcome, ShipmentStore, WalletLedger } from '#domain/ports.ts';
import { ShipmentHistoryFullError } from '#domain/shipment.ts';
import { CurrencyMismatchError } from '#domain/wallet.ts';
import { hasScope, ownsSource, scopeOf, type Warehouse } from '#domain/warehouse.ts';

export interface RecordResult {
  id: string;
  type: ParcelEvent['type'];
  status: RecordOutcome;
}

export interface RecordEventsPorts {
  shipments: ShipmentStore;
  wallets: WalletLedger;
}

const position = (batch: boolean, index: number) => (batch ? `[${index}].` : '');

/**
 * What `warehouse` may not post in this request: an event whose `source` is not one of its own, an
 * event of a kind its scopes do not cover. Checked for every event before anything is written, so
 * a request with one such event stores nothing (403). Ownership of the shipment or wallet an
 * event is about is the stores' to decide (data-model.md).
 */
export function refusedEvents(warehouse: Warehouse, events: readonly ParcelEvent[], batch: boolean): ForbiddenError | undefined {
  const sources: FieldError[] = [];
  const scopes: FieldError[] = [];
  for (const [index, event] of events.entries()) {
    if (!ownsSource(warehouse, event.source)) {
      sources.push({ path: `${position(batch, index)}source`, message: `is not a source of warehouse ${warehouse.id}` });
    }
    const scope = scopeOf(event.type);
    if (!hasScope(warehouse, scope)) {
      scopes.push({
        path: `${position(batch, index)}type`,
        message: `needs the "${scope}" scope, which warehouse ${warehouse.id} has not got`,
      });
    }
  }
  if (sources.length > 0) {
    return new ForbiddenError(
      'source-not-owned',
      [...sources, ...scopes],
      `Warehouse ${warehouse.id} may not post events with these sources.`,
    );
  }
  if (scopes.length > 0) return new ForbiddenError('scope-missing', scopes, `Warehouse ${warehouse.id} may not post these kinds of event.`);
  return undefined;
}

/**
 * Records validated events of `warehouse` in request order, one transaction each, after checking
 * that it may post every one of them (refusedEvents). Business rules that need
 * stored state (a wallet's currency) are checked for the whole batch before anything is written,
 * so a batch rejected by them stores nothing. Two rules can only be broken by a concurrent
 * request between that check and the writes (another batch opening the wallet in another
 * currency) or by the table itself (a shipment's history full); then the events before the
 * offending one are stored, and resending the batch answers them `duplicate`.
 */
export async function recordEvents(
  ports: RecordEventsPorts,
  warehouse: Warehouse,
  events: readonly ParcelEvent[],
  batch: boolean,
): Promise<RecordResult[]> {
  const refused = refusedEvents(warehouse, events, batch);
  if (refused) throw refused;
  const walletEvents = events.flatMap((event, index) => (isWalletEvent(event) ? [{ event, position: position(batch, index) }] : []));
  if (walletEvents.length > 0) {
    const known = await ports.wallets.walletCurrencies(walletEvents.map(({ event }) => event.data.walletId));
    const errors = currencyConflicts(walletEvents, known);
    if (errors.length > 0) throw new ValidationError(errors, 'An entry does not match its wallet.');
  }

  const results: RecordResult[] = [];
  for (const [index, event] of events.entries()) {
    results.push({ id: event.id, type: event.type, status: await recordOne(ports, warehouse, event, position(batch, index)) });
  }
  return results;
}

async function recordOne(ports: RecordEventsPorts, warehouse: Warehouse, event: ParcelEvent, at: string): Promise<RecordOutcome> {
  try {
    return isWalletEvent(event)
      ? await ports.wallets.recordWalletEvent(event)
      : await ports.shipments.recordShipmentEvent(event, warehouse.id);
  } catch (error) {
    // Only reachable when another request opened the wallet in a different currency meanwhile.
    if (error instanceof CurrencyMismatchError) {
      throw new ValidationError([{ path: `${at}data.amount.currency`, message: error.message }]);
    }
    if (error instanceof ShipmentHistoryFullError) {
      throw new ValidationError([{ path: `${at}data.shipmentId`, message: error.message }]);
    }
    throw error;
  }
}
