import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentedMessage } from 'sms-segments-calculator';
import type { EmailRequest, EmailSink } from '../emulator/services/sesv2.ts';
import type { TextMessage, TextMessageSink } from '../emulator/services/sms-voice.ts';
import type { SmsRequest, SmsSink } from '../emulator/services/sns.ts';
import { terminalText } from './terminal-text.ts';

/**
 * The local stand-in for phones and inboxes: what the senders hand End User Messaging (an SMS;
 * SNS's direct-to-number SMS too) and SES (an email) arrives here, through the local AWS endpoints, exactly as the providers would
 * receive it. Entries are kept in order, appended to `<dataDir>/outbox.jsonl` as received, printed
 * as one line each (contacts masked, control characters escaped) and served on GET /local/outbox
 * (this run's messages, oldest first, each SMS with its encoding and segments).
 */

type Received = Omit<OutboxEntry, 'sms'> & { sms?: { type?: string } };

export interface OutboxEntry {
  channel: 'sms' | 'email';
  recipient: string;
  text: string;
  /** Email only. */
  from?: string;
  subject?: string;
  html?: string;
  configurationSetName?: string;
  /** Email only: the SES EmailTags (e.g. eventType). */
  tags?: Record<string, string>;
  /** Email only: the extra headers (List-Unsubscribe, List-Unsubscribe-Post). */
  headers?: Record<string, string>;
  /** The provider's message id, which its delivery receipts carry. */
  messageId?: string;
  /** SMS only: the pool or number it was sent from, and the configuration set. */
  originationIdentity?: string;
  /**
   * SMS only: how a carrier would carry it (GSM-7 in septets, else UCS-2 in UTF-16 units), by
   * Twilio's segment calculator, measured when the outbox is read (list()); and its message type.
   */
  sms?: { encoding: string; segments: number; units: number; type?: string };
  time: string;
}

/** How a carrier would carry an SMS: measured independently of the product's own encoder. */
export function measureSms(text: string): NonNullable<OutboxEntry['sms']> {
  const message = new SegmentedMessage(text);
  const encoding = message.encodingName;
  return { encoding, segments: message.segmentsCount, units: message.messageSize / (encoding === 'GSM-7' ? 7 : 16) };
}

/** `+34•••••••22`, `a•••@example.com`: enough to tell messages apart in a terminal, no contact detail. */
export function maskRecipient(recipient: string): string {
  const at = recipient.indexOf('@');
  if (at > 0) return `${recipient[0]}•••${recipient.slice(at)}`;
  return recipient.length > 5 ? `${recipient.slice(0, 3)}${'•'.repeat(recipient.length - 5)}${recipient.slice(-2)}` : '•••';
}

export class LocalOutbox {
  readonly file: string;
  private readonly entries: Received[] = [];
  /** Measures by entry, taken on the first read: about 1 ms of main-thread CPU per SMS, which the local endpoints need not spend while they answer. */
  private readonly measured = new WeakMap<Received, NonNullable<OutboxEntry['sms']>>();
  private readonly print: (line: string) => void;
  private readonly optedOut: ReadonlySet<string>;

  constructor(options: { dataDir: string; optedOut?: Iterable<string>; print?: (line: string) => void }) {
    this.file = join(options.dataDir, 'outbox.jsonl');
    this.print = options.print ?? ((line) => console.log(line));
    this.optedOut = new Set(options.optedOut ?? []);
  }

  list(): OutboxEntry[] {
    return this.entries.map((received) => {
      const { sms: _type, ...entry } = received;
      return received.channel === 'sms' ? { ...entry, sms: this.measure(received) } : entry;
    });
  }

  private measure(entry: Received): NonNullable<OutboxEntry['sms']> {
    let sms = this.measured.get(entry);
    if (!sms) {
      sms = { ...measureSms(entry.text), ...entry.sms };
      this.measured.set(entry, sms);
    }
    return sms;
  }

  /** End User Messaging's side: numbers listed as opted out (LOCAL_SMS_OPTED_OUT) are refused as AWS refuses them. */
  readonly textMessages: TextMessageSink = {
    send: (message: TextMessage) => {
      this.add({
        channel: 'sms',
        recipient: message.phoneNumber,
        text: message.message,
        messageId: message.messageId,
        ...(message.originationIdentity ? { originationIdentity: message.originationIdentity } : {}),
        ...(message.configurationSetName ? { configurationSetName: message.configurationSetName } : {}),
        ...(message.messageType ? { sms: { type: message.messageType } } : {}),
      });
    },
    isOptedOut: (phoneNumber: string) => this.optedOut.has(phoneNumber),
  };

  /** SNS's SMS side (direct-to-number Publish): the same opt-out list answers CheckIfPhoneNumberIsOptedOut. */
  readonly sms: SmsSink = {
    send: (request: SmsRequest) => {
      const type = request.attributes['AWS.SNS.SMS.SMSType']?.StringValue;
      this.add({
        channel: 'sms',
        recipient: request.phoneNumber,
        text: request.message,
        ...(type ? { sms: { type } } : {}),
      });
    },
    isOptedOut: (phoneNumber: string) => this.optedOut.has(phoneNumber),
  };

  /** SES's side: one entry per recipient of each email. */
  readonly email: EmailSink = {
    send: (request: EmailRequest) => {
      for (const recipient of request.to) {
        this.add({
          channel: 'email',
          recipient,
          from: request.from,
          subject: request.subject,
          text: request.text ?? '',
          ...(request.html ? { html: request.html } : {}),
          ...(request.configurationSetName ? { configurationSetName: request.configurationSetName } : {}),
          tags: request.tags,
          ...(Object.keys(request.headers).length > 0 ? { headers: request.headers } : {}),
          messageId: request.messageId,
        });
      }
    },
  };

  private add(entry: Omit<Received, 'time'>): void {
    const full: Received = { ...entry, time: new Date().toISOString() };
    this.entries.push(full);
    appendFileSync(this.file, `${JSON.stringify(full)}\n`);
    const shown = entry.channel === 'sms' ? entry.text : (entry.subject ?? '');
    this.print(terminalText(`[outbox] ${entry.channel.padEnd(5)} → ${maskRecipient(entry.recipient)}  ${shown}`));
  }
}
