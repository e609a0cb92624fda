import type { Shipment } from './shipment.ts';

/**
 * Changes to the aggregates as the table's stream reports them, decoded by the adapters
 * (adapters/stream-images.ts) for the use cases that react to them.
 */

/** One write of a shipment aggregate: the aggregate before (none for its first event) and after. */
export interface ShipmentChange {
  /** The stream record's sequence number, what a batch item failure names. */
  sequenceNumber: string;
  before: Shipment | undefined;
  after: Shipment;
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
