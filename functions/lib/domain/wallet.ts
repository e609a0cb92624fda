import type { WalletEvent } from './cloud-events.ts';
import type { FieldError } from './errors.ts';

/** A wallet's ledger: every debit and credit once, and a running balance in minor units. */

export interface LedgerEntry {
  walletId: string;
  customerId: string;
  source: string;
  id: string;
  /** Signed minor units: credits add, debits subtract. */
  delta: number;
  currency: string;
  reference: string;
  time: string;
}

export function toLedgerEntry(event: WalletEvent): LedgerEntry {
  const { walletId, customerId, amount, reference } = event.data;
  return {
    walletId,
    customerId,
    source: event.source,
    id: event.id,
    delta: event.type === 'wallet.credited' ? amount.value : -amount.value,
    currency: amount.currency,
    reference,
    time: new Date(event.time).toISOString(),
  };
}

/**
 * The balance the ledger says, whatever the running total drifted to. Summed exactly (BigInt):
 * the ledger is read in key order, not booking order, so a partial sum may pass 2^53 even when
 * the balance never did, and a float would round it. A total JavaScript numbers cannot hold is
 * an error, never a rounded balance.
 */
export function sumLedger(entries: Iterable<Pick<LedgerEntry, 'delta'>>): number {
  let balance = 0n;
  for (const entry of entries) balance += BigInt(entry.delta);
  if (balance > BigInt(Number.MAX_SAFE_INTEGER) || balance < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`the ledger sums to ${balance} minor units, beyond what a balance can hold`);
  }
  return Number(balance);
}

/**
 * The largest balance, either way, a wallet may hold: 10^15 minor units, nine times below
 * Number.MAX_SAFE_INTEGER, so a balance plus any one entry (at most MAX_MONEY_MINOR_UNITS,
 * 10^12) is still exact (docs/wallet-reconciliation.md, "Money limits").
 */
export const MAX_WALLET_BALANCE_MINOR_UNITS = 1_000_000_000_000_000;

/**
 * The balances a wallet may hold before an entry of `delta` is booked so that it stays within
 * ±MAX_WALLET_BALANCE_MINOR_UNITS after it: the range a conditional write checks the stored
 * balance against (`balance BETWEEN :min AND :max`) in the transaction that moves it.
 */
export function balanceRangeBefore(delta: number): { min: number; max: number } {
  return {
    min: Math.max(-MAX_WALLET_BALANCE_MINOR_UNITS, -MAX_WALLET_BALANCE_MINOR_UNITS - delta),
    max: Math.min(MAX_WALLET_BALANCE_MINOR_UNITS, MAX_WALLET_BALANCE_MINOR_UNITS - delta),
  };
}

/** Raised when an entry's currency differs from the one its wallet was opened in. */
export class CurrencyMismatchError extends Error {
  override readonly name = 'CurrencyMismatchError';
}

/** Raised when booking an entry would take its wallet's balance past ±MAX_WALLET_BALANCE_MINOR_UNITS. */
export class BalanceLimitError extends Error {
  override readonly name = 'BalanceLimitError';
}

export const balanceLimitMessage = (walletId: string) =>
  `would take the balance of wallet ${walletId} past ±${MAX_WALLET_BALANCE_MINOR_UNITS} minor units`;

/**
 * The entries of a request that would take a wallet's balance out of bounds, booked in request
 * order from the stored balances (a wallet not yet opened starts at 0), as field errors at
 * `<position>data.amount.value`. Entries the ledger already holds (`booked`) move nothing.
 */
export function balanceProblems(
  entries: ReadonlyArray<{ event: WalletEvent; position: string }>,
  balances: ReadonlyMap<string, number>,
  booked: (event: WalletEvent) => boolean = () => false,
): FieldError[] {
  const running = new Map(balances);
  const errors: FieldError[] = [];
  for (const { event, position } of entries) {
    if (booked(event)) continue;
    const { walletId } = event.data;
    const before = running.get(walletId) ?? 0;
    const delta = toLedgerEntry(event).delta;
    const { min, max } = balanceRangeBefore(delta);
    if (before < min || before > max) errors.push({ path: `${position}data.amount.value`, message: balanceLimitMessage(walletId) });
    else running.set(walletId, before + delta);
  }
  return errors;
}
