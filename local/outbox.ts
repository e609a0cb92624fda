import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { maskEmail, maskPhone } from '../functions/lib/domain/masking.ts';
import type { NotificationMessage } from '../functions/lib/domain/notification-message.ts';
import type { EmailGateway, SmsGateway } from '../functions/lib/domain/notification-ports.ts';
import type { SmsText } from '../functions/lib/domain/sms-encoding.ts';

/**
 * The local stand-in for phones and inboxes: SMS and email the senders "deliver" are kept in
 * order, appended to `<dataDir>/outbox.jsonl`, printed as one line each and served on
 * GET /local/outbox (this run's messages, oldest first).
 */

export interface OutboxEntry {
  channel: 'sms' | 'email';
  recipient: string;
  text: string;
  subject?: string;
  html?: string;
  /** SMS only: how the network would carry it. */
  encoding?: SmsText['encoding'];
  segments?: number;
  notificationId: string;
  eventType: string;
  shipmentId?: string;
  walletId?: string;
  time: string;
}

export class LocalOutbox {
  readonly file: string;
  private readonly entries: OutboxEntry[] = [];
  private readonly print: (line: string) => void;

  constructor(dataDir: string, print: (line: string) => void = (line) => console.log(line)) {
    this.file = join(dataDir, 'outbox.jsonl');
    this.print = print;
  }

  list(): OutboxEntry[] {
    return [...this.entries];
  }

  add(
    entry: Omit<OutboxEntry, 'time' | 'notificationId' | 'eventType' | 'shipmentId' | 'walletId'>,
    message: NotificationMessage,
  ): OutboxEntry {
    const full: OutboxEntry = {
      ...entry,
      notificationId: message.notificationId,
      eventType: message.eventType,
      ...(message.shipment ? { shipmentId: message.shipment.shipmentId } : {}),
      ...(message.wallet ? { walletId: message.wallet.walletId } : {}),
      time: new Date().toISOString(),
    };
    this.entries.push(full);
    appendFileSync(this.file, `${JSON.stringify(full)}\n`);
    const to = entry.channel === 'sms' ? maskPhone(entry.recipient) : maskEmail(entry.recipient);
    const what = entry.channel === 'sms' ? entry.text : `${entry.subject}`;
    this.print(`[outbox] ${entry.channel.padEnd(5)} → ${to}  ${what}`);
    return full;
  }
}

/** SMS into the outbox; numbers listed in `optedOut` (LOCAL_SMS_OPTED_OUT) behave as opted out. */
export class OutboxSmsGateway implements SmsGateway {
  private readonly outbox: LocalOutbox;
  private readonly optedOut: ReadonlySet<string>;

  constructor(outbox: LocalOutbox, optedOut: Iterable<string> = []) {
    this.outbox = outbox;
    this.optedOut = new Set(optedOut);
  }

  async isOptedOut(phoneNumber: string): Promise<boolean> {
    return this.optedOut.has(phoneNumber);
  }

  async send({ phoneNumber, sms, message }: { phoneNumber: string; sms: SmsText; message: NotificationMessage }): Promise<void> {
    this.outbox.add({ channel: 'sms', recipient: phoneNumber, text: sms.text, encoding: sms.encoding, segments: sms.segments }, message);
  }
}

export class OutboxEmailGateway implements EmailGateway {
  private readonly outbox: LocalOutbox;

  constructor(outbox: LocalOutbox) {
    this.outbox = outbox;
  }

  async send(request: { to: string; subject: string; text: string; html: string; message: NotificationMessage }): Promise<void> {
    this.outbox.add(
      { channel: 'email', recipient: request.to, subject: request.subject, text: request.text, html: request.html },
      request.message,
    );
  }
}
