import type { NotificationMessage } from '#domain/notification-message.ts';
import { notificationAttributes } from '#domain/notification-policy.ts';

/** A String message attribute, the shape SNS and SQS share (and the local fan-out mirrors). */
export interface StringMessageAttribute {
  DataType: 'String';
  StringValue: string;
}

/** The message's routing attributes (channel, eventType, locale) as SNS/SQS message attributes. */
export function messageAttributes(message: NotificationMessage): Record<string, StringMessageAttribute> {
  return Object.fromEntries(
    Object.entries(notificationAttributes(message)).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
  );
}
