import type { Channel } from '#domain/channels.ts';
import { fallbackChannel, fallbackMessage, type Outcome } from '#domain/fallback-policy.ts';
import { idDigest } from '#domain/id-digest.ts';
import type { NotificationMessage } from '#domain/notification-message.ts';
import type { CustomerContacts, NotificationPublisher } from '#domain/notification-ports.ts';

export interface FallbackPorts {
  contacts: CustomerContacts;
  publisher: NotificationPublisher;
}

/** The copy could not be published: the caller fails its record so the queue brings it back. */
export class FallbackNotPublishedError extends Error {
  override readonly name = 'FallbackNotPublishedError';
}

/**
 * Sends the same notification on the other channel when the fallback policy calls for it and the
 * customer has a contact there (their profile's, allowed by them). Published to the notifications
 * topic like any message, so the other channel's sender claims it under its own key: repeating this
 * (a retried receipt, a redelivered message) never sends twice. Answers the channel it fell back to.
 */
export async function fallBack(ports: FallbackPorts, message: NotificationMessage, outcome: Outcome): Promise<Channel | undefined> {
  const channel = fallbackChannel(message, outcome);
  if (!channel) return undefined;
  const recipient = await ports.contacts.contactFor(message.owner, message.customerId, channel);
  if (!recipient) return undefined;
  const { failed } = await ports.publisher.publish([fallbackMessage(message, channel, recipient)]);
  if (failed.length > 0)
    throw new FallbackNotPublishedError(`the ${channel} fallback of ${idDigest(message.notificationId)} was not published`);
  return channel;
}
