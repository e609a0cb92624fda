import { randomUUID } from 'node:crypto';
import { awsError } from './protocol.ts';
import type { ProviderEvents } from './provider-events.ts';
import { type MailboxOutcome, mailboxSimulator } from './simulators.ts';

/**
 * Amazon SES v2 behind its REST-JSON protocol: SendEmail (POST /v2/email/outbound-emails) hands
 * the simple message to the email sink the emulator is given and answers a MessageId; then, as
 * SES does, publishes the message's events to its configuration set's event destinations: for the
 * mailbox simulator's addresses, what AWS documents each one does (simulators.ts). Any other
 * address has no mailbox here, so nothing is reported about it beyond `Send`.
 */

export interface EmailRequest {
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  configurationSetName?: string;
  /** EmailTags, by name. */
  tags: Record<string, string>;
  /** Content.Simple.Headers (List-Unsubscribe, …), by name. */
  headers: Record<string, string>;
  messageId: string;
}

export interface EmailSink {
  send(email: EmailRequest): void | Promise<void>;
}

/** SES's reporting MTA in its examples; events say who reported them. */
const REPORTING_MTA = 'a8-70.smtp-out.amazonses.com';

export class LocalSesV2 {
  private readonly sink: EmailSink;
  private readonly events: ProviderEvents | undefined;

  constructor(sink: EmailSink, events?: ProviderEvents) {
    this.sink = sink;
    this.events = events;
  }

  async handle(method: string, path: string, input: Record<string, any>): Promise<unknown> {
    if (method !== 'POST' || path !== '/v2/email/outbound-emails') {
      throw awsError(404, 'NotFoundException', `the local SES v2 does not implement ${method} ${path}`);
    }
    const simple = input.Content?.Simple;
    if (!simple) throw awsError(400, 'BadRequestException', 'only Content.Simple messages are supported locally');
    const to = (input.Destination?.ToAddresses ?? []) as string[];
    if (typeof input.FromEmailAddress !== 'string' || to.length === 0) {
      throw awsError(400, 'BadRequestException', 'FromEmailAddress and Destination.ToAddresses are required');
    }
    const tags = (input.EmailTags ?? []) as { Name: string; Value: string }[];
    // SES's rule for tag names and values: ASCII letters, digits, underscores and dashes, at most 256.
    const invalid = tags.find((tag) => !/^[A-Za-z0-9_-]{1,256}$/.test(tag.Name) || !/^[A-Za-z0-9_-]{1,256}$/.test(tag.Value));
    if (invalid)
      throw awsError(
        400,
        'BadRequestException',
        `Invalid message tag ${invalid.Name}: only ASCII letters, numbers, underscores and dashes`,
      );
    const messageId = `${Date.now().toString(16).padStart(16, '0')}-${randomUUID()}-000000`;
    const email: EmailRequest = {
      from: input.FromEmailAddress,
      to,
      subject: String(simple.Subject?.Data ?? ''),
      ...(simple.Body?.Text ? { text: String(simple.Body.Text.Data) } : {}),
      ...(simple.Body?.Html ? { html: String(simple.Body.Html.Data) } : {}),
      ...(input.ConfigurationSetName ? { configurationSetName: String(input.ConfigurationSetName) } : {}),
      tags: Object.fromEntries(tags.map((tag) => [tag.Name, tag.Value])),
      headers: Object.fromEntries(
        ((simple.Headers ?? []) as { Name: string; Value: string }[]).map((header) => [header.Name, header.Value]),
      ),
      messageId,
    };
    await this.sink.send(email);
    this.events?.schedule(email.configurationSetName, sesEvents(email, new Date()));
    return { MessageId: messageId };
  }
}

/**
 * The events SES publishes for one message (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html):
 * Send, then what each recipient's mailbox does (the mailbox simulator's, unless `outcomeOf` says otherwise).
 */
export function sesEvents(
  email: EmailRequest,
  sentAt: Date,
  outcomeOf: (recipient: string) => MailboxOutcome | undefined = mailboxSimulator,
): { type: string; body: unknown }[] {
  const timestamp = sentAt.toISOString();
  const later = (ms: number) => new Date(sentAt.getTime() + ms).toISOString();
  const tags: Record<string, string[]> = {
    'ses:operation': ['SendEmail'],
    ...(email.configurationSetName ? { 'ses:configuration-set': [email.configurationSetName] } : {}),
    'ses:from-domain': [email.from.split('@')[1] ?? ''],
    ...Object.fromEntries(Object.entries(email.tags).map(([name, value]) => [name, [value]])),
  };
  const mail = {
    timestamp,
    source: email.from,
    sendingAccountId: '000000000000',
    messageId: email.messageId,
    destination: email.to,
    headersTruncated: false,
    commonHeaders: { from: [email.from], to: email.to, messageId: email.messageId, subject: email.subject },
    tags,
  };
  const event = (eventType: string, extra: Record<string, unknown>) => ({
    type: eventType.toUpperCase(),
    body: { eventType, mail, ...extra },
  });
  const events = [event('Send', { send: {} })];
  for (const recipient of email.to) {
    const delivery = event('Delivery', {
      delivery: {
        timestamp: later(800),
        processingTimeMillis: 800,
        recipients: [recipient],
        smtpResponse: '250 2.6.0 Message received',
        reportingMTA: REPORTING_MTA,
      },
    });
    const bounce = (subType: string, diagnosticCode: string) =>
      event('Bounce', {
        bounce: {
          feedbackId: `${email.messageId}-bounce`,
          bounceType: 'Permanent',
          bounceSubType: subType,
          bouncedRecipients: [{ emailAddress: recipient, action: 'failed', status: '5.1.1', diagnosticCode }],
          timestamp: later(900),
          reportingMTA: `dns; ${REPORTING_MTA}`,
        },
      });
    switch (outcomeOf(recipient)) {
      case 'success':
      case 'ooto':
        events.push(delivery);
        break;
      case 'bounce':
        events.push(bounce('General', 'smtp; 550 5.1.1 user unknown'));
        break;
      case 'suppressionlist':
        events.push(
          bounce('Suppressed', 'Amazon SES has suppressed sending to this address because it is on the global suppression list.'),
        );
        break;
      case 'complaint':
        events.push(delivery);
        events.push(
          event('Complaint', {
            complaint: {
              feedbackId: `${email.messageId}-complaint`,
              complaintSubType: null,
              complainedRecipients: [{ emailAddress: recipient }],
              timestamp: later(1500),
              userAgent: 'Amazon SES Mailbox Simulator',
              complaintFeedbackType: 'abuse',
              arrivalDate: later(1000),
            },
          }),
        );
        break;
      default:
        break;
    }
  }
  return events;
}
