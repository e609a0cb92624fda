import { dailyCapStore } from '#adapters/daily-cap-store.ts';
import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoOrderWindows } from '#adapters/dynamo-order-windows.ts';
import { DynamoShipmentStore } from '#adapters/dynamo-shipment-store.ts';
import { SnsNotificationPublisher } from '#adapters/sns-notification-publisher.ts';
import { closeOrderWindowHandler } from '#lib/handlers/close-order-window.ts';
import { dynamoClient, snsClient, ssmClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** CloseOrderWindowFunction (the SplitOrderWindow state machine's CloseWindow task), composed once per container. */
export function composeCloseOrderWindow(settings: Settings<'close-order-window'> = loadSettings('close-order-window')) {
  const observability = createObservability();
  const { tracer } = observability;
  const documents = documentClient(dynamoClient(tracer));
  const dailyCap = dailyCapStore(documents, settings, {
    ssm: () => ssmClient(tracer),
    refused: ({ name, problems }) => observability.logger.error('warehouse registration refused', { name, problems }),
  });
  return closeOrderWindowHandler(
    {
      windows: new DynamoOrderWindows(documents, settings.TABLE_NAME),
      states: new DynamoShipmentStore(documents, settings.TABLE_NAME),
      publisher: new SnsNotificationPublisher(snsClient(tracer), settings.NOTIFICATIONS_TOPIC_ARN),
      clock: () => new Date(),
      ...dailyCap,
    },
    observability,
  );
}
