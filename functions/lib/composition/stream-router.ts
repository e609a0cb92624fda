import { DynamoCustomerProfiles } from '#adapters/dynamo-customer-profiles.ts';
import { documentClient } from '#adapters/dynamo-documents.ts';
import { SnsNotificationPublisher } from '#adapters/sns-notification-publisher.ts';
import { streamRouterHandler } from '#lib/handlers/stream-router.ts';
import { dynamoClient, snsClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** StreamRouterFunction (the table's stream → NotificationsTopic, and customer profiles), composed once per container. */
export function composeStreamRouter(settings: Settings<'stream-router'> = loadSettings('stream-router')) {
  const observability = createObservability();
  const publisher = new SnsNotificationPublisher(snsClient(observability.tracer), settings.NOTIFICATIONS_TOPIC_ARN);
  const profiles = new DynamoCustomerProfiles(documentClient(dynamoClient(observability.tracer)), settings.TABLE_NAME);
  return streamRouterHandler({ publisher, profiles }, observability);
}
