import { DynamoCustomerContacts } from '#adapters/dynamo-customer-contacts.ts';
import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { DynamoSuppressionList } from '#adapters/dynamo-suppression-list.ts';
import { SnsNotificationPublisher } from '#adapters/sns-notification-publisher.ts';
import { recordDeliveryHandler } from '#lib/handlers/record-delivery.ts';
import { dynamoClient, snsClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/**
 * RecordDeliveryFunction (DeliveryEventsQueue → claims, suppression list, fallback to the
 * NotificationsTopic), composed once per container: the claims, the list and the contact look-ups
 * share one table client.
 */
export function composeRecordDelivery(settings: Settings<'record-delivery'> = loadSettings('record-delivery')) {
  const observability = createObservability();
  const { tracer } = observability;
  const documents = documentClient(dynamoClient(tracer));
  return recordDeliveryHandler(
    {
      claims: new DynamoNotificationClaims(documents, settings.TABLE_NAME),
      suppressions: new DynamoSuppressionList(documents, settings.TABLE_NAME),
      contacts: new DynamoCustomerContacts(documents, settings.TABLE_NAME),
      publisher: new SnsNotificationPublisher(snsClient(tracer), settings.NOTIFICATIONS_TOPIC_ARN),
      clock: () => new Date(),
    },
    observability,
  );
}
