/**
 * Safe text: what a warehouse may put in a field that reaches a customer (SMS, email) or a
 * terminal (the local outbox, logs). Characters that can hide, reorder or forge what a reader
 * sees are refused at ingest, and stripped again when text is rendered, so text stored before
 * these rules existed cannot slip through either (docs/problems.md, "Safe text").
 */

/**
 * Control characters (C0, DEL, C1), format characters (bidi embeddings, overrides, isolates and
 * marks, zero-width spaces, invisible operators, tags, the byte-order mark…), private-use code
 * points, lone surrogates, noncharacters and line/paragraph separators. The zero-width
 * (non-)joiners are format characters too, but Persian, Indic scripts and emoji sequences spell
 * words with them, and they cannot reorder or hide text.
 */
const UNSAFE = /(?![\u200c\u200d])[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\p{Noncharacter_Code_Point}]/u;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'gu');

/** Any run of white space, line breaks and tabs included (they are layout, not content). */
const WHITE_SPACE_RUN = /\s+/gu;

/** `U+202E`: how an offending character is named in an error message (never echoed raw). */
export function codePointName(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The first character text must not carry, or undefined when there is none. */
export function firstUnsafeCharacter(text: string): string | undefined {
  return UNSAFE.exec(text)?.[0];
}

export const UNSAFE_TEXT_MESSAGE = 'must not contain control, formatting (bidi) or private-use characters';

/** NFC, with every run of white space (tabs and line breaks included) folded into one space, and trimmed. */
export function normaliseText(text: string): string {
  return text.normalize('NFC').replace(WHITE_SPACE_RUN, ' ').trim();
}

/**
 * `normaliseText`, then every unsafe character removed: for rendering text that was stored
 * before it was validated as it is now. Ingest refuses such text instead of rewriting it.
 */
export function sanitiseText(text: string): string {
  return normaliseText(normaliseText(text).replace(UNSAFE_ALL, ''));
}

/** The longest URL accepted as a tracking link: it has to fit a one-segment SMS with its sentence. */
export const MAX_TRACKING_URL_LENGTH = 512;

/**
 * A DNS host name of at least two labels whose last label is alphabetic or an `xn--` IDN label:
 * no IP literal, no single-label host such as `localhost`.
 */
const HOST_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
/** Printable ASCII without space or backslash (which parsers disagree on). */
const URL_CHARACTERS = /^[!-[\]-~]+$/;

/**
 * Why `value` cannot be shown to a customer as a link, or undefined when it can. A Unicode host
 * name is refused rather than converted: a look-alike (`раураl.com`, Cyrillic) would otherwise
 * pass as its harmless-looking punycode; a warehouse that means an IDN sends the `xn--` form.
 */
export function trackingUrlProblem(value: string): string | undefined {
  if (value.length > MAX_TRACKING_URL_LENGTH) return `must be at most ${MAX_TRACKING_URL_LENGTH} characters`;
  if (!URL_CHARACTERS.test(value)) {
    return 'must be printable ASCII without spaces or backslashes: send an international host name in its xn-- form and percent-encode the rest';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL such as "https://track.example.com/JD0146"';
  }
  if (url.protocol !== 'https:') return 'must be an https URL';
  if (url.username !== '' || url.password !== '') return 'must not carry user information (user@host)';
  if (!HOST_NAME.test(url.hostname)) return 'must name a host such as track.example.com (no IP address or single-label host)';
  if (url.href.length > MAX_TRACKING_URL_LENGTH) return `must be at most ${MAX_TRACKING_URL_LENGTH} characters once normalised`;
  return undefined;
}

/**
 * The URL as browsers serialise it (host lower-cased, default port and dot segments removed),
 * so the link a customer reads is the one their phone opens.
 */
export function normaliseUrl(value: string): string {
  try {
    return new URL(value).href;
  } catch {
    return value;
  }
}

/** The link to show, or undefined when a stored one does not pass today's rules. */
export function safeTrackingUrl(value: string | undefined): string | undefined {
  if (value === undefined || trackingUrlProblem(value) !== undefined) return undefined;
  return normaliseUrl(value);
}
