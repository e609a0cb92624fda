import { DynamoCustomerProfiles } from '#adapters/dynamo-customer-profiles.ts';
import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { DynamoNotificationCounts } from '#adapters/dynamo-notification-counts.ts';
import { DynamoStallDeadlines } from '#adapters/dynamo-stall-deadlines.ts';
import { SchedulerStallSchedules } from '#adapters/scheduler-stall-schedules.ts';
import { SnsNotificationPublisher } from '#adapters/sns-notification-publisher.ts';
import { registryFor } from '#adapters/warehouse-registry.ts';
import { streamRouterHandler } from '#lib/handlers/stream-router.ts';
import { dynamoClient, schedulerClient, snsClient, ssmClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings, stallScheduleSettingsOf, stallSettingsOf } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** StreamRouterFunction (the table's stream → NotificationsTopic, customer profiles and stall timers), composed once per container. */
export function composeStreamRouter(settings: Settings<'stream-router'> = loadSettings('stream-router')) {
  const observability = createObservability();
  const documents = documentClient(dynamoClient(observability.tracer));
  const defaultCap = settings.WAREHOUSE_NOTIFICATIONS_PER_DAY;
  const warehouses = registryFor(settings, {
    ssm: () => ssmClient(observability.tracer),
    // Only the cap matters here; the request limits are the ingest's.
    defaults: { requestsPerSecond: 1, burst: 1, notificationsPerDay: defaultCap },
    refused: ({ name, problems }) => observability.logger.error('warehouse registration refused', { name, problems }),
  });
  return streamRouterHandler(
    {
      publisher: new SnsNotificationPublisher(snsClient(observability.tracer), settings.NOTIFICATIONS_TOPIC_ARN),
      counts: new DynamoNotificationCounts(documents, settings.TABLE_NAME),
      // A warehouse no longer registered (or the shorthand's development one) has the default cap.
      capOf: async (warehouseId) =>
        (await warehouses?.registrations())?.get(warehouseId)?.warehouse.limits.notificationsPerDay ?? defaultCap,
      suppressions: new DynamoNotificationClaims(documents, settings.TABLE_NAME),
      clock: () => new Date(),
      profiles: new DynamoCustomerProfiles(documents, settings.TABLE_NAME),
      stalls: {
        deadlines: new DynamoStallDeadlines(documents, settings.TABLE_NAME),
        schedules: new SchedulerStallSchedules(schedulerClient(observability.tracer), stallScheduleSettingsOf(settings)),
        settings: stallSettingsOf(settings),
      },
    },
    observability,
  );
}
