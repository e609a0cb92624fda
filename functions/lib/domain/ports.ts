import type { ShipmentEvent, WalletEvent } from './cloud-events.ts';
import type { Shipment } from './shipment.ts';

/** Ports: what the use cases need from the outside world, in the domain's words. */

export type RecordOutcome = 'accepted' | 'duplicate';

export interface NotificationRecord {
  status: string;
  channel: string;
  outcome: string;
  at: string;
  reason?: string;
}

export interface StoredShipment {
  shipment: Shipment;
  notifications: NotificationRecord[];
}

export interface ShipmentStore {
  /** Stores the event once under its (source, id) key and folds it into the shipment. */
  recordShipmentEvent(event: ShipmentEvent): Promise<RecordOutcome>;
  getShipment(shipmentId: string): Promise<StoredShipment | undefined>;
}

export interface WalletLedger {
  /** Appends the entry once under its (source, id) key and moves the running balance. */
  recordWalletEvent(event: WalletEvent): Promise<RecordOutcome>;
  /** The currency each wallet is fixed to by its first entry; wallets without entries are absent. */
  walletCurrencies(walletIds: readonly string[]): Promise<Map<string, string>>;
}
