import { createDocumentClient } from '#adapters/dynamo-client.ts';
import { DynamoCustomerContacts } from '#adapters/dynamo-customer-contacts.ts';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { createSesClient, SesEmailGateway } from '#adapters/ses-email-gateway.ts';
import { deliverEmail, type EmailPorts } from '#lib/app/deliver-notification.ts';
import { createChannelSenderHandler } from '#lib/channel-sender.ts';
import { requireEnv } from '#lib/config.ts';

/** send-email: emails from their queue, each claimed, sent once with SES v2 and recorded. */
export function createSendEmailHandler(ports: EmailPorts) {
  return createChannelSenderHandler('email', (message) => deliverEmail(ports, message));
}

// AWS wiring, built once per container: the claims and the contact look-up share one table client.
const documents = createDocumentClient();
const tableName = requireEnv('TABLE_NAME');

export const handler = createSendEmailHandler({
  claims: new DynamoNotificationClaims(documents, tableName),
  contacts: new DynamoCustomerContacts(documents, tableName),
  email: new SesEmailGateway(createSesClient(), {
    fromAddress: requireEnv('EMAIL_FROM_ADDRESS'),
    configurationSetName: process.env.EMAIL_CONFIGURATION_SET || undefined,
  }),
  clock: () => new Date(),
});
