import { isWalletEvent, type ParcelEvent } from '#domain/cloud-events.ts';
import { currencyConflicts } from '#domain/currency.ts';
import { ValidationError } from '#domain/errors.ts';
import type { RecordOutcome, ShipmentStore, WalletLedger } from '#domain/ports.ts';
import { ShipmentHistoryFullError } from '#domain/shipment.ts';
import { CurrencyMismatchError } from '#domain/wallet.ts';

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
 * Records validated events in request order, one transaction each. Business rules that need
 * stored state (a wallet's currency) are checked for the whole batch before anything is written,
 * so a batch rejected by them stores nothing. Two rules can only be broken by a concurrent
 * request between that check and the writes (another batch opening the wallet in another
 * currency) or by the table itself (a shipment's history full); then the events before the
 * offending one are stored, and resending the batch answers them `duplicate`.
 */
export async function recordEvents(ports: RecordEventsPorts, events: readonly ParcelEvent[], batch: boolean): Promise<RecordResult[]> {
  const walletEvents = events.flatMap((event, index) => (isWalletEvent(event) ? [{ event, position: position(batch, index) }] : []));
  if (walletEvents.length > 0) {
    const known = await ports.wallets.walletCurrencies(walletEvents.map(({ event }) => event.data.walletId));
    const errors = currencyConflicts(walletEvents, known);
    if (errors.length > 0) throw new ValidationError(errors, 'An entry does not match its wallet.');
  }

  const results: RecordResult[] = [];
  for (const [index, event] of events.entries()) {
    results.push({ id: event.id, type: event.type, status: await recordOne(ports, event, position(batch, index)) });
  }
  return results;
}

async function recordOne(ports: RecordEventsPorts, event: ParcelEvent, at: string): Promise<RecordOutcome> {
  try {
    return isWalletEvent(event) ? await ports.wallets.recordWalletEvent(event) : await ports.shipments.recordShipmentEvent(event);
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
