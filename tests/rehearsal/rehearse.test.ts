import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, TEMPLATE_PATH } from '../../support/project.ts';

// The deploy rehearsal end to end, as an operator runs it: moto_server (Python, moto 5.x), the SAM
// translator, the AWS CLI for the guide's steps, and every handler from its deployed bundle. A run
// takes about 40 s on an idle 2-core machine; the limits leave room for a loaded one.
const scratch = mkdtempSync(join(tmpdir(), 'parcelcast-rehearsal-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function rehearse(...args: string[]): Promise<{ code: number | null; output: string; report: string }> {
  return new Promise((resolve, reject) => {
    const workDir = join(scratch, `run-${Math.random().toString(36).slice(2)}`);
    const child = spawn(process.execPath, ['rehearsal/rehearse.ts', '--work-dir', workDir, ...args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      let report = '';
      try {
        report = readFileSync(join(workDir, 'report.md'), 'utf8');
      } catch {}
      resolve({ code, output, report });
    });
  });
}

function section(report: string, title: string): string {
  const start = report.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`the report has no section "${title}"`);
  const end = report.indexOf('\n## ', start + 3);
  return report.slice(start, end < 0 ? undefined : end);
}

describe('npm run rehearse (needs python3 with moto, aws-sam-translator and the AWS CLI)', () => {
  it('deploys template.yaml to moto, carries a shipment to an SMS and an email, a debit to an execution, receipts to their notifications', async () => {
    const { code, output, report } = await rehearse();
    expect(code, output).toBe(0);
    expect(report).toMatch(/^# Deploy rehearsal: parcelcast-dev \(default\) on moto 5\.[\d.]+ — PASSED/);
    expect(report).not.toContain('| FAIL |');

    // Created by moto's CloudFormation, and by the rehearsal where moto skips the type.
    const resources = section(report, 'Resources');
    expect(resources).toContain('| AWS::Lambda::Function | CloudFormation | 12 |');
    expect(resources).toContain('| AWS::DynamoDB::Table | CloudFormation | 1 |');
    for (const type of [
      'AWS::SNS::Subscription',
      'AWS::SQS::QueuePolicy',
      'AWS::SES::ConfigurationSet',
      'AWS::Scheduler::ScheduleGroup',
      'AWS::ApiGatewayV2::Api',
      'AWS::CloudWatch::Alarm',
    ]) {
      expect(resources).toMatch(new RegExp(`\\| ${type} \\| rehearsal \\(API\\) \\| \\d+ \\|`));
    }
    // moto has no End User Messaging and no SES event destinations: rehearsal/moto_server.py answers
    // their APIs, and the rehearsal creates them through those as CloudFormation would.
    for (const type of [
      'AWS::SMSVOICE::OptOutList',
      'AWS::SMSVOICE::PhoneNumber',
      'AWS::SMSVOICE::Pool',
      'AWS::SMSVOICE::ConfigurationSet',
      'AWS::SES::ConfigurationSetEventDestination',
    ]) {
      expect(resources).toContain(`| ${type} | rehearsal (API) | 1 |`);
    }
    expect(report).not.toContain('not modelled');
    const done = section(report, 'What the rehearsal did where moto did not');
    expect(done).toContain('| SmsPool | AWS::SMSVOICE::Pool | sms-voice CreatePool, UpdatePool, PutKeyword x2 |');
    expect(done).toContain(
      '| SmsConfigurationSet | AWS::SMSVOICE::ConfigurationSet | sms-voice CreateConfigurationSet, CreateEventDestination x1 |',
    );
    expect(done).toContain(
      '| EmailDeliveryEvents | AWS::SES::ConfigurationSetEventDestination | sesv2 CreateConfigurationSetEventDestination |',
    );
    // The guide's operator steps ran as written, registering the warehouse the POSTs then sign as.
    expect(section(report, 'Operator steps')).not.toMatch(/\| NO \|/);
    expect(section(report, 'Requests through the HTTP API')).toMatch(/\| POST \/v1\/warehouses\/ams-1\/events \| IngestFunction \| 202 \|/);

    // What the pipeline did: stored, sent, started; with nothing refused.
    expect(section(report, 'Items stored')).toMatch(/\| SHIPMENT \| 1 \|/);
    expect(section(report, 'Items stored')).toMatch(/\| LEDGER \| 1 \|/);
    const sms = section(report, 'SMS recorded by End User Messaging');
    expect(sms).toMatch(/\| \+34600111222 \| Parcelcast: .*JD014600003SE.* \| arn:aws:sms-voice:us-east-1:123456789012:pool\/pool-\w+ \|/);
    expect(section(report, 'Emails recorded by SES')).toContain('| notifications@parcelcast.example | ana.garcia@example.com |');
    // The wallet's execution, named with no part of the wallet id (reconciliationName).
    const execution = String.raw`wallet-${createHash('sha256').update('wal-2001').digest('hex').slice(0, 24)}-\d+`;
    expect(section(report, 'Step Functions executions')).toMatch(new RegExp(String.raw`\| ${execution} \| RUNNING \|`));
    // moto only records the execution; run through the deployed definition, it confirms the balance.
    expect(section(report, 'Executions run through the deployed definition')).toMatch(
      new RegExp(String.raw`\| ${execution} \| SUCCEEDED \| \{"walletId":"wal-2001","balance":-1299,`),
    );
    expect(sms).toMatch(/\| \+34600111222 \| Parcelcast: .*-12,99 €/);
    // The providers' receipts, published by SES and End User Messaging to their configuration sets'
    // event destinations (nobody else publishes to the topic), recorded by RecordDeliveryFunction under its role.
    const receipts = section(report, 'Delivery receipts');
    expect(section(report, 'AWS calls')).not.toMatch(/\| operator \| sns:Publish /);
    // A status message is named by its episode, the time the shipment entered the status.
    const shipped = String.raw`shipment#shp-1001#shipped@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
    expect(receipts).toMatch(new RegExp(String.raw`\| ${shipped}#email \| DELIVERY \|`));
    expect(receipts).toMatch(new RegExp(String.raw`\| ${shipped}#sms \| TEXT_DELIVERED \|`));
    expect(report).toMatch(
      new RegExp(
        String.raw`\| delivery receipts recorded on their notifications \| PASS \| ${shipped}#email delivered, ${shipped}#sms delivered`,
      ),
    );
    // The shipment's stall timer, created by the stream router under IAM enforcement (moto never fires it).
    expect(section(report, 'EventBridge Scheduler schedules')).toMatch(/\| stall-[0-9a-f]{40} \| \S*StallTimerScheduleGroup\S* \|/);
    expect(section(report, 'AWS errors')).toContain('_none_');
    expect(section(report, 'IAM refusals')).toContain('_none_');
    // The functions ran with their own roles: each action they used was granted to that role.
    expect(section(report, 'Least privilege')).toMatch(/\| SendSmsFunction \| \S+SendSmsFunctionRole\S* \| [^|]*sms-voice:SendTextMessage/);
    expect(section(report, 'Least privilege')).toMatch(
      /\| RecordDeliveryFunction \| \S+RecordDeliveryFunctionRole\S* \| [^|]*dynamodb:UpdateItem/,
    );
  }, 300_000);

  it('fails and names the call when a role lacks a permission the code needs', async () => {
    const broken = join(scratch, 'template.yaml');
    const template = readFileSync(TEMPLATE_PATH, 'utf8');
    // SendSmsFunction may send from another pool only: not from the stack's.
    const withoutPoolSend = template.replace(
      /(# The pool's ARN \(Ref is its id\)\.\n\s+Resource: !Sub \S+:pool\/)\$\{SmsPool\}/,
      '$1another-pool',
    );
    expect(withoutPoolSend).not.toBe(template);
    writeFileSync(broken, withoutPoolSend);

    const { code, output, report } = await rehearse('--template', broken);
    expect(code, output).toBe(1);
    expect(report).toMatch(/— FAILED/);
    expect(report).toMatch(/\| shipment → SMS sent from the pool \| FAIL \| 0 SMS \|/);
    expect(report).toMatch(/\| shipment → email recorded by SES \| PASS \|/);
    expect(section(report, 'AWS errors')).toMatch(
      /\| SendSmsFunction \| sms-voice:SendTextMessage \| 403 \| AccessDeniedException \| [^|]*SendSmsFunctionRole[^|]* \| NO \|/,
    );
    expect(section(report, 'IAM refusals')).toMatch(
      /SendSmsFunctionRole\S* \| sms-voice:SendTextMessage \| arn:aws:sms-voice:us-east-1:123456789012:pool\/pool-\w+ \|/,
    );
  }, 300_000);

  it('answers an unknown option with one line and its usage, exit code 2', async () => {
    const { code, output } = await rehearse('--frobnicate');
    expect(code).toBe(2);
    expect(output.split('\n')[0]).toBe("npm run rehearse: Unknown option '--frobnicate'");
    expect(output).toContain('usage: npm run rehearse --');
  });
});
