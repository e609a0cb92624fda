import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoCustomerContacts } from '../functions/lib/adapters/dynamo-customer-contacts.ts';
import { documentClient } from '../functions/lib/adapters/dynamo-documents.ts';
import { DynamoNotificationClaims } from '../functions/lib/adapters/dynamo-notification-claims.ts';
import { deliverEmail, deliverSms } from '../functions/lib/app/deliver-notification.ts';
import { channelSenderHandler } from '../functions/lib/handlers/channel-sender.ts';
import { streamRouterHandler } from '../functions/lib/handlers/stream-router.ts';
import { createObservability } from '../functions/lib/runtime/observability.ts';
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

// DynamoDB Local is reached through AWS_ENDPOINT_URL_DYNAMODB, which the stack sets.
const documents = () => documentClient(new DynamoDBClient({}));
const claims = () => new DynamoNotificationClaims(documents(), required('TABLE_NAME'));
/** Wallet messages carry no recipient: the senders read the contact from the customer profile, as on AWS. */
const contacts = () => new DynamoCustomerContacts(documents(), required('TABLE_NAME'));
const clock = () => new Date();

export const notificationWiring: Record<string, LocalFactory> = {
  StreamRouterFunction: async (context) =>
    streamRouterHandler(
      { publisher: new LocalTopicPublisher(localMessaging(context), required('NOTIFICATIONS_TOPIC_ARN')) },
      createObservability(),
    ),
  SendSmsFunction: async (context) => {
    const optedOut = (process.env.LOCAL_SMS_OPTED_OUT ?? '').split(',').filter(Boolean);
    const ports = {
      claims: claims(),
      contacts: contacts(),
      sms: new OutboxSmsGateway(localOutbox(context), optedOut),
      deferral: new LocalSmsDeferral(localMessaging(context), required('SMS_QUEUE_URL')),
      clock,
    };
    return channelSenderHandler(
      'sms',
      (message) => deliverSms(ports, message),
      createObservability({ metricDimensions: { channel: 'sms' } }),
    );
  },
  SendEmailFunction: async (context) => {
    const ports = { claims: claims(), contacts: contacts(), email: new OutboxEmailGateway(localOutbox(context)), clock };
    return channelSenderHandler(
      'email',
      (message) => deliverEmail(ports, message),
      createObservability({ metricDimensions: { channel: 'email' } }),
    );
  },
};
