/**
 * A fixed-offset zone where it is early afternoon now, so quiet hours (21:00–08:00 local) never
 * hold an SMS back whatever time a demo, a test or a benchmark runs. Etc/GMT-3 means UTC+3.
 */
export function daytimeZone(now = new Date()): string {
  let offset = 13 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
