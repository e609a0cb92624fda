import type { Channel } from '#domain/channels.ts';
import { redactText } from '#domain/masking.ts';
import type { NotificationMessage } from '#domain/notification-message.ts';
import {
  type Clock,
  type CustomerContacts,
  type EmailGateway,
  type NotificationClaims,
  PermanentDeliveryError,
  type PreferenceLinks,
  type PreferenceStore,
  type Settlement,
  type SmsDeferral,
  type SmsGateway,
  type SuppressionList,
} from '#domain/notification-ports.ts';
import { renderEmail, renderSms } from '#domain/notification-templates.ts';
import { allowedBy } from '#domain/preferences.ts';
import { smsSendableAt } from '#domain/quiet-hours.ts';
import { type FallbackPorts, fallBack } from './fall-back.ts';

/**
 * Exactly-once delivery on top of at-least-once queues: claim (conditional write with a lease),
 * check and send, record the outcome. A duplicate finds the claim settled or held and sends
 * nothing; a delivery that crashed after claiming leaves a lease that runs out, and its message,
 * redelivered by SQS after the visibility timeout, claims again and sends.
 */

export type DeliveryOutcome = Settlement['status'] | 'duplicate' | 'deferred';

/** SQS takes DelaySeconds up to 15 minutes; longer waits hop through the queue again. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

export interface DeliveryPorts extends FallbackPorts {
  claims: NotificationClaims;
  suppressions: SuppressionList;
  preferences: PreferenceStore;
  clock: Clock;
}

/** What `send` is given: where the message goes and the claim's reference for the provider. */
interface Send {
  recipient: string;
  reference: string;
}

/**
 * Claims the message, then, holding the claim: finds the recipient, skips a suppressed contact or
 * a message the customer's preference excludes, sends, falls back to the other channel when the
 * outcome calls for it (before the settle write, so a crash in between repeats the fallback rather
 * than losing it), and settles.
 */
export async function deliverOnce(
  ports: DeliveryPorts,
  message: NotificationMessage,
  send: (request: Send) => Promise<Settlement>,
): Promise<DeliveryOutcome> {
  const claim = await ports.claims.claim(message, ports.clock());
  if (claim.kind !== 'claimed') return 'duplicate';
  let settlement: Settlement;
  try {
    const recipient = await recipientOf(ports, message);
    settlement = (await skipped(ports, message, recipient)) ?? (await send({ recipient, reference: claim.reference }));
  } catch (error) {
    if (!(error instanceof PermanentDeliveryError)) {
      await ports.claims.release(message, claim.token, ports.clock(), describe(error));
      throw error;
    }
    // Stored and shown by GET /v1/shipments/{id}: a provider's message may quote the recipient.
    settlement = { status: 'failed', reason: redactText(error.message) };
  }
  try {
    await fallBack(ports, message, { status: settlement.status, permanent: true, ...pick(settlement) });
  } catch (error) {
    await ports.claims.release(message, claim.token, ports.clock(), describe(error));
    throw error;
  }
  await ports.claims.settle(message, claim.token, settlement, ports.clock());
  return settlement.status;
}

const pick = (settlement: Settlement) => (settlement.suppressedBecause ? { suppressedBecause: settlement.suppressedBecause } : {});

/** A contact on the suppression list, or a message the customer's preference leaves out: not sent. */
async function skipped(ports: DeliveryPorts, message: NotificationMessage, recipient: string): Promise<Settlement | undefined> {
  const subject = { customerId: message.customerId, owner: message.owner };
  const [suppressed, level] = await Promise.all([
    ports.suppressions.find(message.channel, recipient),
    ports.preferences.levelFor(subject, message.channel),
  ]);
  if (suppressed) return { status: 'suppressed', suppressedBecause: suppressed.reason };
  if (!allowedBy(level, message)) return { status: 'suppressed', suppressedBecause: 'preference' };
  return undefined;
}

/** The senders' ports that address a message: a message without a recipient (wallet) is sent to the profile's contact. */
export interface AddressingPorts {
  contacts: CustomerContacts;
}

/**
 * Where a message goes: its own recipient (shipment messages), or else the customer's current
 * contact for the channel, looked up at send time so the wallet workflow never holds it. A
 * profile without that contact any more is a failure no retry cures: recorded as `failed`.
 */
export async function recipientOf(ports: AddressingPorts, message: NotificationMessage): Promise<string> {
  if (message.recipient) return message.recipient;
  const contact = await ports.contacts.contactFor(message.owner, message.customerId, message.channel);
  if (!contact) {
    const what = message.channel === 'sms' ? 'phone number' : 'email address';
    throw new PermanentDeliveryError(`customer ${message.customerId} has no ${what} on their profile any more`);
  }
  return contact;
}

export interface SmsPorts extends DeliveryPorts {
  sms: SmsGateway;
  deferral: SmsDeferral;
}

/** One SMS: held back during the customer's quiet hours; a number that replied STOP is put on the suppression list. */
export async function deliverSms(ports: SmsPorts, message: NotificationMessage): Promise<DeliveryOutcome> {
  const now = ports.clock();
  const sendableAt = smsSendableAt(now, message.timeZone);
  if (sendableAt.getTime() > now.getTime()) {
    const wait = Math.ceil((sendableAt.getTime() - now.getTime()) / 1000);
    await ports.deferral.redeliver(message, Math.min(wait, MAX_QUEUE_DELAY_SECONDS));
    return 'deferred';
  }
  const sms = renderSms(message);
  return deliverOnce(ports, message, async ({ recipient, reference }) => {
    const result = await ports.sms.send({ phoneNumber: recipient, sms, message, reference });
    if (result.kind === 'accepted') return { status: 'sent', providerMessageId: result.providerMessageId };
    await suppress(ports, message, recipient);
    return { status: 'suppressed', suppressedBecause: 'opted_out' };
  });
}

async function suppress(ports: DeliveryPorts, message: NotificationMessage, phoneNumber: string): Promise<void> {
  await ports.suppressions.add('sms', phoneNumber, {
    reason: 'opted_out',
    since: ports.clock().toISOString(),
    source: message.notificationId,
    owner: message.owner,
  });
}

export interface EmailPorts extends DeliveryPorts {
  email: EmailGateway;
  links: PreferenceLinks;
}

/** One email, at once whatever the hour, with a one-click link to the customer's preferences for email. */
export async function deliverEmail(ports: EmailPorts, message: NotificationMessage): Promise<DeliveryOutcome> {
  return deliverOnce(ports, message, async ({ recipient, reference }) => {
    const preferencesUrl = await ports.links.linkFor(subjectOf(message, 'email'));
    const email = renderEmail(message, { preferencesUrl });
    const { providerMessageId } = await ports.email.send({ to: recipient, ...email, message, reference, preferencesUrl });
    return { status: 'sent', providerMessageId };
  });
}

function subjectOf(message: NotificationMessage, channel: Channel) {
  return { customerId: message.customerId, owner: message.owner, channel };
}

function describe(error: unknown): string {
  return redactText(error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);
}
