/**
 * Intl formatters, built once per locale and options and then reused. Building an
 * `Intl.DateTimeFormat` or `Intl.NumberFormat` loads locale and time-zone data and costs tens of
 * microseconds; using one costs a few. A sender renders several dates per message and the
 * scheduling of quiet hours asks for the local time of each SMS, so building them afresh was a
 * visible share of a sender's CPU; so was parsing the customer's locale tag for each message.
 * Written by hand because no library we depend on memoises Intl
 * objects, and this is a few lines.
 *
 * Locales and time zones come from warehouse events, so the number of distinct keys is not ours to
 * bound: the cache forgets everything once it holds `CAPACITY` formatters (a customer base uses a
 * handful; a hostile stream of distinct locales only costs rebuilds, never memory).
 */

const CAPACITY = 256;

function memoised<A extends unknown[], T>(keyOf: (...args: A) => string, build: (...args: A) => T): (...args: A) => T {
  const cache = new Map<string, T>();
  return (...args) => {
    const key = keyOf(...args);
    let value = cache.get(key);
    if (value === undefined) {
      value = build(...args);
      if (cache.size >= CAPACITY) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}

const byLocaleAndOptions = (locale: string, options: object) => `${locale}\u0000${JSON.stringify(options)}`;

/** `new Intl.DateTimeFormat(locale, options)`, shared. Throws as the constructor does (an unknown time zone: RangeError). */
export const dateTimeFormat: (locale: string, options: Intl.DateTimeFormatOptions) => Intl.DateTimeFormat = memoised(
  byLocaleAndOptions,
  (locale: string, options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(locale, options),
);

/** `new Intl.NumberFormat(locale, options)`, shared. Throws as the constructor does. */
export const numberFormat: (locale: string, options: Intl.NumberFormatOptions) => Intl.NumberFormat = memoised(
  byLocaleAndOptions,
  (locale: string, options: Intl.NumberFormatOptions) => new Intl.NumberFormat(locale, options),
);

/** `new Intl.Locale(locale).language`, shared (every message asks which words to use). Throws as the constructor does. */
export const localeLanguage: (locale: string) => string = memoised(
  (locale: string) => locale,
  (locale: string) => new Intl.Locale(locale).language,
);

/** `Intl.getCanonicalLocales(locale)[0]`, shared. Throws as it does for a malformed tag. */
export const canonicalLocale: (locale: string) => string | undefined = memoised(
  (locale: string) => locale,
  (locale: string) => Intl.getCanonicalLocales(locale)[0],
);

/** Whether Intl knows `timeZone` as an IANA zone (or a fixed offset it accepts). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    dateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}
