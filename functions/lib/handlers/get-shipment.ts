import type { ShipmentStore } from '#domain/ports.ts';
import { readShipment } from '#lib/app/read-shipment.ts';
import { jsonResponse } from '#lib/http/problem.ts';
import { pathIdentifier } from '#lib/http/request.ts';
import type { Observability } from '#lib/runtime/observability.ts';
import { type HttpHandler, httpHandler } from './middleware.ts';

/** GET /v1/shipments/{shipmentId}?order=oldest|newest&cursor=… (GetShipmentFunction): the state and one page of history. */
export function getShipmentHandler(store: ShipmentStore, observability: Observability): HttpHandler {
  return httpHandler(observability).handler(async (request) => {
    const shipmentId = pathIdentifier(request, 'shipmentId');
    const { order, cursor } = request.queryStringParameters ?? {};
    return jsonResponse(200, await readShipment(store, shipmentId, { order, cursor }));
  });
}
