import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoShipmentStore } from '#adapters/dynamo-shipment-store.ts';
import { getShipmentHandler } from '#lib/handlers/get-shipment.ts';
import { dynamoClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** GetShipmentFunction (GET /v1/shipments/{shipmentId}), composed once per container. */
export function composeGetShipment(settings: Settings<'get-shipment'> = loadSettings('get-shipment')) {
  const observability = createObservability();
  const documents = documentClient(dynamoClient(observability.tracer));
  return getShipmentHandler(new DynamoShipmentStore(documents, settings.TABLE_NAME), observability);
}
