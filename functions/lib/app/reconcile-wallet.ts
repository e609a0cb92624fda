import type { Channel } from '#domain/cloud-events.ts';
import { NotFoundError } from '#domain/errors.ts';
import { idDigest } from '#domain/id-digest.ts';
import type { WalletBooks } from '#domain/ports.ts';
import { type BalanceConfirmedMessage, balanceConfirmedMessages, nobodyToTell, reconciliationClaim } from '#domain/reconciliation.ts';
import { backoff, type RetryPolicy } from '#domain/retry.ts';

/** Entries landing while the ledger is summed: five reads, waits of up to 40, 80, 160, 320 ms between them. */
const CONTENTION: RetryPolicy = { attempts: 5, baseDelayMs: 40 };

/** Entries kept landing while the ledger was summed, attempt after attempt; the workflow retries later. */
export class ReconciliationContentionError extends Error {
  override readonly name = 'ReconciliationContentionError';
}

export interface ReconcileRequest {
  walletId: string;
  /** The execution name: its window keys the customer's messages so senders deliver each once (reconciliationClaim). */
  executionName: string;
}

export interface ReconciliationResult {
  walletId: string;
  /** The warehouse that opened the wallet. */
  owner: string;
  customerId: string;
  /** The confirmed balance, from the ledger, in minor units. */
  balance: number;
  currency: string;
  /** Stored running balance minus ledger sum before the correction; 0 when they agreed. */
  drift: number;
  corrected: boolean;
  reconciledAt: string;
  entries: number;
  /**
   * One per channel the customer can be told on, with the NotificationMessage to publish. This is
   * the execution's state: the messages name the customer, never their phone or address.
   */
  recipients: { channel: Channel; message: BalanceConfirmedMessage }[];
  /** Set when recipients is empty: why nobody could be told. */
  nobodyToTell?: string;
}

export interface ReconcileOptions {
  now?: () => Date;
  maxAttempts?: number;
}

/**
 * Recomputes a wallet's balance from its ledger and stores it as confirmed.
 *
 * The wallet is read before the ledger: every entry bumps the wallet's version in the same
 * transaction as its ledger item, so if one lands while the ledger is being summed the
 * conditional write on the version fails, and the whole read is done again. Nothing is lost,
 * and the pending flag is cleared only by a sum that includes every entry.
 */
export async function reconcileWallet(
  books: WalletBooks,
  request: ReconcileRequest,
  options: ReconcileOptions = {},
): Promise<ReconciliationResult> {
  const now = options.now ?? (() => new Date());
  const maxAttempts = options.maxAttempts ?? CONTENTION.attempts;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const wallet = await books.readWallet(request.walletId);
    if (!wallet) throw new NotFoundError(`No wallet ${idDigest(request.walletId)} is known.`);
    const ledger = await books.sumLedger(request.walletId);
    const customer = await books.customerProfile(wallet.owner, wallet.customerId);
    const reconciledAt = now().toISOString();
    const drift = wallet.balance - ledger.balance;
    const confirmed = {
      walletId: wallet.walletId,
      owner: wallet.owner,
      customerId: wallet.customerId,
      balance: ledger.balance,
      currency: wallet.currency,
      reconciledAt,
    };
    const messages = balanceConfirmedMessages(
      { ...confirmed, corrected: drift !== 0 },
      customer,
      reconciliationClaim(request.walletId, request.executionName),
    );
    const unreachable = messages.length === 0 ? nobodyToTell(customer) : undefined;
    const written = await books.confirmBalance(request.walletId, {
      expectedVersion: wallet.version,
      balance: ledger.balance,
      entries: ledger.entries,
      reconciledAt,
      reconciliation: request.executionName,
      drift,
      channels: messages.map((message) => message.channel),
      ...(unreachable ? { nobodyToTell: unreachable } : {}),
    });
    if (written) {
      return {
        ...confirmed,
        drift,
        corrected: drift !== 0,
        entries: ledger.entries,
        recipients: messages.map((message) => ({ channel: message.channel, message })),
        ...(unreachable ? { nobodyToTell: unreachable } : {}),
      };
    }
    // A burst of entries should not meet the re-read in step.
    if (attempt < maxAttempts) await backoff(CONTENTION, attempt);
  }
  throw new ReconciliationContentionError(
    `wallet ${idDigest(request.walletId)} kept changing during ${maxAttempts} reconciliation attempts`,
  );
}
