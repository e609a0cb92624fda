/**
 * SMS character budgets. GSM 03.38 (7-bit) fits 160 characters in one segment, 153 per part when
 * concatenated; anything outside it forces UCS-2 for the whole message: 70 per segment, 67 per part.
 * Text is transliterated to GSM-7 where a plain equivalent exists (á → a, non-breaking space →
 * space); only characters without one (e.g. Cyrillic, CJK) make a message UCS-2, knowingly.
 */

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** Reachable through the escape character, so each costs two septets. */
const GSM7_EXTENDED = '\f^{}\\[~]|€';

const BASIC = new Set(GSM7_BASIC);
const EXTENDED = new Set(GSM7_EXTENDED);

export const GSM7_SINGLE_SEGMENT = 160;
const GSM7_PART = 153;
const UCS2_SINGLE_SEGMENT = 70;
const UCS2_PART = 67;

/** Replacements for common characters GSM-7 lacks, beyond stripping diacritics. */
const REPLACEMENTS: Record<string, string> = {
  '\u00a0': ' ',
  '\u202f': ' ',
  '\u2009': ' ',
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u00ab': '"',
  '\u00bb': '"',
  '\u2013': '-',
  '\u2014': '-',
  '\u2026': '...',
  '\u00b7': '.',
  '\u2022': '-',
  ç: 'c',
  œ: 'oe',
  Œ: 'OE',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
};

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsText {
  text: string;
  encoding: SmsEncoding;
  /** Characters as the network counts them: septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  segments: number;
}

export function isGsm7(text: string): boolean {
  for (const char of text) if (!BASIC.has(char) && !EXTENDED.has(char)) return false;
  return true;
}

/** Rewrites each character GSM-7 lacks to its closest GSM-7 spelling; characters with none stay. */
export function transliterateToGsm7(text: string): string {
  let out = '';
  for (const char of text) {
    if (BASIC.has(char) || EXTENDED.has(char)) out += char;
    else if (char in REPLACEMENTS) out += REPLACEMENTS[char];
    else {
      const stripped = char.normalize('NFD').replace(/\p{M}/gu, '');
      out += stripped !== char && isGsm7(stripped) ? stripped : char;
    }
  }
  return out;
}

/** How the network will carry `text` as it stands. */
export function measureSms(text: string): SmsText {
  if (isGsm7(text)) {
    let units = 0;
    for (const char of text) units += EXTENDED.has(char) ? 2 : 1;
    return { text, encoding: 'GSM-7', units, segments: units <= GSM7_SINGLE_SEGMENT ? 1 : Math.ceil(units / GSM7_PART) };
  }
  const units = text.length;
  return { text, encoding: 'UCS-2', units, segments: units <= UCS2_SINGLE_SEGMENT ? 1 : Math.ceil(units / UCS2_PART) };
}

/** Transliterates, then measures: the SMS as it will actually be sent. */
export function prepareSms(text: string): SmsText {
  return measureSms(transliterateToGsm7(text));
}
