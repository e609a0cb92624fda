import { DynamoCustomerContacts } from '#adapters/dynamo-customer-contacts.ts';
import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { DynamoPreferences } from '#adapters/dynamo-preferences.ts';
import { DynamoSuppressionList } from '#adapters/dynamo-suppression-list.ts';
import { SesEmailGateway } from '#adapters/ses-email-gateway.ts';
import { SignedPreferenceLinks } from '#adapters/signed-preference-links.ts';
import { SnsNotificationPublisher } from '#adapters/sns-notification-publisher.ts';
import { SsmSecretList } from '#adapters/ssm-secret-list.ts';
import { deliverEmail } from '#lib/app/deliver-notification.ts';
import { channelSenderHandler } from '#lib/handlers/channel-sender.ts';
import { dynamoClient, sesClient, snsClient, ssmClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/**
 * SendEmailFunction (email queue → SES v2), composed once per container: claims, the suppression
 * list, preferences and contact look-ups share one table client; the preference links are signed
 * with the secret from SSM; a fallback to SMS goes to the notifications topic.
 */
export function composeSendEmail(settings: Settings<'send-email'> = loadSettings('send-email')) {
  const observability = createObservability({ metricDimensions: { channel: 'email' } });
  const { tracer } = observability;
  const documents = documentClient(dynamoClient(tracer));
  const clock = () => new Date();
  const secrets = new SsmSecretList(ssmClient(tracer), settings.PREFERENCE_SECRETS_PARAMETER);
  const ports = {
    claims: new DynamoNotificationClaims(documents, settings.TABLE_NAME),
    contacts: new DynamoCustomerContacts(documents, settings.TABLE_NAME),
    suppressions: new DynamoSuppressionList(documents, settings.TABLE_NAME),
    preferences: new DynamoPreferences(documents, settings.TABLE_NAME),
    email: new SesEmailGateway(sesClient(tracer), {
      fromAddress: settings.EMAIL_FROM_ADDRESS,
      configurationSetName: settings.EMAIL_CONFIGURATION_SET,
    }),
    links: new SignedPreferenceLinks(settings.PREFERENCES_BASE_URL, secrets.read, clock),
    publisher: new SnsNotificationPublisher(snsClient(tracer), settings.NOTIFICATIONS_TOPIC_ARN),
    clock,
  };
  return channelSenderHandler('email', (message) => deliverEmail(ports, message), observability);
}
