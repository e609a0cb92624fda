import type { WalletEvent } from './cloud-events.ts';

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

/** The balance the ledger says, whatever the running total drifted to. */
export function sumLedger(entries: Iterable<Pick<LedgerEntry, 'delta'>>): number {
  let balance = 0;
  for (const entry of entries) balance += entry.delta;
  return balance;
}

/** Raised when an entry's currency differs from the one its wallet was opened in. */
export class CurrencyMismatchError extends Error {
  override readonly name = 'CurrencyMismatchError';
}
