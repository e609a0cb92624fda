import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PiiRedactingLogFormatter } from './pii-redaction.ts';

/**
 * Shared Powertools logger: JSON lines, service name and level from the template's environment,
 * phone numbers and email addresses masked in every line (pii-redaction.ts).
 */
export const logger = new Logger({ logFormatter: new PiiRedactingLogFormatter() });

/** Shared Powertools metrics, flushed as CloudWatch EMF by the `logMetrics` middleware. */
export const metrics = new Metrics();

/**
 * Adds `counts` of metric `name`, one EMF entry per value of `dimension` (e.g. per event type),
 * so a batch of 100 events costs one line per distinct value, not one per event.
 */
export function countBy(name: string, dimension: string, values: Iterable<string>): void {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  for (const [value, count] of counts) {
    metrics.singleMetric().addDimension(dimension, value).addMetric(name, MetricUnit.Count, count);
  }
}

/** `sent` → NotificationsSent, `opted_out` → NotificationsOptedOut, … (one metric per outcome). */
export function notificationMetric(outcome: string): string {
  return `Notifications${outcome.replace(/(^|_)([a-z])/g, (_, __, letter: string) => letter.toUpperCase())}`;
}
