import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { tracingEnabled } from './config.ts';
import { PiiRedactingLogFormatter } from './pii-redaction.ts';

// The Tracer, loaded only where it traces (config.ts, tracingEnabled): its import brings the X-Ray
// SDK, whose async hooks would otherwise slow every await of the local stack and the tests for a
// Tracer that is off there anyway. Powertools offers no lazy path of its own, and the X-Ray SDK's
// maintainers advise importing it conditionally (aws/aws-xray-sdk-node#420). Once per container.
const tracing = tracingEnabled() ? await import('@aws-lambda-powertools/tracer') : undefined;

/**
 * One function's Powertools: built by its composition root, once per container, and handed to
 * its handler. Each reads its settings (service name, namespace, log level) from the template's
 * environment when built. Nothing here is a module-level singleton, so two functions loaded into
 * one process (a test, a local runner) never share log keys or a metrics buffer.
 */
export interface Observability {
  /** JSON lines; phone numbers and email addresses masked in every line (pii-redaction.ts). */
  logger: Logger;
  /** CloudWatch EMF, flushed by the `logMetrics` middleware of the shared middy stack. */
  metrics: FunctionMetrics;
  /** X-Ray (the template sets `Tracing: Active`); none outside Lambda and under SAM CLI. */
  tracer: Tracer | undefined;
}

/** Powertools' Metrics, saying whether it publishes at all (off with POWERTOOLS_METRICS_DISABLED, or POWERTOOLS_DEV). */
export class FunctionMetrics extends Metrics {
  get publishing(): boolean {
    return !this.isDisabled();
  }
}

export function createObservability(options: { metricDimensions?: Record<string, string> } = {}): Observability {
  return {
    logger: new Logger({ logFormatter: new PiiRedactingLogFormatter() }),
    metrics: new FunctionMetrics(options.metricDimensions ? { defaultDimensions: options.metricDimensions } : {}),
    tracer: tracing ? new tracing.Tracer() : undefined,
  };
}

const singles = new WeakMap<Metrics, Metrics>();

/**
 * `metrics.singleMetric()`, built once per Metrics and reused. Powertools builds a new Metrics on
 * every call (reading the environment, creating a Console), about 5 % of the ingest's CPU in a
 * profile of the benchmark. A single-metric instance publishes on each `addMetric` and then clears
 * the dimensions added for it, keeping the default ones, so one instance serves every call. Add its
 * dimensions and its metric in one synchronous chain, as every caller here does.
 */
export function singleMetricOf(metrics: Metrics): Metrics {
  let single = singles.get(metrics);
  if (!single) {
    single = metrics.singleMetric();
    singles.set(metrics, single);
  }
  return single;
}

/**
 * Adds `counts` of metric `name`, one EMF entry per value of `dimension` (e.g. per event type),
 * so a batch of 100 events costs one line per distinct value, not one per event.
 */
export function countBy(metrics: Metrics, name: string, dimension: string, values: Iterable<string>): void {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  for (const [value, count] of counts) {
    singleMetricOf(metrics).addDimension(dimension, value).addMetric(name, MetricUnit.Count, count);
  }
}

/** `sent` → NotificationsSent, `opted_out` → NotificationsOptedOut, … (one metric per outcome). */
export function notificationMetric(outcome: string): string {
  return `Notifications${outcome.replace(/(^|_)([a-z])/g, (_, __, letter: string) => letter.toUpperCase())}`;
}
