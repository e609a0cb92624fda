import { DynamoCustomerContacts } from '#adapters/dynamo-customer-contacts.ts';
import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { SesEmailGateway } from '#adapters/ses-email-gateway.ts';
import { deliverEmail } from '#lib/app/deliver-notification.ts';
import { channelSenderHandler } from '#lib/handlers/channel-sender.ts';
import { dynamoClient, sesClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** SendEmailFunction (email queue → SES v2), composed once per container: claims and contact look-ups share one table client. */
export function composeSendEmail(settings: Settings<'send-email'> = loadSettings('send-email')) {
  const observability = createObservability({ metricDimensions: { channel: 'email' } });
  const { tracer } = observability;
  const documents = documentClient(dynamoClient(tracer));
  const ports = {
    claims: new DynamoNotificationClaims(documents, settings.TABLE_NAME),
    contacts: new DynamoCustomerContacts(documents, settings.TABLE_NAME),
    email: new SesEmailGateway(sesClient(tracer), {
      fromAddress: settings.EMAIL_FROM_ADDRESS,
      configurationSetName: settings.EMAIL_CONFIGURATION_SET,
    }),
    clock: () => new Date(),
  };
  return channelSenderHandler('email', (message) => deliverEmail(ports, message), observability);
}
