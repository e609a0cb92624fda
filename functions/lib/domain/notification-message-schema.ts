import * as z from 'zod';
import { CHANNELS } from './cloud-events.ts';
import type { NotificationMessage } from './notification-message.ts';
import { SHIPMENT_STATUSES } from './shipment.ts';

/** Checks a NotificationMessage read from a queue: both producers (stream-router, wallet workflow) write it. */
const schema = z.object({
  notificationId: z.string().min(1),
  eventType: z.string().min(1),
  channel: z.enum(CHANNELS),
  recipient: z.string().min(1),
  locale: z.string().min(1),
  timeZone: z.string().optional(),
  customerId: z.string().min(1),
  customerName: z.string().optional(),
  shipment: z
    .object({
      shipmentId: z.string().min(1),
      status: z.enum(SHIPMENT_STATUSES),
      carrier: z.string().optional(),
      trackingNumber: z.string().optional(),
      trackingUrl: z.string().optional(),
      eta: z.string().optional(),
      reason: z.string().optional(),
    })
    .optional(),
  wallet: z
    .object({ walletId: z.string().min(1), balance: z.number().int(), currency: z.string().length(3), reconciledAt: z.string() })
    .optional(),
  occurredAt: z.string(),
});

export class MalformedNotificationError extends Error {
  override readonly name = 'MalformedNotificationError';
}

export function parseNotificationMessage(body: string): NotificationMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedNotificationError('notification body is not JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new MalformedNotificationError(
      `notification body is not a NotificationMessage: ${result.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  }
  const message = result.data as NotificationMessage;
  if (!message.shipment && !message.wallet) throw new MalformedNotificationError('notification has neither a shipment nor a wallet');
  return message;
}
