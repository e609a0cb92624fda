/**
 * The single table's key design (docs/data-model.md). Every identifier is URI-encoded so a
 * `#` inside a source or id can never make two different keys collide.
 */
const part = (value: string) => encodeURIComponent(value);

export const keys = {
  event: (source: string, id: string) => ({ PK: `EVENT#${part(source)}#${part(id)}`, SK: 'EVENT' }),
  shipment: (shipmentId: string) => ({ PK: `SHIPMENT#${part(shipmentId)}`, SK: 'SHIPMENT' }),
  shipmentPartition: (shipmentId: string) => `SHIPMENT#${part(shipmentId)}`,
  notification: (shipmentId: string, status: string, channel: string) => ({
    PK: `SHIPMENT#${part(shipmentId)}`,
    SK: `NOTIFICATION#${status}#${channel}`,
  }),
  /** Contact details by customer, so wallet messages reach the people shipments introduced. */
  customer: (customerId: string) => ({ PK: `CUSTOMER#${part(customerId)}`, SK: 'PROFILE' }),
  wallet: (walletId: string) => ({ PK: `WALLET#${part(walletId)}`, SK: 'WALLET' }),
  walletPartition: (walletId: string) => `WALLET#${part(walletId)}`,
  /** Claim of a confirmed-balance message: one per (wallet, reconciliation, channel). */
  walletNotification: (walletId: string, reconciliation: string, channel: string) => ({
    PK: `WALLET#${part(walletId)}`,
    SK: `NOTIFICATION#${part(reconciliation)}#${channel}`,
  }),
  /** Parcelcast's suppression list: one item per contact, keyed by its digest (domain/suppression.ts), never the contact. */
  suppression: (channel: string, digest: string) => ({ PK: `SUPPRESSION#${channel}#${digest}`, SK: 'SUPPRESSION' }),
  /** A customer's choice for one channel, beside their profile; per owner warehouse and customer when the owner is known. */
  preference: (customer: { customerId: string; owner?: string | undefined }, channel: string) => ({
    PK: customer.owner ? `CUSTOMER#${part(customer.owner)}#${part(customer.customerId)}` : `CUSTOMER#${part(customer.customerId)}`,
    SK: `PREFERENCE#${channel}`,
  }),
  ledgerEntry: (walletId: string, source: string, id: string) => ({
    PK: `WALLET#${part(walletId)}`,
    SK: `LEDGER#${part(source)}#${part(id)}`,
  }),
  /** A warehouse's notification count of one UTC day (docs/warehouses.md), kept by the stream router. */
  warehouseDay: (warehouseId: string, day: string) => ({ PK: `WAREHOUSE#${part(warehouseId)}`, SK: `NOTIFICATIONS#${day}` }),
} as const;

export const SORT_KEY = {
  shipment: 'SHIPMENT',
  wallet: 'WALLET',
  notificationPrefix: 'NOTIFICATION#',
  preferencePrefix: 'PREFERENCE#',
  ledgerPrefix: 'LEDGER#',
} as const;
