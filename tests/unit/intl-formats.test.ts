import { describe, expect, it } from 'vitest';
import { dateTimeFormat, isKnownTimeZone, numberFormat } from '#domain/intl-formats.ts';

describe('Intl formatters built once', () => {
  it('answers the same formatter for the same locale and options, another for others', () => {
    const options = { timeZone: 'Europe/Madrid', hour: '2-digit', minute: '2-digit' } as const;
    const first = dateTimeFormat('es-ES', options);
    expect(dateTimeFormat('es-ES', { ...options })).toBe(first);
    expect(dateTimeFormat('es-ES', { ...options, timeZone: 'Asia/Tokyo' })).not.toBe(first);
    expect(dateTimeFormat('de-DE', options)).not.toBe(first);
    expect(first.format(new Date('2026-12-03T17:05:00Z'))).toBe('18:05');
    expect(numberFormat('de-DE', { style: 'currency', currency: 'EUR' })).toBe(
      numberFormat('de-DE', { style: 'currency', currency: 'EUR' }),
    );
  });

  it('throws for a time zone Intl does not know, and remembers nothing for it', () => {
    expect(() => dateTimeFormat('en', { timeZone: 'Mars/Olympus_Mons' })).toThrow(RangeError);
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isKnownTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
  });

  it('keeps working, and formatting right, past its capacity of distinct keys', () => {
    const zones = Intl.supportedValuesOf('timeZone').slice(0, 300);
    for (const timeZone of zones) dateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' });
    const tokyo = dateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', hourCycle: 'h23' });
    expect(tokyo.format(new Date('2026-12-03T00:00:00Z'))).toBe('09');
    expect(dateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', hourCycle: 'h23' })).toBe(tokyo);
  });
});
