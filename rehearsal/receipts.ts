import { text } from 'node:stream/consumers';
import { type EventDestination, routeEvents } from '../emulator/services/provider-events.ts';
import { type EmailRequest, sesEvents } from '../emulator/services/sesv2.ts';
import { mailboxSimulator, numberSimulator } from '../emulator/services/simulators.ts';
import { type TextMessage, textEvent } from '../emulator/services/sms-voice.ts';
import { referenceOfTags } from '../functions/lib/adapters/ses-tags.ts';

/**
 * The receipts SES and End User Messaging publish after a send, for rehearsal/moto_server.py: it
 * holds the configuration sets and their event destinations and publishes through moto's SNS,
 * and runs this (one send on stdin, JSON) for the messages themselves, so the rehearsal's events
 * are built by the same code as the local emulator's (emulator/services/sesv2.ts, sms-voice.ts),
 * in AWS's own shapes. Prints each message to publish: [{ topicArn, type, message }].
 *
 * The rehearsal has no mailbox or handset behind its sample recipients: an address or number the
 * simulators do not know is delivered, as the mailbox simulator's success@ and the destination
 * simulator's US success number are.
 */

export type ProviderSend =
  | { provider: 'ses'; email: EmailRequest; sentAt: string; destinations: EventDestination[] }
  | { provider: 'sms'; message: TextMessage; sentAt: string; destinations: EventDestination[] };

export function receiptsOf(send: ProviderSend): { topicArn: string; type: string; message: string }[] {
  const sentAt = new Date(send.sentAt);
  const events =
    send.provider === 'ses'
      ? sesEvents(send.email, sentAt, (recipient) => mailboxSimulator(recipient) ?? 'success')
      : [textEvent(send.message, numberSimulator(send.message.phoneNumber) ?? { outcome: 'success', country: 'US' }, sentAt)];
  return routeEvents(send.destinations, events);
}

/** The claim (`PK|SK` of its notification) a published receipt names, as the senders named it to the provider. */
export function claimOf(receipt: { provider: 'ses' | 'sms'; message: Record<string, any> }): string | undefined {
  return receipt.provider === 'ses' ? referenceOfTags(receipt.message.mail?.tags ?? {}) : receipt.message.context?.claim;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(receiptsOf(JSON.parse(await text(process.stdin)) as ProviderSend)));
}
