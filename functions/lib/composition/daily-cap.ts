import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { DynamoNotificationCounts } from '#adapters/dynamo-notification-counts.ts';
import { registryFor } from '#adapters/warehouse-registry.ts';
import type { DailyCapPorts } from '#lib/app/daily-cap.ts';
import { ssmClient } from '#lib/runtime/aws-clients.ts';
import type { Observability } from '#lib/runtime/observability.ts';

/**
 * The daily notification cap's ports, wired alike for every function that publishes shipment
 * messages (stream router, stall alerts, split-order windows): each warehouse's cap from the
 * registry, the default for one no longer registered (or the shorthand's development one).
 */
export function dailyCapPorts(
  settings: {
    TABLE_NAME: string;
    WAREHOUSE_NOTIFICATIONS_PER_DAY: number;
    WEBHOOK_SECRETS?: string | undefined;
    WAREHOUSE_REGISTRY_PATH?: string | undefined;
    WAREHOUSE_REGISTRY_CACHE_SECONDS: number;
  },
  documents: DynamoDBDocumentClient,
  observability: Observability,
): DailyCapPorts {
  const defaultCap = settings.WAREHOUSE_NOTIFICATIONS_PER_DAY;
  const warehouses = registryFor(settings, {
    ssm: () => ssmClient(observability.tracer),
    // Only the cap matters here; the request limits are the ingest's.
    defaults: { requestsPerSecond: 1, burst: 1, notificationsPerDay: defaultCap },
    refused: ({ name, problems }) => observability.logger.error('warehouse registration refused', { name, problems }),
  });
  return {
    counts: new DynamoNotificationCounts(documents, settings.TABLE_NAME),
    capOf: async (warehouseId) => (await warehouses?.registrations())?.get(warehouseId)?.warehouse.limits.notificationsPerDay ?? defaultCap,
    suppressions: new DynamoNotificationClaims(documents, settings.TABLE_NAME),
    clock: () => new Date(),
  };
}
