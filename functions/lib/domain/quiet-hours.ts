import { dateTimeFormat } from './intl-formats.ts';

/**
 * Quiet hours for SMS: nothing is texted between 21:00 and 08:00 in the customer's time zone;
 * a message due then waits until 08:00 local. Email is never held, and neither is an SMS to a
 * customer whose time zone is unknown. Pure: the caller passes `now`.
 */

export const QUIET_FROM_HOUR = 21;
export const QUIET_UNTIL_HOUR = 8;
/** Dates in messages are shown in UTC when the customer gave no time zone. */
export const DEFAULT_TIME_ZONE = 'UTC';

interface LocalTime {
  hour: number;
  minute: number;
  second: number;
}

function localTime(instant: Date, timeZone: string): LocalTime {
  const parts = dateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const value = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  return { hour: value('hour'), minute: value('minute'), second: value('second') };
}

export function isQuietHour(instant: Date, timeZone: string): boolean {
  const { hour } = localTime(instant, timeZone);
  return hour >= QUIET_FROM_HOUR || hour < QUIET_UNTIL_HOUR;
}

/**
 * When an SMS that is due at `now` may go out: `now` itself outside quiet hours, otherwise the
 * next 08:00 local. Found by stepping in whole minutes from local wall time, then checked against
 * the zone again, so a daylight-saving change in the night lands on the first allowed minute.
 */
export function smsSendableAt(now: Date, timeZone: string | undefined): Date {
  // Without a time zone we do not know when the customer's night is; holding the message until
  // 08:00 UTC could mean 01:00 where they are, so it goes out at once.
  if (timeZone === undefined || !isQuietHour(now, timeZone)) return now;
  const { hour, minute, second } = localTime(now, timeZone);
  const minutesToday = hour * 60 + minute;
  const untilMinutes = QUIET_UNTIL_HOUR * 60;
  const wait = minutesToday < untilMinutes ? untilMinutes - minutesToday : 24 * 60 - minutesToday + untilMinutes;
  let candidate = new Date(now.getTime() + wait * 60_000 - second * 1000 - now.getUTCMilliseconds());
  // Daylight-saving shifts move wall time by up to an hour; walk to the first non-quiet minute.
  for (let step = 0; step < 180 && isQuietHour(candidate, timeZone); step++) candidate = new Date(candidate.getTime() + 60_000);
  for (let step = 0; step < 180 && !isQuietHour(new Date(candidate.getTime() - 60_000), timeZone); step++) {
    candidate = new Date(candidate.getTime() - 60_000);
  }
  return candidate;
}
