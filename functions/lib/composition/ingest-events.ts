import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoNotificationCounts } from '#adapters/dynamo-notification-counts.ts';
import { DynamoShipmentStore } from '#adapters/dynamo-shipment-store.ts';
import { DynamoWallets } from '#adapters/dynamo-wallets.ts';
import { registryFor } from '#adapters/warehouse-registry.ts';
import { ConfigurationError } from '#domain/errors.ts';
import { RequestRateLimiter } from '#domain/request-rate.ts';
import { ingestEventsHandler } from '#lib/handlers/ingest-events.ts';
import { SignatureVerifier } from '#lib/http/webhook-signature.ts';
import { dynamoClient, ssmClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/**
 * IngestFunction (POST /v1/warehouses/{warehouseId}/events, POST /v1/events), composed once per container.
 */
export function composeIngestEvents(settings: Settings<'ingest-events'> = loadSettings('ingest-events')) {
  const observability = createObservability();
  const documents = documentClient(dynamoClient(observability.tracer));
  const warehouses = registryFor(settings, {
    ssm: () => ssmClient(observability.tracer),
    defaults: {
      requestsPerSecond: settings.WAREHOUSE_REQUESTS_PER_SECOND,
      burst: settings.WAREHOUSE_REQUEST_BURST,
      notificationsPerDay: settings.WAREHOUSE_NOTIFICATIONS_PER_DAY,
    },
    // Loud: that warehouse's requests are all refused until it is fixed. The values hold secrets and are never logged.
    refused: ({ name, problems }) => observability.logger.error('warehouse registration refused', { name, problems }),
  });
  if (!warehouses) throw new ConfigurationError('set WAREHOUSE_REGISTRY_PATH or WEBHOOK_SECRETS: where the warehouses are registered');
  return ingestEventsHandler(
    {
      shipments: new DynamoShipmentStore(documents, settings.TABLE_NAME),
      wallets: new DynamoWallets(documents, settings.TABLE_NAME),
      warehouses,
      signatures: new SignatureVerifier(),
      rate: new RequestRateLimiter(),
      counts: new DynamoNotificationCounts(documents, settings.TABLE_NAME),
    },
    observability,
  );
}
