import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Template } from '../../emulator/template.ts';
import { checkTemplate, rules } from '../../scripts/template-rules.ts';
import { PROJECT_ROOT, projectTemplate } from '../../support/project.ts';

// WS1003 expands SAM's policy templates as read from the installed aws-sam-translator (scripts/sam-translator.ts).

const pristine = () => structuredClone(projectTemplate()) as Template;
const resourcesOf = (template: Template, type: string) => Object.values(template.Resources).filter((resource) => resource.Type === type);
const firstOf = (template: Template, type: string) => {
  const [resource] = resourcesOf(template, type);
  if (!resource) throw new Error(`template.yaml has no ${type} to break`);
  return resource;
};
const firstSource = (template: Template, type: string) => {
  for (const resource of resourcesOf(template, 'AWS::Serverless::Function')) {
    for (const source of Object.values(resource.Properties?.Events ?? {}) as { Type: string; Properties: Record<string, any> }[]) {
      if (source.Type === type) return source.Properties;
    }
  }
  throw new Error(`template.yaml has no ${type} event source to break`);
};

/** One broken copy per rule: the mistake the rule exists to catch. */
const mistakes: Record<string, (template: Template) => void> = {
  WS1000: (template) => {
    delete template.Globals?.Function?.Tracing;
  },
  ES1001: (template) => {
    delete firstSource(template, 'DynamoDB').DestinationConfig;
  },
  WS1003: (template) => {
    firstOf(template, 'AWS::Serverless::Function').Properties?.Policies.push({
      Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }],
    });
  },
  WS1004: (template) => {
    for (const resource of resourcesOf(template, 'AWS::Logs::LogGroup')) delete resource.Properties?.RetentionInDays;
  },
  ES1005: (template) => {
    delete template.Globals?.Function?.MemorySize;
  },
  ES1006: (template) => {
    delete template.Globals?.Function?.Timeout;
  },
  ES1007: (template) => {
    const fn = firstOf(template, 'AWS::Serverless::Function');
    fn.Properties = {
      ...fn.Properties,
      Events: { ...fn.Properties?.Events, Nightly: { Type: 'Schedule', Properties: { Schedule: 'rate(1 day)' } } },
    };
  },
  'STREAM-RETRIES': (template) => {
    firstSource(template, 'DynamoDB').MaximumRetryAttempts = -1;
  },
  'SQS-SOURCE-DLQ': (template) => {
    const source = firstSource(template, 'SQS');
    const queue = template.Resources[source.Queue['Fn::GetAtt'][0]];
    delete queue?.Properties?.RedrivePolicy;
  },
  // The alarm e-mail's: a rule that skipped e-mail subscriptions once let it go without one.
  'SNS-SUBSCRIPTION-DLQ': (template) => {
    delete template.Resources.AlarmEmailSubscription?.Properties?.RedrivePolicy;
  },
  'SNS-QUEUE-POLICY': (template) => {
    const [id] = Object.entries(template.Resources).find(([, resource]) => resource.Type === 'AWS::SQS::QueuePolicy') ?? [];
    if (id) delete template.Resources[id];
  },
  'SQS-ENCRYPTION': (template) => {
    const queue = firstOf(template, 'AWS::SQS::Queue');
    delete queue.Properties?.KmsMasterKeyId;
    delete queue.Properties?.SqsManagedSseEnabled;
  },
  'SNS-ENCRYPTION': (template) => {
    delete firstOf(template, 'AWS::SNS::Topic').Properties?.KmsMasterKeyId;
  },
  'API-THROTTLING': (template) => {
    delete firstOf(template, 'AWS::Serverless::HttpApi').Properties?.DefaultRouteSettings;
  },
  'ONE-ROLE-PER-FUNCTION': (template) => {
    for (const resource of resourcesOf(template, 'AWS::Serverless::Function')) {
      resource.Properties = { ...resource.Properties, Role: { 'Fn::GetAtt': ['SharedRole', 'Arn'] } };
    }
    template.Resources.SharedRole = { Type: 'AWS::IAM::Role', Properties: {} };
  },
  'STATE-MACHINE-OBSERVABLE': (template) => {
    delete firstOf(template, 'AWS::Serverless::StateMachine').Properties?.Tracing;
  },
  ALARMS: (template) => {
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type === 'AWS::CloudWatch::Alarm' && resource.Properties?.MetricName === 'ApproximateNumberOfMessagesVisible') {
        delete template.Resources[id];
        return;
      }
    }
  },
  'REFERENCES-RESOLVE': (template) => {
    const fn = firstOf(template, 'AWS::Serverless::Function');
    fn.Properties = { ...fn.Properties, Environment: { Variables: { MISSING: { Ref: 'NoSuchResource' } } } };
  },
};

describe('template.yaml rules', () => {
  for (const { rule, violations } of checkTemplate()) {
    it(`${rule.id} holds: ${rule.title}`, () => {
      expect(violations).toEqual([]);
    });
  }

  it('WS1003 allows no SES or SMS action on *: SMS straight to any number, as SNS needed, is refused', () => {
    const broken = pristine();
    for (const action of ['sns:Publish', 'ses:SendEmail', 'sms-voice:SendTextMessage']) {
      broken.Resources.SendSmsFunction?.Properties?.Policies.push({ Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
    }
    const ws1003 = rules.find((rule) => rule.id === 'WS1003') as (typeof rules)[number];
    expect(ws1003.check(broken)).toEqual([
      'SendSmsFunction: inline allows sns:Publish on *',
      'SendSmsFunction: inline allows ses:SendEmail on *',
      'SendSmsFunction: inline allows sms-voice:SendTextMessage on *',
    ]);
  });

  it('has a broken copy for every rule', () => {
    expect(Object.keys(mistakes).sort()).toEqual(rules.map((rule) => rule.id).sort());
  });

  for (const rule of rules) {
    it(`${rule.id} catches its mistake in a broken copy`, () => {
      const broken = pristine();
      mistakes[rule.id]?.(broken);
      expect(rule.check(broken).length).toBeGreaterThan(0);
    });
  }
});

describe('publishing to the Serverless Application Repository', () => {
  const metadata = projectTemplate().Metadata?.['AWS::ServerlessRepo::Application'] as Record<string, unknown> | undefined;

  it('carries complete application metadata', () => {
    expect(metadata).toMatchObject({
      Name: expect.stringMatching(/^[a-z0-9-]+$/),
      Description: expect.any(String),
      Author: expect.any(String),
      SpdxLicenseId: 'Apache-2.0',
      LicenseUrl: 'LICENSE',
      ReadmeUrl: 'README.md',
      Labels: expect.arrayContaining(['shipping']),
      SemanticVersion: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      SourceCodeUrl: expect.stringMatching(/^https:\/\//),
    });
  });

  it('publishes the version package.json declares, with the files it points at', () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));
    expect(metadata?.SemanticVersion).toBe(pkg.version);
    expect(pkg.license).toBe(metadata?.SpdxLicenseId);
    expect(existsSync(join(PROJECT_ROOT, String(metadata?.LicenseUrl)))).toBe(true);
    expect(existsSync(join(PROJECT_ROOT, String(metadata?.ReadmeUrl)))).toBe(true);
  });
});
