import { DynamoCustomerContacts } from '#adapters/dynamo-customer-contacts.ts';
import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { DynamoPreferences } from '#adapters/dynamo-preferences.ts';
import { DynamoSuppressionList } from '#adapters/dynamo-suppression-list.ts';
import { EumSmsGateway } from '#adapters/eum-sms-gateway.ts';
import { SnsNotificationPublisher } from '#adapters/sns-notification-publisher.ts';
import { SqsSmsDeferral } from '#adapters/sqs-sms-deferral.ts';
import { deliverSms } from '#lib/app/deliver-notification.ts';
import { channelSenderHandler } from '#lib/handlers/channel-sender.ts';
import { dynamoClient, smsVoiceClient, snsClient, sqsClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/**
 * SendSmsFunction (SMS queue → End User Messaging SMS), composed once per container: claims, the
 * suppression list, preferences and contact look-ups share one table client; quiet hours put the
 * message back on its own queue; a fallback to email goes to the notifications topic.
 */
export function composeSendSms(settings: Settings<'send-sms'> = loadSettings('send-sms')) {
  const observability = createObservability({ metricDimensions: { channel: 'sms' } });
  const { tracer } = observability;
  const documents = documentClient(dynamoClient(tracer));
  const ports = {
    claims: new DynamoNotificationClaims(documents, settings.TABLE_NAME),
    contacts: new DynamoCustomerContacts(documents, settings.TABLE_NAME),
    suppressions: new DynamoSuppressionList(documents, settings.TABLE_NAME),
    preferences: new DynamoPreferences(documents, settings.TABLE_NAME),
    sms: new EumSmsGateway(smsVoiceClient(tracer), {
      originationIdentity: settings.SMS_ORIGINATION_IDENTITY,
      configurationSetName: settings.SMS_CONFIGURATION_SET,
    }),
    deferral: new SqsSmsDeferral(sqsClient(tracer), settings.SMS_QUEUE_URL),
    publisher: new SnsNotificationPublisher(snsClient(tracer), settings.NOTIFICATIONS_TOPIC_ARN),
    clock: () => new Date(),
  };
  return channelSenderHandler('sms', (message) => deliverSms(ports, message), observability);
}
