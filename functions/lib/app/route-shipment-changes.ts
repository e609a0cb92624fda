import { profileToKeep, type ShipmentChange } from '#domain/changes.ts';
import type { NotificationMessage } from '#domain/notification-message.ts';
import { notificationsForChange } from '#domain/notification-policy.ts';
import type { NotificationPublisher } from '#domain/notification-ports.ts';
import type { CustomerProfiles } from '#domain/ports.ts';

export interface RouteShipmentChangesPorts {
  publisher: NotificationPublisher;
  profiles: CustomerProfiles;
}

/**
 * The stream router's use case: the messages the policy calls for, published together (the
 * publisher batches them), and the customer profiles the changes call for keeping (off the
 * ingest path: a profile is only read by wallet messages, long after). A record whose messages
 * were not all accepted, or whose profile could not be written, is reported failed, so Lambda
 * retries from it. Both are harmless to repeat: the senders' claims drop repeated messages, and a
 * profile write is conditional on its mark.
 */
export async function routeShipmentChanges(
  ports: RouteShipmentChangesPorts,
  changes: readonly ShipmentChange[],
): Promise<{ failedSequenceNumbers: string[]; published: number; profiles: number }> {
  const outgoing: { message: NotificationMessage; sequenceNumber: string }[] = changes.flatMap((change) =>
    notificationsForChange(change.before, change.after).map((message) => ({ message, sequenceNumber: change.sequenceNumber })),
  );
  const profiles = changes.flatMap((change) => {
    const profile = profileToKeep(change);
    return profile ? [{ profile, sequenceNumber: change.sequenceNumber }] : [];
  });
  const [publishing, ...profileWrites] = await Promise.allSettled([
    outgoing.length > 0 ? ports.publisher.publish(outgoing.map(({ message }) => message)) : Promise.resolve({ failed: [] as number[] }),
    ...profiles.map(({ profile }) => ports.profiles.remember(profile.owner, profile.customer, profile.mark)),
  ]);
  // A publisher that failed outright (not entry by entry) fails the batch, as it did before profiles were kept here.
  if (publishing?.status !== 'fulfilled') throw publishing?.reason;
  const failed = new Set(publishing.value.failed.map((index) => outgoing[index]?.sequenceNumber as string));
  const published = outgoing.length - publishing.value.failed.length;
  profileWrites.forEach((write, index) => {
    if (write.status === 'rejected') failed.add(profiles[index]?.sequenceNumber as string);
  });
  return { failedSequenceNumbers: [...failed], published, profiles: profiles.length };
}
