// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub strings are CloudFormation's ${} syntax, not JavaScript's
import { describe, expect, it } from 'vitest';
import type { Template } from '../../emulator/template.ts';
import { Intrinsics } from '../../rehearsal/intrinsics.ts';
import { operatorSteps } from '../../rehearsal/operator.ts';

// The slice of CloudFormation the rehearsal does itself where moto's CloudFormation does not.
const template: Template = {
  Parameters: { Stage: { Type: 'String', Default: 'dev' }, AlarmEmail: { Type: 'String', Default: '' } },
  Conditions: { HasAlarmEmail: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmEmail' }, ''] }] } },
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue' },
    Topic: { Type: 'AWS::SNS::Topic' },
    Key: { Type: 'AWS::KMS::Key' },
    Table: { Type: 'AWS::DynamoDB::Table' },
  },
};

const intrinsics = (overrides: Record<string, string> = {}) =>
  new Intrinsics(template, {
    stackName: 'parcelcast-dev',
    parameters: Intrinsics.parameterValues(template, overrides),
    physical: new Map([
      ['Queue', 'https://sqs.us-east-1.amazonaws.com/123456789012/parcelcast-dev-Queue-ABC'],
      ['Topic', 'arn:aws:sns:us-east-1:123456789012:parcelcast-dev-Topic-XYZ'],
      ['Key', '1234abcd-12ab-34cd-56ef-1234567890ab'],
      ['Table', 'parcelcast-dev-Table-T1'],
    ]),
    attributes: new Map([['Table.StreamArn', 'arn:aws:dynamodb:us-east-1:123456789012:table/parcelcast-dev-Table-T1/stream/1']]),
  });

describe('the rehearsal resolving the translated template', () => {
  it('resolves Ref and Fn::GetAtt to physical ids and the ARNs AWS documents for them', () => {
    const resolve = (value: unknown) => intrinsics().resolve(value);
    expect(resolve({ Ref: 'Queue' })).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/parcelcast-dev-Queue-ABC');
    expect(resolve({ 'Fn::GetAtt': ['Queue', 'Arn'] })).toBe('arn:aws:sqs:us-east-1:123456789012:parcelcast-dev-Queue-ABC');
    expect(resolve({ 'Fn::GetAtt': ['Queue', 'QueueName'] })).toBe('parcelcast-dev-Queue-ABC');
    expect(resolve({ 'Fn::GetAtt': ['Topic', 'TopicName'] })).toBe('parcelcast-dev-Topic-XYZ');
    expect(resolve({ 'Fn::GetAtt': ['Key', 'Arn'] })).toBe('arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(resolve({ 'Fn::GetAtt': ['Table', 'StreamArn'] })).toBe(
      'arn:aws:dynamodb:us-east-1:123456789012:table/parcelcast-dev-Table-T1/stream/1',
    );
    expect(() => resolve({ 'Fn::GetAtt': ['Topic', 'Nonsense'] })).toThrow(/no rule for Fn::GetAtt Topic.Nonsense/);
  });

  it('substitutes Fn::Sub with pseudo parameters, attributes, its own variables and ${!literals}', () => {
    const resolve = (value: unknown) => intrinsics().resolve(value);
    expect(() => resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:sns:${topicName}' })).toThrow(/Ref topicName: no such parameter/);
    expect(
      resolve({
        'Fn::Sub': [
          'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${name}',
          { name: { 'Fn::GetAtt': ['Topic', 'TopicName'] } },
        ],
      }),
    ).toBe('arn:aws:sns:us-east-1:123456789012:parcelcast-dev-Topic-XYZ');
    expect(resolve({ 'Fn::Sub': '${Queue.Arn}/${Stage}/${!Literal}' })).toBe(
      'arn:aws:sqs:us-east-1:123456789012:parcelcast-dev-Queue-ABC/dev/${Literal}',
    );
  });

  it('evaluates conditions from the parameters and drops AWS::NoValue', () => {
    expect(intrinsics().condition('HasAlarmEmail')).toBe(false);
    expect(intrinsics({ AlarmEmail: 'ops@example.com' }).condition('HasAlarmEmail')).toBe(true);
    const properties = {
      Endpoint: { 'Fn::If': ['HasAlarmEmail', { Ref: 'AlarmEmail' }, { Ref: 'AWS::NoValue' }] },
      Stage: { Ref: 'Stage' },
    };
    expect(intrinsics().resolve(properties)).toEqual({ Stage: 'dev' });
    expect(intrinsics({ AlarmEmail: 'ops@example.com', Stage: 'prod' }).resolve(properties)).toEqual({
      Endpoint: 'ops@example.com',
      Stage: 'prod',
    });
  });
});

describe("the operator's steps the rehearsal runs", () => {
  it('are the shell blocks of the guide\'s "Before the first deploy" section, in order', () => {
    const steps = operatorSteps();
    const commands = steps.map((step) => step.split('\n').at(-1)?.split(' ').slice(0, 3).join(' '));
    // End User Messaging's and SES's account settings are `shell` blocks: moto has no API for them.
    expect(commands).toEqual(['npm run warehouse', 'aws ssm put-parameter', 'aws sesv2 create-email-identity']);
    expect(steps[0]).toContain('npm run warehouse -- add --stage dev --id ams-1 --source //warehouse/ams-1');
    expect(steps[1]).toContain('aws ssm put-parameter --name /parcelcast/dev/preference-link-secrets --type SecureString');
  });

  it('stop at the next section and read indented blocks', () => {
    const guide = [
      '## Before the first deploy',
      '1. x',
      '   ```sh',
      '   echo one',
      '   ```',
      '## First deploy',
      '```sh',
      'echo two',
      '```',
    ].join('\n');
    expect(operatorSteps(guide)).toEqual(['echo one']);
  });
});
