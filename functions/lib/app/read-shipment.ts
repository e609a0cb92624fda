import { NotFoundError } from '#domain/errors.ts';
import { maskEmail, maskPhone } from '#domain/masking.ts';
import type { ShipmentStore, StoredShipment } from '#domain/ports.ts';

/** The public read model of a shipment: contact details masked, history ordered by time. */
export function shipmentView({ shipment, notifications }: StoredShipment) {
  const { customer } = shipment;
  return {
    shipmentId: shipment.shipmentId,
    orderId: shipment.orderId,
    status: shipment.status,
    statusTime: shipment.statusTime,
    carrier: shipment.carrier,
    trackingNumber: shipment.trackingNumber,
    trackingUrl: shipment.trackingUrl,
    promisedBy: shipment.promisedBy,
    eta: shipment.eta,
    customer: customer && {
      id: customer.id,
      name: customer.name,
      phone: customer.phone && maskPhone(customer.phone),
      email: customer.email && maskEmail(customer.email),
      locale: customer.locale,
      timeZone: customer.timeZone,
      channels: customer.channels,
    },
    timeline: shipment.timeline.map(({ source, id, status, time, data }) => {
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
