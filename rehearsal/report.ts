import type { RoleUsage } from './least-privilege.ts';
import type { Authorization, Outbox } from './moto.ts';
import type { OperatorStep } from './operator.ts';
import type { AwsCall } from './recorder.ts';
import type { HttpExchange } from './scenario.ts';
import type { CreatedResource, RehearsalStep } from './stack.ts';
import type { WorkflowRun } from './workflow.ts';

/** What a rehearsal saw, the verdict on it, and the report (terminal and .rehearsal/report.md). */

/** One invocation of a deployed function: by whom (an HTTP route, a mapping, Step Functions) and how it ended. */
export interface Invocation {
  logicalId: string;
  source: string;
  records: number;
  outcome: string;
}

export interface Rehearsal {
  configEnv: string;
  stackName: string;
  motoVersion: string;
  seconds: number;
  phases: { name: string; seconds: number }[];
  resources: CreatedResource[];
  steps: RehearsalStep[];
  uncreated: RehearsalStep[];
  outputs: Record<string, string>;
  operatorRuns: OperatorStep[];
  timeZone: string;
  posted: { file: string; status: number; body: string }[];
  exchanges: HttpExchange[];
  settled: boolean;
  invocations: Invocation[];
  items: { pk: string; sk: string }[];
  /** Each notification claim and its delivery status at the end. */
  notifications: { notification: string; outcome: string }[];
  /** The receipts SES and End User Messaging published to their event destinations, by notification. */
  receipts: { notification: string; event: string }[];
  /** Receipts that could not be built or published, or were still pending at the deadline. */
  receiptErrors: string[];
  outbox: Outbox;
  executions: { name: string; status: string }[];
  /** EventBridge Scheduler schedules the functions created (stall timers), as moto holds them: never fired. */
  schedules: { name: string; group: string }[];
  /** Each execution run through the deployed definition (moto only records it). */
  workflows: WorkflowRun[];
  calls: AwsCall[];
  authorizations: Authorization[];
  roles: (RoleUsage & { logicalId: string })[];
  logs: Record<string, string[]>;
  samples: Record<string, any>[];
}

/** Where moto 5.x is not AWS in ways that bear on what the rehearsal proves. */
export const MOTO_NOTES = [
  "moto's CloudFormation has no SAM transform: the rehearsal translates with aws-sam-translator (the transform's own code) and creates the stack from the result.",
  "moto's CloudFormation skips AWS::SNS::Subscription, AWS::SQS::QueuePolicy, AWS::SES::ConfigurationSet, AWS::Scheduler::ScheduleGroup, AWS::ApiGatewayV2::Api/Stage and AWS::CloudWatch::Alarm; the rehearsal creates them through the services' APIs (listed above).",
  "moto stores EventBridge Scheduler schedules but never fires them: the stall timers the functions create are listed, not delivered; a fired timer's path (the stall timer queue → StallAlertFunction) is proven locally by the emulator's Scheduler (tests/e2e/stall-alerts.test.ts).",
  "moto's CloudFormation stores role inline policies in a form its IAM check cannot read, ignores ManagedPolicyArns, drops environment variables that Ref a skipped resource, and ignores a state machine's DefinitionS3Location, DefinitionSubstitutions, logging and tracing, and a table's TTL and point-in-time recovery; the rehearsal puts each right through the API (listed above).",
  'IAM: moto checks identity policies of IAM users and assumed roles (inline and attached), but by itself only against the resource "*" outside SQS, IAM, STS and S3; rehearsal/moto_server.py adds the resource ARNs AWS authorises for the calls Parcelcast makes. Conditions in identity policies are ignored (a conditional Allow allows), and resource-based policies (the queue policy, the KMS key policy) are not enforced at all.',
  'moto ignores KMS on SNS topics (the key is never used); the rehearsal checks the publisher holds kms:GenerateDataKey and kms:Decrypt on the topic key, as AWS requires, but not the key policy that lets SNS and CloudWatch use it.',
  "moto does not run the state machine: an execution is recorded as started and stays RUNNING. The rehearsal runs each one with aws-local-stepfunctions from the definition moto holds, with Wait states cut short; Lambda tasks are authorised with an Invoke DryRun as the state machine's role, SNS tasks publish as that role. Retry timing, the execution log's delivery and X-Ray are not rehearsed.",
  "SES: moto checks that the sender's identity is verified, not the recipient (the SES sandbox would), and accepts any configuration set name. SNS records SMS without any sandbox or origination identity.",
  "AWS End User Messaging SMS (pinpoint-sms-voice-v2) is not in moto at all, and its SES v2 has no configuration set event destinations; moto's CloudFormation skips AWS::SMSVOICE::* and AWS::SES::ConfigurationSetEventDestination. rehearsal/moto_server.py answers the calls those resources and the sends need (CreateOptOutList, RequestPhoneNumber, CreatePool, UpdatePool, PutKeyword, CreateConfigurationSet, CreateEventDestination, their Describe*, SendTextMessage; sesv2 Create/GetConfigurationSetEventDestination(s)) in memory, under IAM, and the rehearsal creates them through those APIs (listed above). Not rehearsed: registration and sandbox limits, a simulator number reaching only simulator numbers, keyword replies, two-way SMS, spend limits.",
  "Receipts: a send with a configuration set has its events published by rehearsal/moto_server.py, a second later, to the set's SNS event destinations through moto's SNS (built by the local emulator's builders, in AWS's shapes; a recipient the simulators do not know is delivered). moto enforces neither the DeliveryEventsTopic policy that admits ses.amazonaws.com and sms-voice.amazonaws.com (with aws:SourceArn the configuration set) nor the KMS key policy that must let those services use the topic's key: a wrong Principal, SourceArn or key policy passes here. RecordDeliveryFunction consumes them from the queue under its own role.",
  "moto's event source mappings would run functions in Docker; its SQS mappings are disabled and its stream mapping invocations refused, and the emulator's mappings (those `npm start` runs) do Lambda's part as deployed, with each function's role. A message a function fails waits out its queue's VisibilityTimeout, as on AWS, so the rehearsal's drain does not wait for its retries.",
];

/** AWS errors that are part of correct behaviour; every other error is a finding. */
const EXPECTED_ERRORS: ((call: AwsCall) => boolean)[] = [
  // A status change whose stall deadline is no earlier than the one armed leaves it (a conditional
  // UpdateItem on the shipment's STALL item, the only UpdateItem these two make): docs/alerts.md.
  (call) =>
    (call.caller === 'StreamRouterFunction' || call.caller === 'StallAlertFunction') &&
    call.operation === 'UpdateItem' &&
    call.errorCode === 'ConditionalCheckFailedException',
];

export function unexpectedErrors(rehearsal: Rehearsal): AwsCall[] {
  return rehearsal.calls.filter((call) => call.status >= 400 && !EXPECTED_ERRORS.some((expected) => expected(call)));
}

/** Contact details of the sample customers that must never reach a function's log. */
function contactLeaks(rehearsal: Rehearsal): string[] {
  const contacts = rehearsal.samples
    .flatMap((sample) => [sample.data?.customer?.phone, sample.data?.customer?.email, sample.data?.customer?.name])
    .filter(Boolean) as string[];
  return Object.entries(rehearsal.logs).flatMap(([logicalId, lines]) =>
    contacts
      .filter((contact) => lines.some((line) => line.includes(contact)))
      .map((contact) => `${logicalId} logged ${contact.replace(/.(?=.{3})/g, '•')}`),
  );
}

export interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

export function verdict(rehearsal: Rehearsal): { passed: boolean; checks: Check[] } {
  const shipmentPosted = rehearsal.posted.filter((post) => post.file.startsWith('shipment-'));
  const texts = rehearsal.outbox.sms.filter((sms) => sms.originationIdentity);
  const walletPosted = rehearsal.posted.filter((post) => post.file.startsWith('wallet-'));
  const accepted = (post: { status: number; body: string }) => post.status === 202 && !post.body.includes('"rejected"');
  const functionErrors = rehearsal.invocations.filter((invocation) => /^[\w.]+Error|Exception|Timedout/.test(invocation.outcome));
  const errors = unexpectedErrors(rehearsal);
  const leaks = contactLeaks(rehearsal);
  const checks: Check[] = [
    {
      name: 'every template resource created',
      passed: rehearsal.uncreated.length === 0,
      detail:
        rehearsal.uncreated.map((step) => `${step.logicalId} (${step.type})`).join(', ') ||
        `${rehearsal.resources.length} resources (${rehearsal.resources.filter((resource) => resource.createdBy === 'rehearsal (API)').length} through the APIs where moto's CloudFormation skips them)`,
    },
    {
      name: 'operator steps from docs/deployment.md',
      passed: rehearsal.operatorRuns.every((run) => run.ok),
      detail: `${rehearsal.operatorRuns.filter((run) => run.ok).length}/${rehearsal.operatorRuns.length} ran`,
    },
    {
      name: 'signed POSTs accepted',
      passed: rehearsal.posted.every(accepted),
      detail: rehearsal.posted.map((post) => `${post.file} ${post.status}`).join(', '),
    },
    {
      name: 'shipment → SMS sent from the pool',
      passed: shipmentPosted.every(accepted) && texts.length > 0,
      detail: `${texts.length} SMS`,
    },
    {
      name: 'shipment → email recorded by SES',
      passed: shipmentPosted.every(accepted) && rehearsal.outbox.emails.length > 0,
      detail: `${rehearsal.outbox.emails.length} emails`,
    },
    {
      name: 'wallet debit → execution started',
      passed: walletPosted.every(accepted) && rehearsal.executions.length > 0,
      detail: `${rehearsal.executions.length} executions`,
    },
    {
      name: 'delivery receipts recorded on their notifications',
      // Every notification sent ends delivered, from the receipts the providers published for it.
      passed:
        rehearsal.notifications.length > 0 &&
        rehearsal.receiptErrors.length === 0 &&
        rehearsal.notifications.every(
          (n) => n.outcome === 'delivered' && rehearsal.receipts.some((receipt) => receipt.notification === n.notification),
        ),
      detail:
        [...rehearsal.notifications.map((n) => `${n.notification} ${n.outcome}`), ...rehearsal.receiptErrors].join(', ') ||
        'no notification',
    },
    {
      name: 'reconciliation ran to the end',
      passed: rehearsal.workflows.length > 0 && rehearsal.workflows.every((run) => run.status === 'SUCCEEDED'),
      detail: rehearsal.workflows.map((run) => `${run.execution} ${run.status}`).join(', ') || 'no execution',
    },
    {
      name: 'event source mappings drained',
      passed: rehearsal.settled,
      detail: rehearsal.settled ? 'nothing left to deliver' : 'records still flowing at the deadline',
    },
    {
      name: 'no function error',
      passed: functionErrors.length === 0,
      detail: functionErrors.map((invocation) => `${invocation.logicalId}: ${invocation.outcome}`).join('; ') || 'none',
    },
    {
      name: 'no unexpected AWS error',
      passed: errors.length === 0,
      detail: errors.map((call) => `${call.caller} ${call.service}:${call.operation} ${call.errorCode}`).join('; ') || 'none',
    },
    { name: 'no contact detail in function logs', passed: leaks.length === 0, detail: leaks.join('; ') || 'none' },
  ];
  return { passed: checks.every((check) => check.passed), checks };
}

const cell = (value: unknown) =>
  String(value ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
function table(headers: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '_none_\n';
  const lines = [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

function countBy<T>(items: T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
}

export function renderReport(rehearsal: Rehearsal): { markdown: string; terminal: string } {
  const { passed, checks } = verdict(rehearsal);
  const byType = countBy(rehearsal.resources, (resource) => `${resource.type}\u0000${resource.createdBy}`).map(([key, count]) => [
    ...key.split('\u0000'),
    count,
  ]);
  const itemKinds = countBy(rehearsal.items, (item) => item.sk.split('#')[0] as string);
  const errors = rehearsal.calls.filter((call) => call.status >= 400);
  const expected = new Set(errors.filter((call) => !unexpectedErrors(rehearsal).includes(call)));
  const invocationSummary = countBy(
    rehearsal.invocations,
    (invocation) => `${invocation.logicalId}\u0000${invocation.source}\u0000${invocation.outcome}`,
  ).map(([key, count]) => [...key.split('\u0000'), count]);
  const callSummary = countBy(rehearsal.calls, (call) => `${call.caller}\u0000${call.service}:${call.operation}\u0000${call.status}`).map(
    ([key, count]) => [...key.split('\u0000'), count],
  );

  const verdictTable = table(
    ['check', 'result', 'detail'],
    checks.map((check) => [check.name, check.passed ? 'PASS' : 'FAIL', check.detail]),
  );
  const summary = [
    `# Deploy rehearsal: ${rehearsal.stackName} (${rehearsal.configEnv}) on moto ${rehearsal.motoVersion} — ${passed ? 'PASSED' : 'FAILED'}`,
    '',
    `${rehearsal.seconds.toFixed(1)} s: ${rehearsal.phases.map((phase) => `${phase.name} ${phase.seconds.toFixed(1)} s`).join('; ')}.`,
    '',
    verdictTable,
    '## Resources',
    table(['type', 'created by', 'count'], byType),
    '## Items stored in the table (by sort-key kind)',
    table(['kind', 'items'], itemKinds),
    "## Delivery receipts SES and End User Messaging published to their configuration sets' event destinations",
    table(
      ['notification', 'event'],
      rehearsal.receipts.map((receipt) => [receipt.notification, receipt.event]),
    ),
    '## SMS recorded by End User Messaging (and SNS)',
    table(
      ['to', 'message', 'from'],
      rehearsal.outbox.sms.map((sms) => [sms.phoneNumber, sms.message, sms.originationIdentity ?? 'SNS']),
    ),
    '## Emails recorded by SES',
    table(
      ['from', 'to', 'subject'],
      rehearsal.outbox.emails.map((email) => [email.source, Object.values(email.destinations).flat().join(', '), email.subject]),
    ),
    '## Step Functions executions (as moto holds them)',
    table(
      ['name', 'status'],
      rehearsal.executions.map((execution) => [execution.name, execution.status]),
    ),
    '## EventBridge Scheduler schedules (as moto holds them; moto never fires them)',
    table(
      ['name', 'group'],
      rehearsal.schedules.map((schedule) => [schedule.name, schedule.group]),
    ),
    '## Executions run through the deployed definition (aws-local-stepfunctions, Wait states cut short, tasks as the state machine role)',
    table(
      ['execution', 'result', 'output or error'],
      rehearsal.workflows.map((run) => [run.execution, run.status, run.detail]),
    ),
    '## AWS errors',
    table(
      ['caller', 'call', 'status', 'error', 'message', 'expected'],
      errors.map((call) => [
        call.caller,
        `${call.service}:${call.operation}`,
        call.status,
        call.errorCode,
        call.errorMessage,
        expected.has(call) ? 'yes' : 'NO',
      ]),
    ),
    '## IAM refusals',
    table(
      ['principal', 'action', 'resource'],
      rehearsal.authorizations
        .filter((decision) => !decision.allowed)
        .map((decision) => [decision.principal.split(':').pop(), decision.action, decision.resource]),
    ),
  ].join('\n');

  const details = [
    '## What the rehearsal did where moto did not',
    table(
      ['resource', 'type', 'API calls'],
      rehearsal.steps.map((step) => [step.logicalId, step.type, step.what]),
    ),
    '## Operator steps (docs/deployment.md, "Before the first deploy")',
    table(
      ['commands', 'ran', 'output'],
      rehearsal.operatorRuns.map((run) => [run.commands, run.ok ? 'yes' : 'NO', run.output.slice(0, 300)]),
    ),
    '## Stack outputs',
    table(['output', 'value'], Object.entries(rehearsal.outputs)),
    `## Requests through the HTTP API (sample customer's time zone set to ${rehearsal.timeZone}, outside quiet hours)`,
    table(
      ['request', 'function', 'status', 'body'],
      rehearsal.exchanges.map((exchange) => [exchange.request, exchange.functionId, exchange.status, exchange.body.slice(0, 200)]),
    ),
    '## Invocations',
    table(['function', 'source', 'outcome', 'count'], invocationSummary),
    '## AWS calls',
    table(['caller', 'call', 'status', 'count'], callSummary),
    '## Least privilege: granted, never asked for in this rehearsal (information)',
    table(
      ['function', 'role', 'actions used', 'granted but unused'],
      rehearsal.roles.map((role) => [
        role.logicalId,
        role.role,
        role.used.join(', '),
        role.unused.map((grant) => `${grant.action} [${grant.policy}]`).join(', '),
      ]),
    ),
    '## Resources',
    table(
      ['logical id', 'type', 'created by', 'physical id'],
      rehearsal.resources.map((resource) => [resource.logicalId, resource.type, resource.createdBy, resource.physicalId]),
    ),
    '## Where moto differs from AWS',
    MOTO_NOTES.map((note) => `- ${note}`).join('\n'),
    '',
  ].join('\n');

  return { markdown: `${summary}\n${details}`, terminal: summary };
}
