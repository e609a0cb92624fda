import { dailyCapStore } from '#adapters/daily-cap-store.ts';
import { DynamoCustomerProfiles } from '#adapters/dynamo-customer-profiles.ts';
import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoOrderWindows } from '#adapters/dynamo-order-windows.ts';
import { DynamoStallDeadlines } from '#adapters/dynamo-stall-deadlines.ts';
import { SchedulerStallSchedules } from '#adapters/scheduler-stall-schedules.ts';
import { SfnWorkflowStarter } from '#adapters/sfn-workflow-starter.ts';
import { SnsNotificationPublisher } from '#adapters/sns-notification-publisher.ts';
import { streamRouterHandler } from '#lib/handlers/stream-router.ts';
import { dynamoClient, schedulerClient, sfnClient, snsClient, ssmClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings, stallScheduleSettingsOf, stallSettingsOf } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** StreamRouterFunction (the table's stream → NotificationsTopic, customer profiles, stall timers and split-order windows), composed once per container. */
export function composeStreamRouter(settings: Settings<'stream-router'> = loadSettings('stream-router')) {
  const observability = createObservability();
  const documents = documentClient(dynamoClient(observability.tracer));
  const dailyCap = dailyCapStore(documents, settings, {
    ssm: () => ssmClient(observability.tracer),
    refused: ({ name, problems }) => observability.logger.error('warehouse registration refused', { name, problems }),
  });
  return streamRouterHandler(
    {
      publisher: new SnsNotificationPublisher(snsClient(observability.tracer), settings.NOTIFICATIONS_TOPIC_ARN),
      ...dailyCap,
      clock: () => new Date(),
      profiles: new DynamoCustomerProfiles(documents, settings.TABLE_NAME),
      stalls: {
        deadlines: new DynamoStallDeadlines(documents, settings.TABLE_NAME),
        schedules: new SchedulerStallSchedules(schedulerClient(observability.tracer), stallScheduleSettingsOf(settings)),
        settings: stallSettingsOf(settings),
      },
      orders: {
        windows: new DynamoOrderWindows(documents, settings.TABLE_NAME),
        starter: new SfnWorkflowStarter(sfnClient(observability.tracer), settings.SPLIT_ORDER_STATE_MACHINE_ARN),
        windowSeconds: settings.SPLIT_ORDER_WINDOW_SECONDS,
      },
    },
    observability,
  );
}
