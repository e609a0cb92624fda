import { isWalletEvent, type ParcelEvent, type WalletEvent } from '#domain/cloud-events.ts';
import { currencyConflicts } from '#domain/currency.ts';
import {
  ConfigurationError,
  type EventStatus,
  type FieldError,
  ForbiddenError,
  IdReusedError,
  IncompleteBatchError,
  NotYoursError,
  ValidationError,
} from '#domain/errors.ts';
import { ledgerEntryId, type RecordOutcome, type ShipmentStore, type WalletLedger } from '#domain/ports.ts';
import type { Receipt } from '#domain/shipment.ts';
import { BalanceLimitError, balanceLimitMessage, balanceProblems, CurrencyMismatchError } from '#domain/wallet.ts';
import {
  hasScope,
  mayWriteWallet,
  NOT_YOURS,
  ownershipRefusals,
  ownsSource,
  scopeOf,
  sharesWallet,
  type Warehouse,
  warehouseIdProblem,
} from '#domain/warehouse.ts';

export interface RecordResult {
  id: string;
  type: ParcelEvent['type'];
  status: RecordOutcome;
}

export interface RecordEventsPorts {
  shipments: ShipmentStore;
  wallets: WalletLedger;
}

export interface RecordRequest {
  /** The warehouse the request authenticated as. */
  warehouse: Warehouse;
  events: readonly ParcelEvent[];
  /** Whether the body was a batch (error paths then start with `[i].`). */
  batch: boolean;
  /** When the request was received: stored with each event, it orders corrections of a customer's details. */
  receivedAt: Date;
}

const unique = <T>(values: T[]) => [...new Set(values)];

const position = (batch: boolean, index: number) => (batch ? `[${index}].` : '');

/**
 * What `warehouse` may not post in this request: an event whose `source` is not one of its own, an
 * event of a kind its scopes do not cover. Needs nothing stored, so it is checked for every event
 * before anything is read or written: a request with one such event stores nothing (403).
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

const NOT_OWNER = 'This warehouse may not write what the request names; nothing of it is stored.';

/**
 * Records a request's validated events for the warehouse it authenticated as.
 *
 * Everything that can refuse the request is decided first, for the whole batch, from reads only:
 * sources and scopes, then each writable wallet's currency and balance bound (400), then who
 * owns each shipment and wallet named (403). Only then are the events written, in request order, each on
 * its own (docs/data-model.md). What can still fail is transient, or a concurrent request that
 * changed what was checked; then IncompleteBatchError says which events are stored, so the
 * client sends the request again and gets the rest written and the stored ones `duplicate`.
 */
export async function recordEvents(ports: RecordEventsPorts, request: RecordRequest): Promise<RecordResult[]> {
  const { warehouse, events, batch } = request;
  const idProblem = warehouseIdProblem(warehouse.id);
  if (idProblem) throw new ConfigurationError(idProblem);
  const prefix = (index: number) => position(batch, index);

  const refused = refusedEvents(warehouse, events, batch);
  if (refused) throw refused;

  const walletEvents = events.flatMap((event, index) => (isWalletEvent(event) ? [{ event, position: prefix(index) }] : []));
  const shipmentIds = unique(events.flatMap((event) => (isWalletEvent(event) ? [] : [event.data.shipmentId])));
  const walletIds = unique(walletEvents.map(({ event }) => event.data.walletId));
  // A request about one shipment alone needs no read of its owner: the store checks it before its
  // first write (the state's conditional creation, or the read it merges into), so a refusal there
  // still leaves everything unwritten.
  const readOwners = shipmentIds.length > 1 || (shipmentIds.length > 0 && walletEvents.length > 0);
  const [shipmentOwners, wallets] = await Promise.all([
    readOwners ? ports.shipments.shipmentOwners(shipmentIds) : new Map<string, string>(),
    walletIds.length > 0 ? ports.wallets.walletHeads(walletIds) : new Map(),
  ]);
  const walletOwners = new Map([...wallets].map(([id, head]) => [id, head.owner]));
  const notYours = ownershipRefusals(warehouse, events, { shipments: shipmentOwners, wallets: walletOwners }, prefix);

  // The 400s of what the warehouse may write are answered before the 403 of what it may not: the
  // other way round, a request that earns a 400 anyway (an entry in the wrong currency on its own
  // wallet) would learn from 403-or-400 whether another id in it is taken, without storing
  // anything. Wallets it may not write are never checked, so their currency and balance stay unsaid.
  const writable = walletEvents.filter(({ event }) =>
    mayWriteWallet(warehouse, event.data.walletId, walletOwners.get(event.data.walletId)),
  );
  if (writable.length > 0) {
    const currencies = new Map([...wallets].map(([id, head]) => [id, head.currency]));
    const mismatched = currencyConflicts(writable, currencies);
    if (mismatched.length > 0) throw new ValidationError(mismatched, 'An entry does not match its wallet.');
    const balances = new Map([...wallets].map(([id, head]) => [id, head.balance]));
    const outOfBounds = await balanceRefusals(ports.wallets, warehouse, writable, balances);
    if (outOfBounds.length > 0) throw new ValidationError(outOfBounds, 'An entry would take its wallet past the balance limit.');
  }
  if (notYours.length > 0) throw new ForbiddenError('not-owner', notYours, NOT_OWNER);

  const receivedAt = request.receivedAt.toISOString();
  const results: RecordResult[] = [];
  for (const [index, event] of events.entries()) {
    const receipt: Receipt = { receivedAt, position: index };
    try {
      const status = isWalletEvent(event)
        ? await ports.wallets.recordWalletEvent(
            event,
            { warehouseId: warehouse.id, shared: sharesWallet(warehouse, event.data.walletId) },
            receipt,
          )
        : await ports.shipments.recordShipmentEvent(event, warehouse.id, receipt);
      results.push({ id: event.id, type: event.type, status });
    } catch (error) {
      const refusal = asRefusal(error, event, prefix(index));
      // Refused at its first write, a request has nothing stored: the refusal is the whole answer.
      if (index === 0 && refusal !== error) throw refusal;
      const stored: { id: string; status: EventStatus }[] = events.map((each, at) => ({
        id: each.id,
        status: results[at]?.status ?? 'not_stored',
      }));
      throw new IncompleteBatchError(refusal, stored);
    }
  }
  return results;
}

/**
 * Balance bounds for the request's entries. An entry already booked (a resend) moves nothing, so
 * when the first reckoning finds a problem the ledger is asked which entries it holds, and the
 * reckoning is done again without them: the extra read is paid only near the bound.
 */
async function balanceRefusals(
  ledger: WalletLedger,
  warehouse: Warehouse,
  walletEvents: { event: WalletEvent; position: string }[],
  balances: Map<string, number>,
): Promise<FieldError[]> {
  const first = balanceProblems(walletEvents, balances);
  if (first.length === 0) return first;
  const keyOf = (event: WalletEvent) => ({ walletId: event.data.walletId, owner: warehouse.id, source: event.source, id: event.id });
  const booked = await ledger.bookedEntries(walletEvents.map(({ event }) => keyOf(event)));
  return balanceProblems(walletEvents, balances, (event) => booked.has(ledgerEntryId(keyOf(event))));
}

/** A refusal that a concurrent request made possible after the checks, said as the checks would have. */
function asRefusal(error: unknown, event: ParcelEvent, at: string): unknown {
  if (error instanceof NotYoursError) {
    return new ForbiddenError(
      'not-owner',
      [
        isWalletEvent(event)
          ? { path: `${at}data.walletId`, message: NOT_YOURS.wallet }
          : { path: `${at}data.shipmentId`, message: NOT_YOURS.shipment },
      ],
      NOT_OWNER,
    );
  }
  if (error instanceof IdReusedError) {
    return new IdReusedError(`Event ${event.id} reuses an id this warehouse already stored with other content; give it a new id.`, [
      { path: `${at}id`, message: 'is already stored from this source with another type, time or data' },
    ]);
  }
  if (error instanceof CurrencyMismatchError) {
    return new ValidationError([{ path: `${at}data.amount.currency`, message: error.message }], 'An entry does not match its wallet.');
  }
  if (error instanceof BalanceLimitError && isWalletEvent(event)) {
    return new ValidationError(
      [{ path: `${at}data.amount.value`, message: balanceLimitMessage(event.data.walletId) }],
      'An entry would take its wallet past the balance limit.',
    );
  }
  return error;
}
