import * as z from 'zod/mini';
import type { Channel } from '#domain/channels.ts';
import type { DeliveryReceipt, DeliveryReport, SuppressionReason } from '#domain/delivery-status.ts';
import { referenceOfTags } from './ses-tags.ts';

/**
 * The two receipt shapes the DeliveryEventsTopic carries (raw, one per SQS message), decoded into
 * the domain's DeliveryReceipt:
 * - SES event publishing (a configuration set's SNS event destination): `eventType`, `mail` with
 *   the tags the message was sent with, and one object per type (`bounce`, `complaint`, …).
 *   https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html
 * - AWS End User Messaging SMS events: `eventType` TEXT_*, `isFinal`, `messageId`, the destination
 *   number and the `context` the message was sent with.
 *   https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-format.html
 * Events that are not final (SES Send and DeliveryDelay, an SMS still queued) are answered
 * `ignored`; a body that is neither shape is `unreadable` (the caller counts it and drops it: no
 * retry can make it readable).
 */

export type DecodedReceipt =
  | { kind: 'receipt'; receipt: DeliveryReceipt }
  | { kind: 'ignored'; why: string }
  | { kind: 'unreadable'; why: string };

const sesEvent = z.object({
  eventType: z.string(),
  mail: z.object({
    timestamp: z.string(),
    messageId: z.string().check(z.minLength(1)),
    tags: z.optional(z.record(z.string(), z.array(z.string()))),
  }),
  bounce: z.optional(
    z.object({
      bounceType: z.string(),
      bounceSubType: z.optional(z.string()),
      bouncedRecipients: z.array(z.object({ emailAddress: z.string() })),
      timestamp: z.optional(z.string()),
    }),
  ),
  complaint: z.optional(
    z.object({
      complainedRecipients: z.array(z.object({ emailAddress: z.string() })),
      timestamp: z.optional(z.string()),
      complaintFeedbackType: z.optional(z.string()),
    }),
  ),
  delivery: z.optional(z.object({ timestamp: z.optional(z.string()) })),
  reject: z.optional(z.object({ reason: z.optional(z.string()) })),
});

const smsEvent = z.object({
  eventType: z.string().check(z.startsWith('TEXT_')),
  eventTimestamp: z.number(),
  isFinal: z.optional(z.boolean()),
  messageId: z.string().check(z.minLength(1)),
  destinationPhoneNumber: z.optional(z.string()),
  context: z.optional(z.record(z.string(), z.string())),
});

/** What each final SMS event type means (https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-types.html). */
const SMS_OUTCOMES: Record<string, Pick<DeliveryReport, 'status' | 'permanent'> & { suppress?: SuppressionReason }> = {
  TEXT_DELIVERED: { status: 'delivered', permanent: false },
  // Accepted by the carrier; some countries report nothing further, so AWS uses the two interchangeably.
  TEXT_SUCCESSFUL: { status: 'delivered', permanent: false },
  TEXT_BLOCKED: { status: 'failed', permanent: true },
  TEXT_CARRIER_BLOCKED: { status: 'failed', permanent: true },
  TEXT_SPAM: { status: 'failed', permanent: true },
  TEXT_PROTECT_BLOCKED: { status: 'failed', permanent: true },
  TEXT_INVALID: { status: 'failed', permanent: true, suppress: 'invalid_number' },
  TEXT_INVALID_MESSAGE: { status: 'failed', permanent: true },
  // A phone switched off, a carrier down, no receipt within 72 hours: the next message may well arrive.
  TEXT_UNREACHABLE: { status: 'failed', permanent: false },
  TEXT_CARRIER_UNREACHABLE: { status: 'failed', permanent: false },
  TEXT_TTL_EXPIRED: { status: 'failed', permanent: false },
  TEXT_UNKNOWN: { status: 'failed', permanent: false },
};

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

export function decodeDeliveryEvent(body: string): DecodedReceipt {
  const json = parseJson(body);
  if (json && typeof json === 'object' && 'mail' in json) return decodeSes(json);
  if (json && typeof json === 'object' && 'isFinal' in json) return decodeSms(json);
  return { kind: 'unreadable', why: 'neither an SES event nor an SMS event' };
}

function decodeSes(json: object): DecodedReceipt {
  const parsed = sesEvent.safeParse(json);
  if (!parsed.success)
    return { kind: 'unreadable', why: `SES event unreadable at ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}` };
  const event = parsed.data;
  const reference = referenceOfTags(event.mail.tags ?? {});
  if (!reference) return { kind: 'ignored', why: `SES ${event.eventType} of a message without a claim tag` };
  const base = { channel: 'email' as Channel, reference, providerMessageId: event.mail.messageId };
  switch (event.eventType) {
    case 'Delivery':
      return receipt({
        ...base,
        status: 'delivered',
        permanent: false,
        reason: 'Delivery',
        at: event.delivery?.timestamp ?? event.mail.timestamp,
      });
    case 'Bounce': {
      if (!event.bounce) return { kind: 'unreadable', why: 'SES Bounce without a bounce object' };
      const hard = event.bounce.bounceType === 'Permanent';
      return receipt({
        ...base,
        // Soft bounces are published only once SES has given up retrying them.
        status: hard ? 'bounced' : 'failed',
        permanent: hard,
        ...(hard ? { suppress: 'bounced' as const } : {}),
        reason: `${event.bounce.bounceType}/${event.bounce.bounceSubType ?? 'Undetermined'}`,
        at: event.bounce.timestamp ?? event.mail.timestamp,
        ...recipientOf(event.bounce.bouncedRecipients),
      });
    }
    case 'Complaint': {
      if (!event.complaint) return { kind: 'unreadable', why: 'SES Complaint without a complaint object' };
      // "not-spam" is a mailbox provider taking a complaint back, not a complaint.
      if (event.complaint.complaintFeedbackType === 'not-spam') return { kind: 'ignored', why: 'SES Complaint of feedback type not-spam' };
      return receipt({
        ...base,
        status: 'complained',
        permanent: false,
        suppress: 'complained',
        reason: `Complaint/${event.complaint.complaintFeedbackType ?? 'unspecified'}`,
        at: event.complaint.timestamp ?? event.mail.timestamp,
        ...recipientOf(event.complaint.complainedRecipients),
      });
    }
    case 'Reject':
      return receipt({
        ...base,
        status: 'failed',
        permanent: true,
        reason: `Reject/${event.reject?.reason ?? 'unspecified'}`,
        at: event.mail.timestamp,
      });
    case 'Rendering Failure':
      return receipt({ ...base, status: 'failed', permanent: true, reason: 'Rendering Failure', at: event.mail.timestamp });
    default:
      return { kind: 'ignored', why: `SES ${event.eventType} is not a final outcome` };
  }
}

function decodeSms(json: object): DecodedReceipt {
  const parsed = smsEvent.safeParse(json);
  if (!parsed.success)
    return { kind: 'unreadable', why: `SMS event unreadable at ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}` };
  const event = parsed.data;
  const outcome = SMS_OUTCOMES[event.eventType];
  if (!outcome || event.isFinal === false) return { kind: 'ignored', why: `SMS ${event.eventType} is not a final outcome` };
  const reference = event.context?.claim;
  if (!reference) return { kind: 'ignored', why: `SMS ${event.eventType} of a message without a claim context` };
  return receipt({
    channel: 'sms',
    reference,
    providerMessageId: event.messageId,
    ...outcome,
    reason: event.eventType,
    at: new Date(event.eventTimestamp).toISOString(),
    ...(event.destinationPhoneNumber ? { recipient: event.destinationPhoneNumber } : {}),
  });
}

const receipt = (value: DeliveryReceipt): DecodedReceipt => ({ kind: 'receipt', receipt: value });

/** Parcelcast sends each email to one recipient: the receipt's first is it. */
function recipientOf(recipients: { emailAddress: string }[]): { recipient?: string } {
  const first = recipients[0]?.emailAddress;
  return first ? { recipient: first } : {};
}
