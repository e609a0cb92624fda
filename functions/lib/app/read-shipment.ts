import { NotFoundError } from '#domain/errors.ts';
import { maskEmail, maskPhone } from '#domain/masking.ts';
import type { ShipmentStore, StoredShipment } from '#domain/ports.ts';

/** The public read model of a shipment: contact details masked, history ordered by time. */
export function shipmentView({ shipment, notifications }: StoredShipment) {
  const { customer, timeline, ...summary } = shipment;
  return {
    ...summary,
    ...(customer
      ? {
          customer: {
            ...customer,
            ...(customer.phone ? { phone: maskPhone(customer.phone) } : {}),
            ...(customer.email ? { email: maskEmail(customer.email) } : {}),
          },
        }
      : {}),
    timeline: timeline.map(({ source, id, status, time, data }) => {
      const { shipmentId: _id, customer: _customer, ...details } = data;
      return { status, time, source, id, ...(Object.keys(details).length > 0 ? { details } : {}) };
    }),
    notifications,
  };
}

export async function readShipment(store: ShipmentStore, shipmentId: string) {
  const stored = await store.getShipment(shipmentId);
  if (!stored) throw new NotFoundError(`No shipment ${shipmentId} is known.`);
  return shipmentView(stored);
}
