import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { DynamoNotificationCounts } from '#adapters/dynamo-notification-counts.ts';
import { type RefusedEntry, registryFor } from '#adapters/warehouse-registry.ts';

/**
 * The stored side of each warehouse's daily notification cap (app/daily-cap.ts), wired the same
 * way for every function that publishes customer messages (stream router, stall alerts, order
 * windows): today's counts, the cap from the warehouse registry (its override, else the default)
 * and the claims a message over the cap is suppressed on. The caller adds its clock.
 */
export function dailyCapStore(
  documents: DynamoDBDocumentClient,
  settings: {
    TABLE_NAME: string;
    WAREHOUSE_NOTIFICATIONS_PER_DAY: number;
    WEBHOOK_SECRETS?: string | undefined;
    WAREHOUSE_REGISTRY_PATH?: string | undefined;
    WAREHOUSE_REGISTRY_CACHE_SECONDS: number;
  },
  options: { ssm: () => SSMClient; refused: RefusedEntry },
) {
  const defaultCap = settings.WAREHOUSE_NOTIFICATIONS_PER_DAY;
  const warehouses = registryFor(settings, {
    ssm: options.ssm,
    // Only the cap is read here; the request limits are the ingest's.
    defaults: { requestsPerSecond: 1, burst: 1, notificationsPerDay: defaultCap },
    refused: options.refused,
  });
  return {
    counts: new DynamoNotificationCounts(documents, settings.TABLE_NAME),
    // A warehouse no longer registered (or the shorthand's development one) has the default cap.
    capOf: async (warehouseId: string) =>
      (await warehouses?.registrations())?.get(warehouseId)?.warehouse.limits.notificationsPerDay ?? defaultCap,
    suppressions: new DynamoNotificationClaims(documents, settings.TABLE_NAME),
  };
}
