import * as z from 'zod/mini';
import { NotFoundError, ValidationError } from '#domain/errors.ts';
import { DYNAMODB_SORT_KEY_MAX_BYTES } from '#domain/key-limits.ts';
import { maskEmail, maskPhone } from '#domain/masking.ts';
import type { HistoryPage, ShipmentStore, StoredShipment } from '#domain/ports.ts';

/** Entries per page of GET /v1/shipments/{id} (docs/openapi.json, README). */
export const HISTORY_PAGE_SIZE = 50;

export const HISTORY_ORDERS = ['oldest', 'newest'] as const;
export type HistoryOrder = (typeof HISTORY_ORDERS)[number];

/** What the client asked for: `?order=oldest|newest&cursor=…`, as the query string had them. */
export interface ShipmentQuery {
  order?: string | undefined;
  cursor?: string | undefined;
}

/**
 * A timeline key as this API hands them out in cursors: `<time>#<stage>#<owner>#<source>#<id>`
 * with the last three URI-encoded (domain/shipment.ts `timelineKey`).
 */
const TIMELINE_KEY = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#\d\d(#[A-Za-z0-9\-_.!~*'()%]+){3}$/;

/** The inside of a cursor: which shipment, in which order, after which entry. */
const cursorSchema = z.strictObject({
  shipmentId: z.string(),
  order: z.enum(HISTORY_ORDERS),
  after: z.string().check(z.maxLength(DYNAMODB_SORT_KEY_MAX_BYTES), z.regex(TIMELINE_KEY)),
});

const BAD_CURSOR = 'is not a cursor this API gave out for this shipment; start again without one';

/** The opaque cursor of the page after `after`: base64url JSON, validated field by field when it comes back. */
export function encodeCursor(shipmentId: string, order: HistoryOrder, after: string): string {
  return Buffer.from(JSON.stringify({ shipmentId, order, after })).toString('base64url');
}

/** The page a query asks for; a malformed `order` or `cursor` is the client's 400, never a failed read. */
export function historyPage(shipmentId: string, query: ShipmentQuery): HistoryPage {
  const order = query.order ?? undefined;
  if (order !== undefined && !(HISTORY_ORDERS as readonly string[]).includes(order)) {
    throw new ValidationError([{ path: 'order', message: `must be one of ${HISTORY_ORDERS.join(', ')}` }], 'Invalid query.');
  }
  if (query.cursor === undefined || query.cursor === '') return { order: (order as HistoryOrder) ?? 'oldest', limit: HISTORY_PAGE_SIZE };
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ValidationError([{ path: 'cursor', message: BAD_CURSOR }], 'Invalid query.');
  }
  const cursor = cursorSchema.safeParse(decoded);
  if (!cursor.success || cursor.data.shipmentId !== shipmentId) {
    throw new ValidationError([{ path: 'cursor', message: BAD_CURSOR }], 'Invalid query.');
  }
  if (order !== undefined && order !== cursor.data.order) {
    throw new ValidationError(
      [{ path: 'order', message: `must be the cursor's order (${cursor.data.order}) or left out` }],
      'Invalid query.',
    );
  }
  return { order: cursor.data.order, after: cursor.data.after, limit: HISTORY_PAGE_SIZE };
}

/** The public read model of a shipment: its current state, contact details masked, and one page of its history. */
export function shipmentView({ state, entries, nextAfter, notifications }: StoredShipment, page: HistoryPage) {
  const { customer } = state;
  return {
    shipmentId: state.shipmentId,
    owner: state.owner,
    orderId: state.orderId,
    parcelCount: state.parcelCount,
    status: state.status,
    statusTime: state.statusTime,
    ...(Object.keys(state.statusDetails).length > 0 ? { statusDetails: state.statusDetails } : {}),
    carrier: state.carrier,
    trackingNumber: state.trackingNumber,
    trackingUrl: state.trackingUrl,
    promisedBy: state.promisedBy,
    eta: state.eta,
    estimatedDelivery: state.estimatedDelivery,
    originalEstimatedDelivery: state.originalEstimatedDelivery,
    customer: customer && {
      id: customer.id,
      name: customer.name,
      phone: customer.phone && maskPhone(customer.phone),
      email: customer.email && maskEmail(customer.email),
      locale: customer.locale,
      timeZone: customer.timeZone,
      channels: customer.channels,
    },
    order: page.order,
    timeline: entries.map(({ source, id, status, time, data, receivedAt }) => {
      const { shipmentId: _id, customer: _customer, ...details } = data;
      return { status, time, source, id, receivedAt, ...(Object.keys(details).length > 0 ? { details } : {}) };
    }),
    nextCursor: nextAfter === undefined ? null : encodeCursor(state.shipmentId, page.order, nextAfter),
    notifications: inTimeOrder(notifications),
  };
}

/**
 * A shipment's messages oldest first: a status is told once per entry into it, so one status may
 * have several, each under the time it was entered (`statusTime`). Stall alerts, new dates and
 * claims written before episodes have no such time and take their send time (else their last change).
 * The sort is stable: a status's messages of one entry keep the table's channel order.
 */
function inTimeOrder(notifications: StoredShipment['notifications']): StoredShipment['notifications'] {
  const timeOf = (n: StoredShipment['notifications'][number]) => n.statusTime ?? n.sentAt ?? n.at;
  return [...notifications].sort((a, b) => (timeOf(a) < timeOf(b) ? -1 : timeOf(a) > timeOf(b) ? 1 : 0));
}

export async function readShipment(store: ShipmentStore, shipmentId: string, query: ShipmentQuery = {}) {
  const page = historyPage(shipmentId, query);
  const stored = await store.getShipment(shipmentId, page);
  if (!stored) throw new NotFoundError(`No shipment ${shipmentId} is known.`);
  return shipmentView(stored, page);
}
