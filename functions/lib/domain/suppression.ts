import { createHash } from 'node:crypto';
import type { Channel } from './channels.ts';
import type { SuppressionReason } from './delivery-status.ts';
import { maskEmail, maskPhone } from './masking.ts';

/**
 * Parcelcast's own suppression list (docs/notifications.md, "Suppression"): contacts that are
 * never written to again, whoever's customer they belong to, because writing to them harms the
 * sending reputation every customer depends on (a hard bounce, a complaint) or is not allowed (an
 * SMS opt-out). The list keeps no contact: an entry is keyed by a digest of the normalised contact,
 * so the sender can look a contact up and an operator can clear one they are given, and it keeps
 * only a masked form to recognise it by.
 *
 * Cleared only by an operator (`npm run suppression -- clear`) or, in effect, by the owner
 * warehouse sending new contact details: a different address or number has no entry. Sending the
 * same contact again does not clear it: a warehouse re-sending what it already had says nothing
 * about whether the mailbox now exists or the customer withdrew a complaint.
 */

/** The same contact however a warehouse wrote it: addresses compare without case or surrounding space; numbers are E.164 already. */
export function normaliseContact(channel: Channel, contact: string): string {
  const trimmed = contact.trim();
  return channel === 'email' ? trimmed.toLowerCase() : trimmed.replace(/[\s().-]/g, '');
}

/** The list's key for a contact: SHA-256 of channel and normalised contact, in hex. */
export function contactDigest(channel: Channel, contact: string): string {
  return createHash('sha256')
    .update(`${channel}:${normaliseContact(channel, contact)}`)
    .digest('hex');
}

export function maskedContact(channel: Channel, contact: string): string {
  const normalised = normaliseContact(channel, contact);
  return channel === 'email' ? maskEmail(normalised) : maskPhone(normalised);
}

export interface SuppressionEntry {
  channel: Channel;
  digest: string;
  masked: string;
  reason: SuppressionReason;
  since: string;
  /** The notification whose outcome put it there (its id), and the warehouse that owned that customer, when known. */
  source?: string;
  owner?: string;
}
