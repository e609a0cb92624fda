/**
 * The single table's key design (docs/data-model.md). Every identifier is URI-encoded so a
 * `#` inside a source or id can never make two different keys collide.
 */
const part = (value: string) => encodeURIComponent(value);

export const keys = {
  /** A shipment's current state (small, bounded): status, details, customer, owner. */
  shipment: (shipmentId: string) => ({ PK: `SHIPMENT#${part(shipmentId)}`, SK: 'SHIPMENT' }),
  shipmentPartition: (shipmentId: string) => `SHIPMENT#${part(shipmentId)}`,
  /**
   * One event of a shipment's history, under its idempotency key (warehouse, source, id). The
   * `Timeline` index orders the same items by event time (`timelineKey`).
   */
  shipmentEvent: (shipmentId: string, warehouseId: string, source: string, id: string) => ({
    PK: `SHIPMENT#${part(shipmentId)}`,
    SK: `EVENT#${part(warehouseId)}#${part(source)}#${part(id)}`,
  }),
  /**
   * A shipment notification's claim: `status` is a status, or a stall's or a new date's own name
   * (`stalled@…`, `revised@…`); a status message's claim is per episode, `<status>@<episode>`
   * (docs/data-model.md). Claims written before episodes, `NOTIFICATION#<status>#<channel>`, stay.
   */
  notification: (shipmentId: string, status: string, channel: string, episode?: string) => ({
    PK: `SHIPMENT#${part(shipmentId)}`,
    SK: `NOTIFICATION#${episode === undefined ? status : `${status}@${episode}`}#${channel}`,
  }),
  /**
   * A split order (docs/alerts.md): its shipment count (SK ORDER), each status's window
   * (SK WINDOW#<status>) and the claims of its combined messages. Orders are per owner.
   */
  order: (owner: string, orderId: string) => ({ PK: `ORDER#${part(owner)}#${part(orderId)}`, SK: 'ORDER' }),
  orderWindow: (owner: string, orderId: string, status: string) => ({
    PK: `ORDER#${part(owner)}#${part(orderId)}`,
    SK: `WINDOW#${status}`,
  }),
  orderNotification: (owner: string, orderId: string, status: string, channel: string) => ({
    PK: `ORDER#${part(owner)}#${part(orderId)}`,
    SK: `NOTIFICATION#${status}#${channel}`,
  }),
  /** A shipment's stall timer: the deadline it is armed for and the last stall alerted (docs/alerts.md). */
  stall: (shipmentId: string) => ({ PK: `SHIPMENT#${part(shipmentId)}`, SK: 'STALL' }),
  /** Contact details by warehouse and customer, so wallet messages reach the people shipments introduced. */
  customer: (warehouseId: string, customerId: string) => ({ PK: `CUSTOMER#${part(warehouseId)}#${part(customerId)}`, SK: 'PROFILE' }),
  wallet: (walletId: string) => ({ PK: `WALLET#${part(walletId)}`, SK: 'WALLET' }),
  walletPartition: (walletId: string) => `WALLET#${part(walletId)}`,
  /** Claim of a confirmed-balance message: one per (wallet, reconciliation, channel). */
  walletNotification: (walletId: string, reconciliation: string, channel: string) => ({
    PK: `WALLET#${part(walletId)}`,
    SK: `NOTIFICATION#${part(reconciliation)}#${channel}`,
  }),
  /** Parcelcast's suppression list: one item per contact, keyed by its digest (domain/suppression.ts), never the contact. */
  suppression: (channel: string, digest: string) => ({ PK: `SUPPRESSION#${channel}#${digest}`, SK: 'SUPPRESSION' }),
  /** A customer's choice for one channel, beside their profile: customers are per warehouse, so per owner and customer. */
  preference: (customer: { customerId: string; owner: string }, channel: string) => ({
    PK: `CUSTOMER#${part(customer.owner)}#${part(customer.customerId)}`,
    SK: `PREFERENCE#${channel}`,
  }),
  /** A ledger entry, which is also the wallet event's record under its idempotency key (warehouse, source, id). */
  ledgerEntry: (walletId: string, warehouseId: string, source: string, id: string) => ({
    PK: `WALLET#${part(walletId)}`,
    SK: `LEDGER#${part(warehouseId)}#${part(source)}#${part(id)}`,
  }),
  /** A warehouse's notification count of one UTC day (docs/warehouses.md), kept by the stream router. */
  warehouseDay: (warehouseId: string, day: string) => ({ PK: `WAREHOUSE#${part(warehouseId)}`, SK: `NOTIFICATIONS#${day}` }),
} as const;

export const SORT_KEY = {
  shipment: 'SHIPMENT',
  wallet: 'WALLET',
  eventPrefix: 'EVENT#',
  notificationPrefix: 'NOTIFICATION#',
  preferencePrefix: 'PREFERENCE#',
  ledgerPrefix: 'LEDGER#',
} as const;

/** The local secondary index that orders a shipment's events by `timelineKey` (template.yaml). */
export const TIMELINE_INDEX = { name: 'Timeline', sortKey: 'timelineKey' } as const;

/**
 * The event item's sort key from its timeline key: both end in the same encoded
 * `<warehouse>#<source>#<id>`, so a page cursor needs to carry only the timeline key.
 */
export function eventSortKeyOf(timelineKey: string): string | undefined {
  const parts = timelineKey.split('#');
  return parts.length === 5 ? `${SORT_KEY.eventPrefix}${parts.slice(2).join('#')}` : undefined;
}
