import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resourcesOfType } from '../../emulator/template.ts';
import { PROJECT_ROOT, projectTemplate } from '../../support/project.ts';

// An alarm on one of Parcelcast's own metrics only fires if it names the metric exactly as the
// functions emit it: their Powertools namespace, the `service` dimension Powertools adds to every
// metric, and a metric name the code writes.

function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(folder, entry.name))
      : entry.name.endsWith('.ts')
        ? [readFileSync(join(folder, entry.name), 'utf8')]
        : [],
  );
}

describe("alarms on Parcelcast's own metrics", () => {
  const template = projectTemplate();
  const variables = template.Globals?.Function?.Environment?.Variables as Record<string, string>;
  const namespace = variables.POWERTOOLS_METRICS_NAMESPACE;
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(([, alarm]) => alarm.Properties?.Namespace === namespace);
  const code = sources(join(PROJECT_ROOT, 'functions')).join('\n');

  it('include the notification cap alarm', () => {
    expect(alarms.map(([id]) => id)).toContain('NotificationCapAlarm');
  });

  for (const [id, alarm] of alarms) {
    it(`${id} watches a metric the functions emit, with the service dimension Powertools adds`, () => {
      expect(alarm.Properties?.Dimensions).toEqual([{ Name: 'service', Value: variables.POWERTOOLS_SERVICE_NAME }]);
      expect(code).toContain(`'${alarm.Properties?.MetricName}'`);
    });
  }
});
