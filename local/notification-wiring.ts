import { join } from 'node:path';
import { createDocumentClient } from '../functions/lib/adapters/dynamo-client.ts';
import { DynamoCustomerContacts } from '../functions/lib/adapters/dynamo-customer-contacts.ts';
import { DynamoNotificationClaims } from '../functions/lib/adapters/dynamo-notification-claims.ts';
import { LocalOutbox, OutboxEmailGateway, OutboxSmsGateway } from './outbox.ts';
import { LocalMessaging, LocalSmsDeferral, LocalTopicPublisher } from './sns-fanout.ts';
import type { LocalContext, LocalFactory } from './wiring.ts';

/**
 * The notification path locally: the stream-router publishes into the in-process topic
 * (sns-fanout.ts), the senders deliver into the outbox (outbox.ts). DynamoDB is DynamoDB Local,
 * so the claims are the real adapter. One messaging fabric and one outbox per running stack.
 */

const messagingByStack = new WeakMap<LocalContext, LocalMessaging>();
const outboxByStack = new WeakMap<LocalContext, LocalOutbox>();

/** The stack's in-process SNS and SQS, built from the template on first use (also for other publishers to the topic). */
export function localMessaging(context: LocalContext): LocalMessaging {
  let messaging = messagingByStack.get(context);
  if (!messaging) {
    messaging = new LocalMessaging({
      template: context.template,
      names: context.names,
      invoke: context.invoke,
      deadLetterFile: join(context.dataDir, 'sqs-dead-letters.jsonl'),
    });
    const built = messaging;
    context.onSettled(() => built.settled());
    context.onStop(() => built.stop());
    messagingByStack.set(context, messaging);
  }
  return messaging;
}

export function localOutbox(context: LocalContext): LocalOutbox {
  let outbox = outboxByStack.get(context);
  if (!outbox) {
    outbox = new LocalOutbox(context.dataDir);
    const built = outbox;
    context.addLocalRoute('/local/outbox', () => built.list());
    outboxByStack.set(context, outbox);
  }
  return outbox;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`the local stack did not set ${name}`);
  return value;
}

const claims = () => new DynamoNotificationClaims(createDocumentClient(), required('TABLE_NAME'));
/** Wallet messages carry no recipient: the senders read the contact from the customer profile, as on AWS. */
const contacts = () => new DynamoCustomerContacts(createDocumentClient(), required('TABLE_NAME'));
const clock = () => new Date();

export const notificationWiring: Record<string, LocalFactory> = {
  StreamRouterFunction: async (context) => {
    const { createStreamRouterHandler } = await import('../functions/route-stream.ts');
    return createStreamRouterHandler({ publisher: new LocalTopicPublisher(localMessaging(context), required('NOTIFICATIONS_TOPIC_ARN')) });
  },
  SendSmsFunction: async (context) => {
    const { createSendSmsHandler } = await import('../functions/send-sms.ts');
    const optedOut = (process.env.LOCAL_SMS_OPTED_OUT ?? '').split(',').filter(Boolean);
    return createSendSmsHandler({
      claims: claims(),
      contacts: contacts(),
      sms: new OutboxSmsGateway(localOutbox(context), optedOut),
      deferral: new LocalSmsDeferral(localMessaging(context), required('SMS_QUEUE_URL')),
      clock,
    });
  },
  SendEmailFunction: async (context) => {
    const { createSendEmailHandler } = await import('../functions/send-email.ts');
    return createSendEmailHandler({ claims: claims(), contacts: contacts(), email: new OutboxEmailGateway(localOutbox(context)), clock });
  },
};
