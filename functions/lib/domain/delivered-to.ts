/**
 * How a delivered parcel was handed over: carriers' "delivered to a neighbour" and "left in a safe
 * place" are details of shipment.delivered (`deliveredTo`), not statuses of their own. A module of
 * its own so the senders need no event schemas.
 */
export const DELIVERED_TO = ['recipient', 'neighbour', 'safe_place'] as const;
export type DeliveredTo = (typeof DELIVERED_TO)[number];
