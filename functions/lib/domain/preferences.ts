import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Channel } from './channels.ts';
import { CHANNELS } from './channels.ts';
import type { NotificationMessage } from './notification-message.ts';

/**
 * What a customer chose to hear, per channel (docs/notifications.md, "Preferences"): every
 * update (`all`, the default) or only the essential ones. Essential messages are the ones a
 * customer must not miss, because something went wrong or they have to act, defined here and
 * nowhere else:
 * - a delivery exception (`shipment.delivery_failed`): the parcel did not arrive and they may
 *   have to act;
 * - a missed delivery (`shipment.attempted_delivery`): they may have to be in for the next attempt
 *   or rearrange it;
 * - a parcel waiting at a pickup point (`shipment.available_for_pickup`): it goes back unless they
 *   collect it;
 * - a stall alert (`shipment.stalled`, docs/alerts.md): the parcel stopped moving and, without it,
 *   the customer hears nothing at all;
 * - a wallet balance correction (a reconciliation that found the running balance wrong).
 * Every other message (shipped, out for delivery, delivered, returned, returned to sender,
 * cancelled, a new delivery date, a balance that was confirmed unchanged) is sent only to
 * customers who chose `all`: a revised estimate is an update, and when the parcel then stops the
 * stall alert is what reaches them.
 */

const ESSENTIAL_SHIPMENT_EVENTS: ReadonlySet<string> = new Set([
  'shipment.delivery_failed',
  'shipment.attempted_delivery',
  'shipment.available_for_pickup',
  'shipment.stalled',
]);

export const PREFERENCE_LEVELS = ['all', 'essential'] as const;
export type PreferenceLevel = (typeof PREFERENCE_LEVELS)[number];
export const DEFAULT_PREFERENCE: PreferenceLevel = 'all';

export function isEssential(message: Pick<NotificationMessage, 'eventType' | 'wallet'>): boolean {
  if (ESSENTIAL_SHIPMENT_EVENTS.has(message.eventType)) return true;
  return message.eventType === 'wallet.balance_confirmed' && message.wallet?.corrected === true;
}

export function allowedBy(level: PreferenceLevel, message: Pick<NotificationMessage, 'eventType' | 'wallet'>): boolean {
  return level === 'all' || isEssential(message);
}

/** Whose preferences a link manages: a customer of its owner warehouse (customers are per warehouse), opened from a message on `channel`. */
export interface PreferenceSubject {
  customerId: string;
  owner: string;
  channel: Channel;
}

/** How long the link in a message works (RFC 8058 asks nothing; mail is read and its unsubscribe clicked weeks later). */
export const PREFERENCE_LINK_DAYS = 90;

/** The link is not one we signed, or it has expired. */
export class InvalidPreferenceLinkError extends Error {
  override readonly name = 'InvalidPreferenceLinkError';
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(`parcelcast-preferences.${payload}`).digest();
}

/**
 * The opaque token of a preference link: the subject and an expiry, signed with HMAC-SHA256. It is
 * the only credential the unauthenticated preference routes take (RFC 8058 forbids cookies and
 * authorization on the one-click POST), so it names one customer and nothing else, and it expires.
 * Hand-written rather than a JWT library: a token with one fixed algorithm has nothing to negotiate.
 */
export function signPreferenceToken(subject: PreferenceSubject, secret: string, now: Date, days = PREFERENCE_LINK_DAYS): string {
  const expires = Math.floor(now.getTime() / 1000) + days * 86_400;
  const payload = base64url(JSON.stringify({ c: subject.customerId, o: subject.owner, ch: subject.channel, e: expires }));
  return `${payload}.${base64url(mac(secret, payload))}`;
}

/** The subject of a token signed with one of `secrets` (the current one, and the previous while rotating) that has not expired. */
export function verifyPreferenceToken(token: string, secrets: readonly string[], now: Date): PreferenceSubject {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) throw new InvalidPreferenceLinkError('the link is malformed');
  const given = Buffer.from(signature, 'base64url');
  const genuine = secrets.some((secret) => {
    const expected = mac(secret, payload);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!genuine) throw new InvalidPreferenceLinkError('the link is not one Parcelcast signed');
  let claims: { c?: unknown; o?: unknown; ch?: unknown; e?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPreferenceLinkError('the link is malformed');
  }
  const { c, o, ch, e } = claims;
  if (typeof c !== 'string' || typeof o !== 'string' || typeof e !== 'number' || !CHANNELS.includes(ch as Channel))
    throw new InvalidPreferenceLinkError('the link is malformed');
  if (e * 1000 <= now.getTime()) throw new InvalidPreferenceLinkError('the link has expired');
  return { customerId: c, owner: o, channel: ch as Channel };
}
