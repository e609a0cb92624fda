import { DynamoCustomerContacts } from '#adapters/dynamo-customer-contacts.ts';
import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { SnsSmsGateway } from '#adapters/sns-sms-gateway.ts';
import { SqsSmsDeferral } from '#adapters/sqs-sms-deferral.ts';
import { deliverSms } from '#lib/app/deliver-notification.ts';
import { channelSenderHandler } from '#lib/handlers/channel-sender.ts';
import { dynamoClient, snsClient, sqsClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/**
 * SendSmsFunction (SMS queue → SNS SMS), composed once per container: claims and contact look-ups
 * share one table client; quiet hours put the message back on its own queue.
 */
export function composeSendSms(settings: Settings<'send-sms'> = loadSettings('send-sms')) {
  const observability = createObservability({ metricDimensions: { channel: 'sms' } });
  const { tracer } = observability;
  const documents = documentClient(dynamoClient(tracer));
  const ports = {
    claims: new DynamoNotificationClaims(documents, settings.TABLE_NAME),
    contacts: new DynamoCustomerContacts(documents, settings.TABLE_NAME),
    sms: new SnsSmsGateway(snsClient(tracer)),
    deferral: new SqsSmsDeferral(sqsClient(tracer), settings.SMS_QUEUE_URL),
    clock: () => new Date(),
  };
  return channelSenderHandler('sms', (message) => deliverSms(ports, message), observability);
}
