import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaHandler } from '#lib/handlers/middleware.ts';
import { countBy, FunctionMetrics, singleMetricOf } from '#lib/runtime/observability.ts';
import { lambdaContext } from '../../emulator/lambda-context.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** EMF lines as Powertools prints them (POWERTOOLS_DEV: through the global console). */
function emfLines(): Record<string, unknown>[] {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  const lines: Record<string, unknown>[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    lines.push(JSON.parse(String(line)));
  });
  return lines;
}

describe('metrics counted by dimension', () => {
  it('writes one EMF line per distinct value, each with only its own dimension beside the defaults', () => {
    const lines = emfLines();
    const metrics = new Metrics({ namespace: 'Parcelcast', serviceName: 'ingest', defaultDimensions: { channel: 'sms' } });
    countBy(metrics, 'EventsAccepted', 'eventType', ['shipment.created', 'shipment.shipped', 'shipment.created']);
    singleMetricOf(metrics).addMetric('NotificationCapReached', MetricUnit.Count, 1);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ channel: 'sms', eventType: 'shipment.created', EventsAccepted: 2 });
    expect(lines[1]).toMatchObject({ channel: 'sms', eventType: 'shipment.shipped', EventsAccepted: 1 });
    // The reused instance forgot the eventType dimension once it published.
    expect(lines[2]).toMatchObject({ channel: 'sms', NotificationCapReached: 1 });
    expect(lines[2]).not.toHaveProperty('eventType');
    expect(lines[2]).not.toHaveProperty('EventsAccepted');
  });

  it('reuses one single-metric instance per Metrics, and none of another', () => {
    const metrics = new Metrics({ namespace: 'Parcelcast' });
    expect(singleMetricOf(metrics)).toBe(singleMetricOf(metrics));
    expect(singleMetricOf(new Metrics({ namespace: 'Parcelcast' }))).not.toBe(singleMetricOf(metrics));
  });
});

describe("the shared handler stack's metrics flush", () => {
  const probe = (gate?: Promise<void>) => {
    const observability = {
      logger: new Logger(),
      metrics: new FunctionMetrics({ namespace: 'Parcelcast', serviceName: 'probe' }),
      tracer: undefined,
    };
    const handler = lambdaHandler<unknown, string>(observability, { metrics: true }).handler(async () => {
      observability.metrics.addMetric('Probed', MetricUnit.Count, 1);
      await gate;
      return 'ok';
    });
    return (name: string) => handler({}, lambdaContext(name));
  };

  it('publishes what an invocation counted, where metrics are on', async () => {
    const lines = emfLines();
    await probe()('Probe');
    expect(lines).toEqual([expect.objectContaining({ Probed: 1 })]);
  });

  it('is left out where metrics are off: invocations interleaved on one thread (as the local runner runs them) warn nothing', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    vi.stubEnv('POWERTOOLS_DEV', 'true');
    const printed: unknown[] = [];
    for (const method of ['log', 'warn', 'error'] as const)
      vi.spyOn(console, method).mockImplementation((line: unknown) => void printed.push(line));
    let open: () => void = () => undefined;
    const invoke = probe(new Promise<void>((resolve) => (open = resolve)));

    const both = Promise.all([invoke('first'), invoke('second')]);
    open();

    expect(await both).toEqual(['ok', 'ok']);
    expect(printed).toEqual([]);
  });
});
