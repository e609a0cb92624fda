import { NotFoundError } from '#domain/errors.ts';
import type { WalletBooks } from '#domain/ports.ts';

/** The public read model of a wallet: its owner, the balance and whether it is confirmed yet. */
export async function readWallet(books: Pick<WalletBooks, 'readWallet'>, walletId: string) {
  const wallet = await books.readWallet(walletId);
  if (!wallet) throw new NotFoundError(`No wallet ${walletId} is known.`);
  return {
    walletId: wallet.walletId,
    owner: wallet.owner,
    balance: wallet.balance,
    currency: wallet.currency,
    entries: wallet.entryCount,
    lastEntryAt: wallet.lastEntryAt ?? null,
    reconciledAt: wallet.reconciledAt ?? null,
    reconciliationPending: wallet.reconciliationPending,
  };
}
