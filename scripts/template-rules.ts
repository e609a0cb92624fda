import { type Resource, resourcesOfType, type Template } from '../emulator/template.ts';
import { parseCommandLine } from '../support/cli.ts';
import { projectTemplate } from '../support/project.ts';
import { type PolicyTemplate, samPolicyTemplates } from './sam-translator.ts';

/**
 * Checks of template.yaml that `sam validate` cannot make, modelled on the published
 * serverless-rules (awslabs/serverless-rules; the IDs are theirs where a rule has one) plus
 * Parcelcast's own. Each rule returns human-readable violations; none means the rule holds.
 * `npm run check:template` prints them; tests/template/ proves each rule catches its mistake.
 */

export interface Rule {
  id: string;
  title: string;
  check(template: Template): string[];
}

/**
 * Actions AWS only grants on `*` (no resource-level permissions); the allow-list is deliberate. No
 * SES or SMS action is on it: SMS leaves from the stack's End User Messaging pool
 * (sms-voice:SendTextMessage on its ARN), email through the stack's identity and configuration set.
 */
const STAR_RESOURCE_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'cloudwatch:PutMetricData',
  'ssm:DescribeParameters',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

const functions = (template: Template) => resourcesOfType(template, 'AWS::Serverless::Function');

/** A function's property with the Globals.Function value as fallback, as SAM merges them. */
function functionProperty(template: Template, resource: Resource, name: string): unknown {
  return resource.Properties?.[name] ?? template.Globals?.Function?.[name];
}

type EventSource = { Type: string; Properties: Record<string, any> };
const eventSources = (resource: Resource) => Object.entries((resource.Properties?.Events ?? {}) as Record<string, EventSource>);

/** Every value in a tree, with its path, for reference checks. */
function* walk(value: unknown, path: string): Generator<[string, unknown]> {
  yield [path, value];
  if (Array.isArray(value)) for (const [index, item] of value.entries()) yield* walk(item, `${path}[${index}]`);
  else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) yield* walk(item, `${path}.${key}`);
}

function logicalIdOf(reference: unknown): string | undefined {
  if (!reference || typeof reference !== 'object') return undefined;
  const value = reference as Record<string, unknown>;
  if (typeof value.Ref === 'string') return value.Ref;
  if (Array.isArray(value['Fn::GetAtt'])) return String(value['Fn::GetAtt'][0]);
  return undefined;
}

/** Logical ids SAM generates from a resource (the function's role, the API's stage, …). */
function samGeneratedIds(template: Template): Set<string> {
  const ids = new Set<string>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::Serverless::Function') ids.add(`${id}Role`);
    if (resource.Type === 'AWS::Serverless::StateMachine') ids.add(`${id}Role`);
    if (resource.Type === 'AWS::Serverless::HttpApi') ids.add(`${id}ApiGatewayDefaultStage`);
  }
  return ids;
}

/** Statements of a SAM `Policies` list: inline statements and expanded policy templates. */
function policyStatements(policies: unknown, policyTemplates: Record<string, PolicyTemplate>) {
  const statements: { source: string; Action: string[]; Resource: unknown[] }[] = [];
  for (const policy of (Array.isArray(policies) ? policies : policies ? [policies] : []) as unknown[]) {
    if (typeof policy === 'string') {
      statements.push({ source: policy, Action: ['<managed policy>'], Resource: [] });
      continue;
    }
    const entry = policy as Record<string, any>;
    if (Array.isArray(entry.Statement)) {
      for (const statement of entry.Statement) {
        statements.push({ source: 'inline', Action: [statement.Action].flat(), Resource: [statement.Resource].flat() });
      }
      continue;
    }
    for (const name of Object.keys(entry)) {
      const policyTemplate = policyTemplates[name];
      if (!policyTemplate) {
        statements.push({ source: name, Action: ['<unknown policy template>'], Resource: [] });
        continue;
      }
      for (const statement of policyTemplate.Definition.Statement) {
        statements.push({ source: name, Action: [statement.Action].flat(), Resource: [statement.Resource].flat() });
      }
    }
  }
  return statements;
}

export const rules: Rule[] = [
  {
    id: 'WS1000',
    title: 'Lambda tracing: every function has X-Ray tracing active',
    check: (template) =>
      functions(template)
        .filter(([, resource]) => functionProperty(template, resource, 'Tracing') !== 'Active')
        .map(([id]) => `${id} does not set Tracing: Active`),
  },
  {
    id: 'ES1001',
    title: 'EventSourceMapping failure destination: every stream source has an OnFailure destination',
    check: (template) =>
      functions(template).flatMap(([id, resource]) =>
        eventSources(resource)
          .filter(
            ([, source]) => ['DynamoDB', 'Kinesis'].includes(source.Type) && !source.Properties.DestinationConfig?.OnFailure?.Destination,
          )
          .map(([name]) => `${id}.${name} has no DestinationConfig.OnFailure`),
      ),
  },
  {
    id: 'WS1003',
    title: 'Lambda star permissions: no wildcard action, no * resource where a narrower one exists',
    check: (template) => {
      const policyTemplates = samPolicyTemplates();
      return functions(template).flatMap(([id, resource]) =>
        policyStatements(resource.Properties?.Policies, policyTemplates).flatMap((statement) => [
          ...statement.Action.filter((action) => action === '*' || action.endsWith(':*')).map(
            (action) => `${id}: ${statement.source} allows ${action}`,
          ),
          ...statement.Action.filter((action) => action.startsWith('<')).map((action) => `${id}: ${statement.source} is a ${action}`),
          ...(statement.Resource.includes('*')
            ? statement.Action.filter((action) => !STAR_RESOURCE_ACTIONS.has(action)).map(
                (action) => `${id}: ${statement.source} allows ${action} on *`,
              )
            : []),
        ]),
      );
    },
  },
  {
    id: 'WS1004',
    title: 'Lambda log retention: every function logs to a group with a retention period',
    check: (template) =>
      functions(template).flatMap(([id, resource]) => {
        const group = logicalIdOf((functionProperty(template, resource, 'LoggingConfig') as { LogGroup?: unknown } | undefined)?.LogGroup);
        const explicit = Object.values(template.Resources).some(
          (candidate) =>
            candidate.Type === 'AWS::Logs::LogGroup' &&
            JSON.stringify(candidate.Properties?.LogGroupName ?? '').includes(`/aws/lambda/\${${id}}`) &&
            candidate.Properties?.RetentionInDays !== undefined,
        );
        if (explicit) return [];
        if (group && template.Resources[group]?.Properties?.RetentionInDays !== undefined) return [];
        return [`${id} has no log group with RetentionInDays`];
      }),
  },
  {
    id: 'ES1005',
    title: 'Lambda default memory size: MemorySize is chosen, not left at 128 MB',
    check: (template) =>
      functions(template)
        .filter(([, resource]) => functionProperty(template, resource, 'MemorySize') === undefined)
        .map(([id]) => `${id} leaves MemorySize at the default`),
  },
  {
    id: 'ES1006',
    title: 'Lambda default timeout: Timeout is chosen, not left at 3 s',
    check: (template) =>
      functions(template)
        .filter(([, resource]) => functionProperty(template, resource, 'Timeout') === undefined)
        .map(([id]) => `${id} leaves Timeout at the default`),
  },
  {
    id: 'ES1007',
    title: 'Async Lambda failure destination: asynchronously invoked functions have an OnFailure destination',
    check: (template) =>
      functions(template)
        .filter(([, resource]) =>
          eventSources(resource).some(([, source]) =>
            ['SNS', 'S3', 'EventBridgeRule', 'CloudWatchEvent', 'Schedule'].includes(source.Type),
          ),
        )
        .filter(
          ([, resource]) => !(resource.Properties?.EventInvokeConfig?.DestinationConfig?.OnFailure || resource.Properties?.DeadLetterQueue),
        )
        .map(([id]) => `${id} is invoked asynchronously without an OnFailure destination`),
  },
  {
    id: 'STREAM-RETRIES',
    title: 'Stream sources retry finitely, bisect poison batches and report partial failures',
    check: (template) =>
      functions(template).flatMap(([id, resource]) =>
        eventSources(resource)
          .filter(([, source]) => ['DynamoDB', 'Kinesis'].includes(source.Type))
          .flatMap(([name, source]) => {
            const problems: string[] = [];
            const p = source.Properties;
            if (!(Number(p.MaximumRetryAttempts) >= 0)) problems.push(`${id}.${name}: MaximumRetryAttempts must be finite`);
            if (!(Number(p.MaximumRecordAgeInSeconds) > 0)) problems.push(`${id}.${name}: MaximumRecordAgeInSeconds must be set`);
            if (p.BisectBatchOnFunctionError !== true) problems.push(`${id}.${name}: BisectBatchOnFunctionError must be true`);
            if (!(p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'))
              problems.push(`${id}.${name}: ReportBatchItemFailures missing`);
            return problems;
          }),
      ),
  },
  {
    id: 'SQS-SOURCE-DLQ',
    title: 'Every queue a function consumes has a dead-letter queue, and the function reports partial failures',
    check: (template) =>
      functions(template).flatMap(([id, resource]) =>
        eventSources(resource)
          .filter(([, source]) => source.Type === 'SQS')
          .flatMap(([name, source]) => {
            const queueId = logicalIdOf(source.Properties.Queue);
            const queue = queueId ? template.Resources[queueId] : undefined;
            const problems: string[] = [];
            if (!queue?.Properties?.RedrivePolicy?.deadLetterTargetArn)
              problems.push(`${id}.${name}: queue ${queueId} has no RedrivePolicy`);
            if (!(source.Properties.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'))
              problems.push(`${id}.${name}: ReportBatchItemFailures missing`);
            return problems;
          }),
      ),
  },
  {
    id: 'SNS-SUBSCRIPTION-DLQ',
    title: 'Every SNS subscription has a redrive policy: what SNS cannot deliver waits in a dead-letter queue',
    check: (template) =>
      resourcesOfType(template, 'AWS::SNS::Subscription')
        .filter(([, resource]) => !resource.Properties?.RedrivePolicy?.deadLetterTargetArn)
        .map(([id]) => `${id} has no RedrivePolicy`),
  },
  {
    id: 'SNS-QUEUE-POLICY',
    title: 'Every queue SNS delivers to (a subscription endpoint or its dead-letter queue) lets that topic, and only it, send to it',
    check: (template) => {
      const grants = new Set<string>();
      for (const [, policy] of resourcesOfType(template, 'AWS::SQS::QueuePolicy')) {
        const queues = ((policy.Properties?.Queues ?? []) as unknown[]).map(logicalIdOf);
        for (const statement of (policy.Properties?.PolicyDocument?.Statement ?? []) as Record<string, any>[]) {
          if (statement.Effect !== 'Allow' || statement.Principal?.Service !== 'sns.amazonaws.com') continue;
          if (![statement.Action].flat().includes('sqs:SendMessage')) continue;
          const topic = logicalIdOf(statement.Condition?.ArnEquals?.['aws:SourceArn']);
          const resources = [statement.Resource].flat().map(logicalIdOf);
          for (const queue of queues) if (topic && resources.includes(queue)) grants.add(`${queue} ${topic}`);
        }
      }
      return resourcesOfType(template, 'AWS::SNS::Subscription').flatMap(([id, resource]) => {
        const properties = resource.Properties ?? {};
        const topic = logicalIdOf(properties.TopicArn);
        const queues = [properties.Protocol === 'sqs' ? properties.Endpoint : undefined, properties.RedrivePolicy?.deadLetterTargetArn]
          .map(logicalIdOf)
          .filter((queue) => queue !== undefined);
        return queues
          .filter((queue) => !grants.has(`${queue} ${topic}`))
          .map((queue) => `${id}: no queue policy lets ${topic} send to ${queue}`);
      });
    },
  },
  {
    id: 'SQS-ENCRYPTION',
    title: 'Every SQS queue is encrypted at rest',
    check: (template) =>
      resourcesOfType(template, 'AWS::SQS::Queue')
        .filter(([, resource]) => !(resource.Properties?.KmsMasterKeyId || resource.Properties?.SqsManagedSseEnabled === true))
        .map(([id]) => `${id} is not encrypted`),
  },
  {
    id: 'SNS-ENCRYPTION',
    title: 'Every SNS topic is encrypted with KMS',
    check: (template) =>
      resourcesOfType(template, 'AWS::SNS::Topic')
        .filter(([, resource]) => !resource.Properties?.KmsMasterKeyId)
        .map(([id]) => `${id} has no KmsMasterKeyId`),
  },
  {
    id: 'API-THROTTLING',
    title: 'HTTP APIs set default route throttling',
    check: (template) =>
      resourcesOfType(template, 'AWS::Serverless::HttpApi')
        .filter(([, resource]) => {
          const settings = resource.Properties?.DefaultRouteSettings ?? {};
          return !(Number(settings.ThrottlingBurstLimit) > 0 && Number(settings.ThrottlingRateLimit) > 0);
        })
        .map(([id]) => `${id} has no DefaultRouteSettings throttling`),
  },
  {
    id: 'ONE-ROLE-PER-FUNCTION',
    title: 'Each function gets its own role (no shared Role)',
    check: (template) => {
      const roles = new Map<string, string[]>();
      for (const [id, resource] of functions(template)) {
        const role = resource.Properties?.Role;
        if (role === undefined) continue;
        const key = JSON.stringify(role);
        roles.set(key, [...(roles.get(key) ?? []), id]);
      }
      return [...roles.values()].filter((ids) => ids.length > 1).map((ids) => `${ids.join(', ')} share one role`);
    },
  },
  {
    id: 'STATE-MACHINE-OBSERVABLE',
    title: 'State machines trace with X-Ray and log to CloudWatch Logs',
    check: (template) =>
      resourcesOfType(template, 'AWS::Serverless::StateMachine').flatMap(([id, resource]) => [
        ...(resource.Properties?.Tracing?.Enabled === true ? [] : [`${id} has no Tracing.Enabled`]),
        ...(resource.Properties?.Logging?.Destinations?.length ? [] : [`${id} has no Logging destination`]),
      ]),
  },
  {
    id: 'ALARMS',
    title: 'Function errors, dead letters, stream lag and failed executions each raise an alarm to the AlertsTopic',
    check: (template) => {
      const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties ?? {});
      const watched = (namespace: string, metric: string, id: string) =>
        alarms.some(
          (alarm) =>
            alarm.Namespace === namespace &&
            alarm.MetricName === metric &&
            (alarm.Dimensions ?? []).some((dimension: { Value: unknown }) => logicalIdOf(dimension.Value) === id),
        );
      const problems: string[] = [];
      for (const [id, resource] of functions(template)) {
        if (!watched('AWS/Lambda', 'Errors', id)) problems.push(`${id} has no Errors alarm`);
        if (eventSources(resource).some(([, source]) => source.Type === 'DynamoDB') && !watched('AWS/Lambda', 'IteratorAge', id)) {
          problems.push(`${id} has no IteratorAge alarm`);
        }
      }
      const deadLetterQueues = new Set<string>();
      for (const [, resource] of resourcesOfType(template, 'AWS::SQS::Queue')) {
        const target = logicalIdOf(resource.Properties?.RedrivePolicy?.deadLetterTargetArn);
        if (target) deadLetterQueues.add(target);
      }
      for (const [, resource] of [...functions(template), ...resourcesOfType(template, 'AWS::SNS::Subscription')]) {
        const subscriptionTarget = logicalIdOf(resource.Properties?.RedrivePolicy?.deadLetterTargetArn);
        if (subscriptionTarget) deadLetterQueues.add(subscriptionTarget);
        for (const [, source] of eventSources(resource)) {
          const onFailure = logicalIdOf(source.Properties.DestinationConfig?.OnFailure?.Destination);
          if (onFailure) deadLetterQueues.add(onFailure);
        }
      }
      for (const queue of deadLetterQueues) {
        if (!watched('AWS/SQS', 'ApproximateNumberOfMessagesVisible', queue))
          problems.push(`dead-letter queue ${queue} has no depth alarm`);
      }
      for (const [id] of resourcesOfType(template, 'AWS::Serverless::StateMachine')) {
        if (!watched('AWS/States', 'ExecutionsFailed', id)) problems.push(`${id} has no ExecutionsFailed alarm`);
      }
      for (const [id, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
        if (!(alarm.Properties?.AlarmActions ?? []).some((action: unknown) => logicalIdOf(action) === 'AlertsTopic')) {
          problems.push(`${id} does not notify the AlertsTopic`);
        }
      }
      return problems;
    },
  },
  {
    id: 'REFERENCES-RESOLVE',
    title: 'Every !Ref, !GetAtt and !Sub variable points at a parameter, resource or pseudo parameter that exists',
    check: (template) => {
      const known = new Set([
        ...Object.keys(template.Parameters ?? {}),
        ...Object.keys(template.Resources),
        ...PSEUDO_PARAMETERS,
        ...samGeneratedIds(template),
      ]);
      const problems: string[] = [];
      for (const [path, value] of walk({ Resources: template.Resources, Outputs: template.Outputs, Globals: template.Globals }, '')) {
        if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
        const node = value as Record<string, unknown>;
        const id = logicalIdOf(node);
        if (id !== undefined && !known.has(id)) problems.push(`${path} refers to unknown ${id}`);
        if ('Fn::Sub' in node) {
          const sub = node['Fn::Sub'];
          const [text, variables] = Array.isArray(sub) ? [String(sub[0]), (sub[1] ?? {}) as Record<string, unknown>] : [String(sub), {}];
          for (const match of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
            const name = (match[1] as string).split('.')[0] as string;
            if (!(name in variables) && !known.has(name)) problems.push(`${path} substitutes unknown ${name}`);
          }
        }
      }
      return problems;
    },
  },
];

export function checkTemplate(template: Template = projectTemplate()): { rule: Rule; violations: string[] }[] {
  return rules.map((rule) => ({ rule, violations: rule.check(template) }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  parseCommandLine({ name: 'npm run check:template', usage: 'usage: npm run check:template   (takes no options)' }, { options: {} });
  let failed = 0;
  for (const { rule, violations } of checkTemplate()) {
    console.log(`${violations.length === 0 ? 'ok  ' : 'FAIL'} ${rule.id.padEnd(26)} ${rule.title}`);
    for (const violation of violations) console.log(`       - ${violation}`);
    failed += violations.length;
  }
  process.exitCode = failed === 0 ? 0 : 1;
}
