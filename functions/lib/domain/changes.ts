import type { Shipment } from './shipment.ts';

/**
 * Changes to the aggregates as the table's stream reports them, decoded by the adapters
 * (adapters/stream-images.ts) for the use cases that react to them.
 */

/** What a shipment was before a write, as far as deciding whom to notify needs: its status and customer. */
export type ShipmentStatusView = Pick<Shipment, 'status' | 'statusTime' | 'customer'>;

/** One write of a shipment aggregate: the aggregate before (none for its first event) and after. */
export interface ShipmentChange {
  /** The stream record's sequence number, what a batch item failure names. */
  sequenceNumber: string;
  before: ShipmentStatusView | undefined;
  after: Shipment;
  /**
   * The warehouse that owns the shipment (the aggregate's `owner`): whose daily notification cap
   * its messages count against. Undefined for an aggregate written before owners were recorded.
   */
  owner: string | undefined;
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
