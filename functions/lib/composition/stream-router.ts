import { DynamoCustomerProfiles } from '#adapters/dynamo-customer-profiles.ts';
import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoStallDeadlines } from '#adapters/dynamo-stall-deadlines.ts';
import { SchedulerStallSchedules } from '#adapters/scheduler-stall-schedules.ts';
import { SnsNotificationPublisher } from '#adapters/sns-notification-publisher.ts';
import { streamRouterHandler } from '#lib/handlers/stream-router.ts';
import { dynamoClient, schedulerClient, snsClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings, stallScheduleSettingsOf, stallSettingsOf } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** StreamRouterFunction (the table's stream → NotificationsTopic, customer profiles and stall timers), composed once per container. */
export function composeStreamRouter(settings: Settings<'stream-router'> = loadSettings('stream-router')) {
  const observability = createObservability();
  const publisher = new SnsNotificationPublisher(snsClient(observability.tracer), settings.NOTIFICATIONS_TOPIC_ARN);
  const documents = documentClient(dynamoClient(observability.tracer));
  const profiles = new DynamoCustomerProfiles(documents, settings.TABLE_NAME);
  const stalls = {
    deadlines: new DynamoStallDeadlines(documents, settings.TABLE_NAME),
    schedules: new SchedulerStallSchedules(schedulerClient(observability.tracer), stallScheduleSettingsOf(settings)),
    settings: stallSettingsOf(settings),
    clock: () => new Date(),
  };
  return streamRouterHandler({ publisher, profiles, stalls }, observability);
}
