import * as z from 'zod/mini';
import { CHANNELS } from './channels.ts';
import { DELIVERED_TO } from './delivered-to.ts';
import type { NotificationMessage } from './notification-message.ts';
import { SHIPMENT_STATUSES } from './shipment.ts';

/** Checks a NotificationMessage read from a queue: both producers (stream-router, wallet workflow) write it. */
const schema = z.object({
  notificationId: z.string().check(z.minLength(1)),
  eventType: z.string().check(z.minLength(1)),
  channel: z.enum(CHANNELS),
  recipient: z.optional(z.string().check(z.minLength(1))),
  locale: z.string().check(z.minLength(1)),
  timeZone: z.optional(z.string()),
  customerId: z.string().check(z.minLength(1)),
  owner: z.string().check(z.minLength(1)),
  customerName: z.optional(z.string()),
  shipment: z.optional(
    z.object({
      shipmentId: z.string().check(z.minLength(1)),
      status: z.enum(SHIPMENT_STATUSES),
      carrier: z.optional(z.string()),
      trackingNumber: z.optional(z.string()),
      trackingUrl: z.optional(z.string()),
      eta: z.optional(z.string()),
      reason: z.optional(z.string()),
      nextAttemptAt: z.optional(z.string()),
      pickupPoint: z.optional(z.string()),
      collectBy: z.optional(z.string()),
      deliveredTo: z.optional(z.enum(DELIVERED_TO)),
      location: z.optional(z.string()),
      estimatedDelivery: z.optional(
        z.union([
          z.object({ date: z.string(), timeZone: z.string() }),
          z.object({ from: z.string(), to: z.string(), timeZone: z.string() }),
        ]),
      ),
    }),
  ),
  wallet: z.optional(
    z.object({
      walletId: z.string().check(z.minLength(1)),
      balance: z.number().check(z.int()),
      currency: z.string().check(z.length(3)),
      reconciledAt: z.string(),
      corrected: z.optional(z.boolean()),
    }),
  ),
  order: z.optional(
    z.object({
      orderId: z.string().check(z.minLength(1)),
      parcels: z
        .array(
          z.object({
            shipmentId: z.string().check(z.minLength(1)),
            carrier: z.optional(z.string()),
            trackingNumber: z.optional(z.string()),
          }),
        )
        .check(z.minLength(2)),
    }),
  ),
  stalledSince: z.optional(z.string()),
  fallbackFrom: z.optional(z.enum(CHANNELS)),
  // Part of a claim's key: a UTC time as statusEpisode gives it, nothing that could hold a `#` or `|`.
  episode: z.optional(z.string().check(z.regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/))),
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
