import type { WalletEvent } from './cloud-events.ts';
import type { FieldError } from './errors.ts';

/**
 * A wallet's currency is fixed by its first entry. Checks a batch against the stored
 * currencies and against itself (two first entries in one batch must agree).
 * `positions` are the indexes of the events in the request, for error paths.
 */
export function currencyConflicts(
  events: ReadonlyArray<{ event: WalletEvent; position: string }>,
  known: ReadonlyMap<string, string>,
): FieldError[] {
  const fixed = new Map(known);
  const errors: FieldError[] = [];
  for (const { event, position } of events) {
    const { walletId, amount } = event.data;
    const currency = fixed.get(walletId);
    if (currency === undefined) fixed.set(walletId, amount.currency);
    else if (currency !== amount.currency) {
      errors.push({
        path: `${position}data.amount.currency`,
        message: `wallet ${walletId} holds ${currency}; an entry in ${amount.currency} cannot be booked to it`,
      });
    }
  }
  return errors;
}
