/**
 * Intl formatters, built once per locale and options and then reused. Building an
 * `Intl.DateTimeFormat` or `Intl.NumberFormat` loads locale and time-zone data and costs tens of
 * microseconds; using one costs a few. A sender renders several dates per message and the
 * scheduling of quiet hours asks for the local time of each SMS, so building them afresh was a
 * visible share of a sender's CPU. Written by hand because no library we depend on memoises Intl
 * objects, and this is a few lines.
 *
 * Locales and time zones come from warehouse events, so the number of distinct keys is not ours to
 * bound: the cache forgets everything once it holds `CAPACITY` formatters (a customer base uses a
 * handful; a hostile stream of distinct locales only costs rebuilds, never memory).
 */

const CAPACITY = 256;

function memoised<T>(build: (locale: string, options: object) => T): (locale: string, options: object) => T {
  const cache = new Map<string, T>();
  return (locale, options) => {
    const key = `${locale}\u0000${JSON.stringify(options)}`;
    let value = cache.get(key);
    if (value === undefined) {
      value = build(locale, options);
      if (cache.size >= CAPACITY) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}

/** `new Intl.DateTimeFormat(locale, options)`, shared. Throws as the constructor does (an unknown time zone: RangeError). */
export const dateTimeFormat: (locale: string, options: Intl.DateTimeFormatOptions) => Intl.DateTimeFormat = memoised(
  (locale, options) => new Intl.DateTimeFormat(locale, options),
);

/** `new Intl.NumberFormat(locale, options)`, shared. Throws as the constructor does. */
export const numberFormat: (locale: string, options: Intl.NumberFormatOptions) => Intl.NumberFormat = memoised(
  (locale, options) => new Intl.NumberFormat(locale, options),
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
