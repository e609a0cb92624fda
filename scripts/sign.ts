import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** Standard Webhooks headers for a body, as a warehouse would send them. */
export function signedHeaders(secret: string, body: string, options: { id?: string; timestamp?: Date } = {}) {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? new Date();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, timestamp, body),
  };
}
