import type { Channel } from './cloud-events.ts';
import { sha256Hex } from './id-digest.ts';
import type { NotificationMessage } from './notification-message.ts';
import { DEFAULT_LOCALE, reachableChannels } from './notification-policy.ts';
import type { Customer } from './shipment.ts';

/**
 * Wallet reconciliation (docs/wallet-reconciliation.md): after a delay the balance is recomputed
 * from the ledger, corrected if it drifted, and the customer is told the confirmed figure.
 * Pure: naming of executions, the drift, and the messages to send.
 */

export const BALANCE_CONFIRMED = 'wallet.balance_confirmed';

/** Execution names as they were written before they became digests (reconciliationClaim). */
const NAME_UNSAFE = /[^A-Za-z0-9_-]/g;
const NAME_ID_LENGTH = 48;

export interface ReconciliationWindow {
  /** Window start in epoch seconds: part of the execution name. */
  startSeconds: number;
  start: string;
  end: string;
}

/**
 * The reconciliation window an entry falls in: `floor(arrival time / delay)` (the wallet's
 * `lastEntryAt` is when ingest booked it, not the warehouse's event time, so a late event opens a
 * new window instead of joining one already confirmed). Every entry of one window is confirmed
 * by the same execution, started by the first of them, which waits until the window has closed
 * and then `delay` more.
 */
export function reconciliationWindow(entryAt: string | Date, delaySeconds: number): ReconciliationWindow {
  if (!Number.isInteger(delaySeconds) || delaySeconds < 1)
    throw new RangeError(`delay must be a whole number of seconds ≥ 1, got ${delaySeconds}`);
  const epochSeconds = Math.floor(new Date(entryAt).getTime() / 1000);
  if (Number.isNaN(epochSeconds)) throw new RangeError(`not a time: ${String(entryAt)}`);
  const startSeconds = Math.floor(epochSeconds / delaySeconds) * delaySeconds;
  return {
    startSeconds,
    start: new Date(startSeconds * 1000).toISOString(),
    end: new Date((startSeconds + delaySeconds) * 1000).toISOString(),
  };
}

/**
 * The deterministic execution name of a wallet's reconciliation in a window, so that replays and
 * bursts of entries coalesce into one execution (Standard names are unique for 90 days): `wallet-`,
 * 24 hex digits of the wallet id's SHA-256 (96 bits: no two wallets of a deployment share one) and
 * the window's start. No part of the id is kept in the clear: it is the warehouse's to choose, and
 * execution names show in the console and the logs.
 */
export function reconciliationName(walletId: string, window: Pick<ReconciliationWindow, 'startSeconds'>): string {
  return `wallet-${sha256Hex(walletId, 24)}-${window.startSeconds}`;
}

/**
 * What a reconciliation's messages are claimed under (`NOTIFICATION#<claim>#<channel>` of the
 * wallet): its window, written as execution names were before they kept no part of the wallet id
 * (the sanitised id, 8 hex digits of its hash, the window's start). Executions started under
 * either name, across a deployment that changed them, claim the same messages, so a window is
 * never told twice. The claim stays in the table; it is never logged (the senders log its digest).
 * A name that carries no window (none of ours) is its own claim.
 */
export function reconciliationClaim(walletId: string, executionName: string): string {
  const windowStart = /-(\d+)$/.exec(executionName)?.[1];
  if (windowStart === undefined) return executionName;
  const readable = walletId.replace(NAME_UNSAFE, '_').slice(0, NAME_ID_LENGTH);
  const hash = sha256Hex(walletId, 8);
  return `${readable}-${hash}-${windowStart}`;
}

/** The input of one WalletReconciliation execution. */
export interface ReconciliationInput {
  walletId: string;
  /** How long the workflow waits before recomputing (the Wait state's SecondsPath). */
  delaySeconds: number;
  window: { start: string; end: string };
}

export function walletNotificationId(walletId: string, reconciliation: string, channel: Channel): string {
  return `wallet#${walletId}#${reconciliation}#${channel}`;
}

export interface ConfirmedBalance {
  walletId: string;
  /** The warehouse that opened the wallet: its customer is told. */
  owner: string;
  customerId: string;
  balance: number;
  currency: string;
  reconciledAt: string;
  /** The running balance was wrong and this reconciliation corrected it: an essential message (preferences.ts). */
  corrected?: boolean;
}

/** Why nobody hears about a confirmed balance, or undefined when someone does. */
export function nobodyToTell(customer: Customer | undefined): string | undefined {
  if (!customer) return 'no customer profile is known for the wallet';
  if (reachableChannels(customer).length === 0) return 'the customer has no contact on an allowed channel';
  return undefined;
}

/**
 * A confirmed-balance message: no `recipient`. It travels through the workflow's execution state
 * (kept in the Step Functions history), so the senders look the contact up from the customer
 * profile at send time instead.
 */
export type BalanceConfirmedMessage = Omit<NotificationMessage, 'recipient'> & { recipient?: never };

/** One confirmed-balance message per reachable channel, keyed so that senders deliver each once. */
export function balanceConfirmedMessages(
  confirmed: ConfirmedBalance,
  customer: Customer | undefined,
  reconciliation: string,
): BalanceConfirmedMessage[] {
  if (!customer) return [];
  return reachableChannels(customer).map((channel) => ({
    notificationId: walletNotificationId(confirmed.walletId, reconciliation, channel),
    eventType: BALANCE_CONFIRMED,
    channel,
    locale: customer.locale ?? DEFAULT_LOCALE,
    ...(customer.timeZone ? { timeZone: customer.timeZone } : {}),
    customerId: confirmed.customerId,
    owner: confirmed.owner,
    ...(customer.name ? { customerName: customer.name } : {}),
    wallet: {
      walletId: confirmed.walletId,
      balance: confirmed.balance,
      currency: confirmed.currency,
      reconciledAt: confirmed.reconciledAt,
      ...(confirmed.corrected ? { corrected: true } : {}),
    },
    occurredAt: confirmed.reconciledAt,
  }));
}
