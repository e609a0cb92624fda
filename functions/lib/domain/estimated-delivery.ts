import { dateTimeFormat } from './intl-formats.ts';

/**
 * When a parcel is expected (`estimatedDelivery` on shipment events): a day, or a window of two
 * instants, each in the time zone it was promised in. A module of its own so the senders, which
 * format it, need no event schemas.
 */
export type EstimatedDelivery = { date: string; timeZone: string } | { from: string; to: string; timeZone: string };

/** The estimate as one key: its day, or its window in UTC (what a "new delivery date" message is claimed by). */
export function estimateKey(estimate: EstimatedDelivery): string {
  return 'date' in estimate ? estimate.date : `${new Date(estimate.from).toISOString()}_${new Date(estimate.to).toISOString()}`;
}

/** The calendar day (days since 1970-01-01) the estimate ends on, as `timeZone` sees it. */
function lastDay(estimate: EstimatedDelivery, timeZone: string): number {
  if ('date' in estimate) return Date.parse(`${estimate.date}T00:00:00Z`) / 86_400_000;
  const parts = dateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(estimate.to));
  return Date.parse(`${parts}T00:00:00Z`) / 86_400_000;
}

/**
 * Did the estimate move by a day or more, compared in the customer's time zone (the estimate's
 * own when the customer's is unknown)? A window that narrows within its day did not.
 */
export function movedByADay(before: EstimatedDelivery, after: EstimatedDelivery, customerTimeZone: string | undefined): boolean {
  const zone = (estimate: EstimatedDelivery) => customerTimeZone ?? estimate.timeZone;
  return Math.abs(lastDay(after, zone(after)) - lastDay(before, zone(before))) >= 1;
}
