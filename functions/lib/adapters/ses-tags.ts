/**
 * SES message tags (EmailTags): names and values of ASCII letters, digits, `_` and `-` only, at most
 * 256 characters each. They come back on every receipt of the message in `mail.tags`, so they carry
 * the claim's reference: base64url (whose alphabet is exactly those characters) cut into
 * `claim0`, `claim1`, … of 256 characters; a shipment claim's key needs at most two.
 */

const TAG_VALUE_MAX = 256;
export const CLAIM_TAG_PREFIX = 'claim';

/** `shipment.out_for_delivery` → `shipment-out_for_delivery`: a `.` is not allowed in a tag. */
export function eventTypeTag(eventType: string): string {
  return eventType.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, TAG_VALUE_MAX) || '-';
}

export function sesTags(eventType: string, reference: string): { Name: string; Value: string }[] {
  const encoded = Buffer.from(reference, 'utf8').toString('base64url');
  const chunks: { Name: string; Value: string }[] = [];
  for (let start = 0, index = 0; start < encoded.length; start += TAG_VALUE_MAX, index++) {
    chunks.push({ Name: `${CLAIM_TAG_PREFIX}${index}`, Value: encoded.slice(start, start + TAG_VALUE_MAX) });
  }
  return [{ Name: 'eventType', Value: eventTypeTag(eventType) }, ...chunks];
}

/** The reference the `claimN` tags of a receipt carry (`mail.tags`: name → values), or undefined when they carry none. */
export function referenceOfTags(tags: Record<string, readonly string[] | undefined>): string | undefined {
  let encoded = '';
  for (let index = 0; tags[`${CLAIM_TAG_PREFIX}${index}`]?.[0] !== undefined; index++) encoded += tags[`${CLAIM_TAG_PREFIX}${index}`]?.[0];
  if (!encoded || !/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  return Buffer.from(encoded, 'base64url').toString('utf8');
}
