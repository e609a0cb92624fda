import { redactText } from '#domain/masking.ts';
import type { NotificationMessage } from '#domain/notification-message.ts';
import {
  type Clock,
  type CustomerContacts,
  type EmailGateway,
  type FinalOutcome,
  type NotificationClaims,
  PermanentDeliveryError,
  type SmsDeferral,
  type SmsGateway,
} from '#domain/notification-ports.ts';
import { renderEmail, renderSms } from '#domain/notification-templates.ts';
import { smsSendableAt } from '#domain/quiet-hours.ts';

/**
 * Exactly-once delivery on top of at-least-once queues: claim (conditional write with a lease),
 * send, record the outcome. A duplicate finds the claim settled or held and sends nothing; a
 * delivery that crashed after claiming leaves a lease that runs out, and its message, redelivered
 * by SQS after the visibility timeout, claims again and sends.
 */

export type DeliveryOutcome = FinalOutcome | 'duplicate' | 'deferred';

/** SQS takes DelaySeconds up to 15 minutes; longer waits hop through the queue again. */
export const MAX_QUEUE_DELAY_SECONDS = 900;

export interface DeliveryPorts {
  claims: NotificationClaims;
  clock: Clock;
}

export async function deliverOnce(
  ports: DeliveryPorts,
  message: NotificationMessage,
  send: () => Promise<Exclude<FinalOutcome, 'failed'>>,
): Promise<DeliveryOutcome> {
  const claim = await ports.claims.claim(message, ports.clock());
  if (claim.kind !== 'claimed') return 'duplicate';
  let outcome: FinalOutcome;
  let reason: string | undefined;
  try {
    outcome = await send();
  } catch (error) {
    if (!(error instanceof PermanentDeliveryError)) {
      await ports.claims.release(message, claim.token, ports.clock(), describe(error));
      throw error;
    }
    outcome = 'failed';
    // Stored and shown by GET /v1/shipments/{id}: a provider's message may quote the recipient.
    reason = redactText(error.message);
  }
  await ports.claims.settle(message, claim.token, outcome, ports.clock(), reason);
  return outcome;
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

export interface SmsPorts extends DeliveryPorts, AddressingPorts {
  sms: SmsGateway;
  deferral: SmsDeferral;
}

/** One SMS: held back during the customer's quiet hours, never sent to an opted-out number. */
export async function deliverSms(ports: SmsPorts, message: NotificationMessage): Promise<DeliveryOutcome> {
  const now = ports.clock();
  const sendableAt = smsSendableAt(now, message.timeZone);
  if (sendableAt.getTime() > now.getTime()) {
    const wait = Math.ceil((sendableAt.getTime() - now.getTime()) / 1000);
    await ports.deferral.redeliver(message, Math.min(wait, MAX_QUEUE_DELAY_SECONDS));
    return 'deferred';
  }
  const sms = renderSms(message);
  return deliverOnce(ports, message, async () => {
    const phoneNumber = await recipientOf(ports, message);
    if (await ports.sms.isOptedOut(phoneNumber)) return 'opted_out';
    await ports.sms.send({ phoneNumber, sms, message });
    return 'sent';
  });
}

export interface EmailPorts extends DeliveryPorts, AddressingPorts {
  email: EmailGateway;
}

/** One email, at once whatever the hour. */
export async function deliverEmail(ports: EmailPorts, message: NotificationMessage): Promise<DeliveryOutcome> {
  const email = renderEmail(message);
  return deliverOnce(ports, message, async () => {
    const to = await recipientOf(ports, message);
    await ports.email.send({ to, ...email, message });
    return 'sent';
  });
}

function describe(error: unknown): string {
  return redactText(error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 300);
}
