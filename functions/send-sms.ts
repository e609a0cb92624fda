import { createDocumentClient } from '#adapters/dynamo-client.ts';
import { DynamoCustomerContacts } from '#adapters/dynamo-customer-contacts.ts';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { createSnsClient } from '#adapters/sns-notification-publisher.ts';
import { SnsSmsGateway } from '#adapters/sns-sms-gateway.ts';
import { createSqsClient, SqsSmsDeferral } from '#adapters/sqs-sms-deferral.ts';
import { deliverSms, type SmsPorts } from '#lib/app/deliver-notification.ts';
import { createChannelSenderHandler } from '#lib/channel-sender.ts';
import { requireEnv } from '#lib/config.ts';

/** send-sms: SMS from their queue, each claimed, held for quiet hours, sent at most once and recorded. */
export function createSendSmsHandler(ports: SmsPorts) {
  return createChannelSenderHandler('sms', (message) => deliverSms(ports, message));
}

// AWS wiring, built once per container: the claims and the contact look-up share one table client.
const documents = createDocumentClient();
const tableName = requireEnv('TABLE_NAME');

export const handler = createSendSmsHandler({
  claims: new DynamoNotificationClaims(documents, tableName),
  contacts: new DynamoCustomerContacts(documents, tableName),
  sms: new SnsSmsGateway(createSnsClient()),
  deferral: new SqsSmsDeferral(createSqsClient(), requireEnv('SMS_QUEUE_URL')),
  clock: () => new Date(),
});
