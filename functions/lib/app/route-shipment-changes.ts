import type { ShipmentChange } from '#domain/changes.ts';
import type { NotificationMessage } from '#domain/notification-message.ts';
import { notificationsForChange } from '#domain/notification-policy.ts';
import type { NotificationPublisher } from '#domain/notification-ports.ts';

/**
 * The stream router's use case: the messages the policy calls for, published together (the
 * publisher batches them); a record whose messages were not all accepted is reported failed, so
 * Lambda retries from it. Re-published messages are harmless: the senders' claims drop repeats.
 */
export async function routeShipmentChanges(
  publisher: NotificationPublisher,
  changes: readonly ShipmentChange[],
): Promise<{ failedSequenceNumbers: string[]; published: number }> {
  const outgoing: { message: NotificationMessage; sequenceNumber: string }[] = changes.flatMap((change) =>
    notificationsForChange(change.before, change.after).map((message) => ({ message, sequenceNumber: change.sequenceNumber })),
  );
  if (outgoing.length === 0) return { failedSequenceNumbers: [], published: 0 };
  const { failed } = await publisher.publish(outgoing.map(({ message }) => message));
  const failedSequenceNumbers = [...new Set(failed.map((index) => outgoing[index]?.sequenceNumber as string))];
  return { failedSequenceNumbers, published: outgoing.length - failed.length };
}
