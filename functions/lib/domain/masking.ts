/** Contact details leave the system only masked: enough to recognise, not to use. */

const MASK = '•';

export function maskPhone(phone: string): string {
  if (phone.length <= 6) return MASK.repeat(phone.length);
  return `${phone.slice(0, 3)}${MASK.repeat(phone.length - 5)}${phone.slice(-2)}`;
}

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return MASK.repeat(email.length);
  return `${email[0]}${MASK.repeat(3)}${email.slice(at)}`;
}

const EMAIL_PATTERN = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;
/** E.164, also as providers and people write it: `+34 600 111 222`, `+34-600-111-222`, `+1 (415) 555-0100`. */
const PHONE_PATTERN = /\+[1-9](?:[ .()-]{0,2}\d){6,14}/g;

/** Free text (an error message, a provider's reason) with every phone number and address masked. */
export function redactText(text: string): string {
  return text.replace(EMAIL_PATTERN, (email) => maskEmail(email)).replace(PHONE_PATTERN, (phone) => maskPhone(phone));
}
