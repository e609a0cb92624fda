import { composeGetShipment } from './lib/composition/get-shipment.ts';

// GetShipmentFunction: GET /v1/shipments/{shipmentId}. Composed once per container, at cold start.
export const handler = composeGetShipment();
