import { dailyCapStore } from '#adapters/daily-cap-store.ts';
import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoShipmentStore } from '#adapters/dynamo-shipment-store.ts';
import { DynamoStallDeadlines } from '#adapters/dynamo-stall-deadlines.ts';
import { SchedulerStallSchedules } from '#adapters/scheduler-stall-schedules.ts';
import { SnsNotificationPublisher } from '#adapters/sns-notification-publisher.ts';
import { stallAlertHandler } from '#lib/handlers/stall-alert.ts';
import { dynamoClient, schedulerClient, snsClient, ssmClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings, stallScheduleSettingsOf, stallSettingsOf } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** StallAlertFunction (stall timer queue → a re-check, and the delay message on NotificationsTopic), composed once per container. */
export function composeStallAlert(settings: Settings<'stall-alert'> = loadSettings('stall-alert')) {
  const observability = createObservability();
  const { tracer } = observability;
  const documents = documentClient(dynamoClient(tracer));
  const dailyCap = dailyCapStore(documents, settings, {
    ssm: () => ssmClient(tracer),
    refused: ({ name, problems }) => observability.logger.error('warehouse registration refused', { name, problems }),
  });
  return stallAlertHandler(
    {
      states: new DynamoShipmentStore(documents, settings.TABLE_NAME),
      deadlines: new DynamoStallDeadlines(documents, settings.TABLE_NAME),
      schedules: new SchedulerStallSchedules(schedulerClient(tracer), stallScheduleSettingsOf(settings)),
      publisher: new SnsNotificationPublisher(snsClient(tracer), settings.NOTIFICATIONS_TOPIC_ARN),
      settings: stallSettingsOf(settings),
      clock: () => new Date(),
      ...dailyCap,
    },
    observability,
  );
}
