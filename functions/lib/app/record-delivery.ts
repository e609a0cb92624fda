import type { Channel } from '#domain/channels.ts';
import type { DeliveryReceipt, DeliveryStatus } from '#domain/delivery-status.ts';
import type { Clock, NotificationClaims, SuppressionList } from '#domain/notification-ports.ts';
import { type FallbackPorts, fallBack } from './fall-back.ts';

export interface RecordDeliveryPorts extends FallbackPorts {
  claims: NotificationClaims;
  suppressions: SuppressionList;
  clock: Clock;
}

export interface RecordedDelivery {
  /** `unknown`: no claim of ours (another sender on the same configuration set, or one long gone). */
  result: 'recorded' | 'unchanged' | 'unknown';
  /** Where the notification stands now. */
  status?: DeliveryStatus;
  fallback?: Channel;
}

/**
 * RecordDeliveryFunction's use case: one receipt moves its notification forward (or changes
 * nothing, if an equal or further one came first), a hard bounce, a complaint or an invalid number
 * puts the contact on the suppression list, and a message that could not be delivered falls back
 * to the other channel. Each step is idempotent, and each runs again when the receipt comes back
 * after a failure: the suppression keeps its first entry, the fallback copy is claimed once.
 */
export async function recordDelivery(ports: RecordDeliveryPorts, receipt: DeliveryReceipt): Promise<RecordedDelivery> {
  const now = ports.clock();
  const recorded = await ports.claims.report(receipt.reference, receipt, now);
  if (!recorded) return { result: 'unknown' };
  const { applied, claim } = recorded;
  if (receipt.suppress && receipt.recipient) {
    await ports.suppressions.add(receipt.channel, receipt.recipient, {
      reason: receipt.suppress,
      since: receipt.at,
      ...(claim.message ? { source: claim.message.notificationId, owner: claim.message.owner } : {}),
    });
  }
  const fallback = claim.message
    ? await fallBack(ports, claim.message, {
        status: claim.status,
        ...(claim.permanent !== undefined ? { permanent: claim.permanent } : {}),
        ...(claim.suppressedBecause ? { suppressedBecause: claim.suppressedBecause } : {}),
      })
    : undefined;
  return { result: applied ? 'recorded' : 'unchanged', status: claim.status, ...(fallback ? { fallback } : {}) };
}
