import type { Customer, ShipmentState } from './shipment.ts';

/**
 * Changes to the stored state as the table's stream reports them, decoded by the adapters
 * (adapters/stream-images.ts) for the use cases that react to them.
 */

/**
 * What a shipment was before a write, as far as reacting to it needs: its status and the status's
 * details (whether the same status again is news), its customer and the customer's precedence mark
 * (the profile follows the customer only when that moved).
 */
export type ShipmentStatusView = Pick<
  ShipmentState,
  'status' | 'statusTime' | 'customer' | 'estimatedDelivery' | 'orderId' | 'parcelCount'
> & {
  statusDetails?: Record<string, string>;
  customerMark?: string;
};

/** One write of a shipment's state: the state before (none for its first event) and after. */
export interface ShipmentChange {
  /** The stream record's sequence number, what a batch item failure names. */
  sequenceNumber: string;
  before: ShipmentStatusView | undefined;
  after: ShipmentState;
}

/** One write of a wallet item: what deciding on a reconciliation needs of it. */
export interface WalletChange {
  sequenceNumber: string;
  walletId: string;
  /** Bumped by every ledger entry. */
  version: number;
  /** The version before this write; undefined for the wallet's first entry. */
  previousVersion: number | undefined;
  /** When ingest booked the wallet's latest entry. */
  lastEntryAt: string;
  reconciliationPending: boolean;
}

/**
 * The customer profile a shipment change calls for keeping (docs/data-model.md, "Customer
 * profiles"): the state's customer, under its owner, whenever the customer's mark moved.
 */
export function profileToKeep(change: ShipmentChange): { owner: string; customer: Customer; mark: string } | undefined {
  const { customer, marks, owner } = change.after;
  if (!customer || marks.customer === undefined || marks.customer === change.before?.customerMark) return undefined;
  return { owner, customer, mark: marks.customer };
}
