import type { ShipmentEvent, WalletEvent } from './cloud-events.ts';
import type { DeliveryStatus } from './delivery-status.ts';
import type { Customer, Shipment } from './shipment.ts';

/** Ports: what the use cases need from the outside world, in the domain's words. */

export type RecordOutcome = 'accepted' | 'duplicate';

/** One notification of a shipment as GET /v1/shipments/{id} shows it (docs/notifications.md, "Delivery status"). */
export interface NotificationRecord {
  /** The shipment status it announced. */
  status: string;
  channel: string;
  /** Its delivery status: claimed, sent, delivered, failed, bounced, complained or suppressed. */
  outcome: DeliveryStatus;
  /** When it last changed. */
  at: string;
  /** Why it failed, bounced or was suppressed, in the provider's or Parcelcast's words (no contact details). */
  reason?: string;
  providerMessageId?: string;
  sentAt?: string;
  /** When the provider's final receipt (or the send-time decision) said how it ended. */
  finalAt?: string;
  /** Sent on this channel because the other one could not deliver it. */
  fallbackFrom?: string;
}

export interface StoredShipment {
  shipment: Shipment;
  notifications: NotificationRecord[];
}

export interface ShipmentStore {
  /**
   * Stores the event once under its (source, id) key and folds it into the shipment; `owner`, the
   * posting warehouse, owns a shipment it creates.
   */
  recordShipmentEvent(event: ShipmentEvent, owner: string): Promise<RecordOutcome>;
  getShipment(shipmentId: string): Promise<StoredShipment | undefined>;
}

export interface WalletLedger {
  /** Appends the entry once under its (source, id) key and moves the running balance. */
  recordWalletEvent(event: WalletEvent): Promise<RecordOutcome>;
  /** The currency each wallet is fixed to by its first entry; wallets without entries are absent. */
  walletCurrencies(walletIds: readonly string[]): Promise<Map<string, string>>;
}

/** A wallet's stored state: the running balance and what the last reconciliation confirmed. */
export interface WalletSnapshot {
  walletId: string;
  customerId: string;
  currency: string;
  /** Running balance in minor units, moved at once by every entry. */
  balance: number;
  /** Bumped by every ledger entry; reconciliation writes only if it has not moved. */
  version: number;
  entryCount: number;
  lastEntryAt?: string;
  reconciledAt?: string;
  /** True from an entry until a reconciliation has confirmed the balance including it. */
  reconciliationPending: boolean;
}

export interface LedgerTotal {
  balance: number;
  entries: number;
}

export interface BalanceConfirmation {
  /** The wallet version the ledger sum was taken at; the write fails if another entry landed since. */
  expectedVersion: number;
  balance: number;
  entries: number;
  reconciledAt: string;
  /** The execution that confirmed it. */
  reconciliation: string;
  drift: number;
  /** The channels the confirmed balance goes out on (none: `nobodyToTell` says why). */
  channels: string[];
  nobodyToTell?: string;
}

/** What reconciliation needs from storage: the wallet, its ledger and who to tell. */
export interface WalletBooks {
  readWallet(walletId: string): Promise<WalletSnapshot | undefined>;
  /** Sums every ledger entry, strongly consistent. */
  sumLedger(walletId: string): Promise<LedgerTotal>;
  /** Writes the confirmed balance unless the wallet's version moved; false when it did. */
  confirmBalance(walletId: string, confirmation: BalanceConfirmation): Promise<boolean>;
  customerProfile(customerId: string): Promise<Customer | undefined>;
}

export type StartOutcome = 'started' | 'already-started';

/** Starts workflow executions by name; a name already used is not an error but `already-started`. */
export interface WorkflowStarter {
  start(name: string, input: unknown): Promise<StartOutcome>;
}
