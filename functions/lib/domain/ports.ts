import type { ShipmentEvent, WalletEvent } from './cloud-events.ts';
import type { DeliveryStatus } from './delivery-status.ts';
import type { Customer, Receipt, ShipmentEntry, ShipmentState } from './shipment.ts';

/** Ports: what the use cases need from the outside world, in the domain's words. */

export type RecordOutcome = 'accepted' | 'duplicate';

/** One notification of a shipment as GET /v1/shipments/{id} shows it (docs/notifications.md, "Delivery status"). */
export interface NotificationRecord {
  /** The shipment status it announced. */
  status: string;
  /**
   * When that status was entered: a status is announced once per entry into it (its episode,
   * docs/notifications.md). Absent on stall alerts, new dates, and claims written before episodes.
   */
  statusTime?: string;
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
  /** A combined message of the shipment's order (docs/alerts.md, "Split orders"): the order and every parcel it named. */
  order?: { orderId: string; shipmentIds: string[] };
}

/** Which page of a shipment's history to read. */
export interface HistoryPage {
  order: 'oldest' | 'newest';
  /** Start after the entry with this timeline key (the previous page's last); the first page without. */
  after?: string;
  /** At most this many entries. */
  limit: number;
}

export interface StoredShipment {
  state: ShipmentState;
  /** One page of the history, in the order asked for. */
  entries: ShipmentEntry[];
  /** The timeline key to read the next page after; absent on the last page. */
  nextAfter?: string;
  notifications: NotificationRecord[];
}

export interface ShipmentStore {
  /** The owner of each of these shipments that exists (a shipment without events is absent). */
  shipmentOwners(shipmentIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * Stores the event once under its (owner, source, id) key in its shipment's history and merges
   * it into the shipment's state. Throws NotYoursError, having written nothing, when the shipment
   * is another warehouse's.
   */
  recordShipmentEvent(event: ShipmentEvent, owner: string, receipt: Receipt): Promise<RecordOutcome>;
  getShipment(shipmentId: string, page: HistoryPage): Promise<StoredShipment | undefined>;
}

/** Who books an entry, as the wallet write checks it: the warehouse, and whether the wallet is shared with it. */
export interface WalletWriter {
  warehouseId: string;
  /** The warehouse's registry names the wallet shared: it may book to it whoever opened it. */
  shared: boolean;
}

/** What checking a request's wallet entries before writing needs of a stored wallet. */
export interface WalletHead {
  owner: string;
  currency: string;
  balance: number;
}

/** A ledger entry's identity: its wallet and its idempotency key there. */
export interface LedgerEntryKey {
  walletId: string;
  owner: string;
  source: string;
  id: string;
}

export interface WalletLedger {
  /**
   * Books the entry once under its (owner, source, id) key in the wallet's ledger and moves the
   * running balance. Throws NotYoursError, CurrencyMismatchError or BalanceLimitError, having
   * written nothing, when the wallet changed since the request was checked.
   */
  recordWalletEvent(event: WalletEvent, writer: WalletWriter, receipt: Receipt): Promise<RecordOutcome>;
  /** Owner, currency and balance of each of these wallets that exists (a wallet without entries is absent). */
  walletHeads(walletIds: readonly string[]): Promise<Map<string, WalletHead>>;
  /** Which of these entries are booked already, by `ledgerEntryId`. */
  bookedEntries(entries: readonly LedgerEntryKey[]): Promise<Set<string>>;
}

/** One string per ledger entry key, for sets of them. */
export const ledgerEntryId = (key: LedgerEntryKey) => JSON.stringify([key.walletId, key.owner, key.source, key.id]);

/** A wallet's stored state: the running balance and what the last reconciliation confirmed. */
export interface WalletSnapshot {
  walletId: string;
  /** The warehouse that opened it; its customer profiles are the ones told. */
  owner: string;
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
  /** The profile of `customerId` as warehouse `owner` keeps it (customers of one warehouse are invisible to another). */
  customerProfile(owner: string, customerId: string): Promise<Customer | undefined>;
}

/**
 * Customer profiles per warehouse, kept from shipment states by the stream router for messages
 * that no shipment carries. `mark` is the customer's receipt mark in the state: a profile only
 * ever moves to a higher one.
 */
export interface CustomerProfiles {
  remember(owner: string, customer: Customer, mark: string): Promise<void>;
}

export type StartOutcome = 'started' | 'already-started';

/** Starts workflow executions by name; a name already used is not an error but `already-started`. */
export interface WorkflowStarter {
  start(name: string, input: unknown): Promise<StartOutcome>;
}

/** A shipment's current state alone, without its history (a stall timer's re-check). */
export interface ShipmentStates {
  /** The state, and when the event that set its status was received (undefined when the shipment does not exist). */
  currentState(shipmentId: string): Promise<{ state: ShipmentState; statusReceivedAt: string } | undefined>;
}

/**
 * The deadline a shipment's stall timer is armed for, and the stalls already alerted
 * (docs/alerts.md). Every method is one conditional write, so repeated and concurrent calls agree.
 */
export interface StallDeadlines {
  /**
   * Takes `dueAt` as the deadline unless one no later is armed. Answers what the schedule needs:
   * nothing, to be created, or (a deadline was armed, so its schedule exists) to be moved.
   */
  bringForward(shipmentId: string, dueAt: string): Promise<ScheduleChange>;
  /** After the timer armed for `firedDueAt` fired (its schedule is gone): takes `dueAt` unless another no later was armed since. */
  rearm(shipmentId: string, firedDueAt: string, dueAt: string): Promise<ScheduleChange>;
  /** The timer armed for `firedDueAt` ended with nothing to wait for: no deadline is armed now (unless another was since). */
  end(shipmentId: string, firedDueAt: string): Promise<void>;
  /** Records the stall as alerted and no deadline as armed; false when the stall was alerted already. */
  alerted(shipmentId: string, stallId: string): Promise<boolean>;
}

export type ScheduleChange = 'none' | 'create' | 'move';

/** The one-time schedules that fire a shipment's stall timer. */
export interface StallSchedules {
  /** Creates the shipment's schedule for `dueAt` (`create`), or moves the existing one there (`move`). */
  arm(shipmentId: string, dueAt: string, change: Exclude<ScheduleChange, 'none'>): Promise<void>;
}

/** What is known of an order's size: the shipments seen so far, and the parcel count a warehouse gave. */
export interface OrderSize {
  shipments: number;
  /** The largest `parcelCount` any of its shipments carried (docs/alerts.md, "Known parcel count"). */
  parcelCount?: number;
}

/** A join's answer: in the window with `members` so far, or too late (the window closed before). */
export type WindowJoin = { joined: true; members: number } | { joined: false };

/**
 * Split orders (docs/alerts.md): each order's shipments, and each (order, status) window that
 * the parcels reaching that status join while it is open. Each method is one write (conditional
 * where a race could matter).
 */
export interface OrderWindows {
  /**
   * Counts the shipment into its order once, and keeps the largest parcel count given; answers how
   * many shipments the order is known to have.
   */
  addShipment(owner: string, orderId: string, shipmentId: string, parcelCount?: number): Promise<number>;
  /** How many shipments the order is known to have (0 when none), and its parcel count if one was given. */
  size(owner: string, orderId: string): Promise<OrderSize>;
  /**
   * Joins the (order, status) window with the shipment's status episode (statusEpisode), opening it
   * if need be. Closed already: not joined, unless the shipment joined with this very episode (a
   * replayed record), which its combined message names. A member that entered the status again
   * since (out for delivery again after a missed attempt) is a new episode: not joined, told on its own.
   */
  join(owner: string, orderId: string, status: string, shipmentId: string, episode: string): Promise<WindowJoin>;
  /** Closes the window (again, harmlessly) and answers its members, and when its messages were published if they were. */
  close(owner: string, orderId: string, status: string, closedAt: string): Promise<{ members: string[]; publishedAt?: string }>;
  /** Records that the closed window's messages were published, so a second closing publishes nothing. */
  markPublished(owner: string, orderId: string, status: string, at: string): Promise<void>;
}
