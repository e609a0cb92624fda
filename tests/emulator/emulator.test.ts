import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { paginateGetParametersByPath, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCAL_AWS } from '../../emulator/aws-local.ts';
import { type Emulator, startEmulator } from '../../emulator/emulator.ts';
import type { EmailRequest } from '../../emulator/services/sesv2.ts';
import type { SmsRequest } from '../../emulator/services/sns.ts';
import { loadTemplate } from '../../emulator/template.ts';

// The emulator running a small SAM application of Parcelcast's shape (tests/emulator/fixture/): every
// function in its own worker with its own environment, its SDK clients built without any endpoint
// reaching the local services through the runtime's variables, and the event sources of the template.

const root = fileURLToPath(new URL('./fixture/', import.meta.url));
const template = loadTemplate(`${root}template.yaml`);
const run = randomUUID().slice(0, 8);
let emulator: Emulator;
const sms: SmsRequest[] = [];
const emails: EmailRequest[] = [];
const output: { functionId: string; text: string }[] = [];
const streamFailures: string[] = [];

async function until<T>(read: () => T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  emulator = await startEmulator({
    template,
    root,
    dynamodbEndpoint: inject('dynamoEndpoint'),
    tableName: (logicalId) => `emulator-${run}-${logicalId}`,
    parameterOverrides: { Greeting: 'bonjour' },
    ssmParameters: { '/fixture/secret': 's3cret' },
    sms: { send: (request) => void sms.push(request), isOptedOut: (phone) => phone === '+447700900999' },
    email: { send: (request) => void emails.push(request) },
    environmentOverrides: (functionId): Record<string, string> => (functionId === 'EchoFunction' ? { OVERRIDDEN: 'yes' } : {}),
    onOutput: (functionId, _stream, text) => void output.push({ functionId, text }),
    onStreamFailure: ({ functionId, error }) => void streamFailures.push(`${functionId}: ${error}`),
    sqsRetryDelaySeconds: 0,
  });
  await emulator.functionsReady;
});

afterAll(async () => {
  await emulator?.stop();
});

describe('the function runner', () => {
  it('gives each function exactly its own environment: the Globals, its own variables, the runtime and endpoint variables', async () => {
    const echo = (await emulator.invoke('EchoFunction', {})) as { environment: Record<string, string>; functionName: string };
    expect(echo.functionName).toBe('EchoFunction');
    expect(echo.environment).toEqual(emulator.environmentOf('EchoFunction'));
    expect(echo.environment).toMatchObject({
      SHARED_SETTING: 'from-globals',
      TABLE_NAME: `emulator-${run}-Table`,
      OWN_SETTING: 'echo-only',
      GREETING: 'bonjour',
      OVERRIDDEN: 'yes',
      AWS_LAMBDA_FUNCTION_NAME: 'EchoFunction',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_SAM_LOCAL: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SNS: emulator.servicesUrl,
      AWS_ENDPOINT_URL_SQS: emulator.servicesUrl,
      AWS_ENDPOINT_URL_SESV2: emulator.servicesUrl,
      AWS_ENDPOINT_URL_SFN: emulator.servicesUrl,
      AWS_ENDPOINT_URL_SSM: emulator.servicesUrl,
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    });
    // Nothing of this process (the test run's own variables) and nothing of another function.
    expect(echo.environment.PATH).toBeUndefined();
    expect(Object.keys(echo.environment)).not.toContain('TOPIC_ARN');
    const caller = emulator.environmentOf('CallerFunction');
    expect(caller.OWN_SETTING).toBeUndefined();
    expect(caller.OVERRIDDEN).toBeUndefined();
    expect(caller.TOPIC_ARN).toBe('arn:aws:sns:us-east-1:000000000000:Topic');
  });

  it("tags each function's output with that function, and builds a Lambda context per invocation with the template's timeout", async () => {
    const first = (await emulator.invoke('EchoFunction', {})) as { requestId: string; remainingMs: number };
    const second = (await emulator.invoke('EchoFunction', {})) as { requestId: string };
    expect(first.requestId).not.toBe(second.requestId);
    expect(first.remainingMs).toBeGreaterThan(3000);
    expect(first.remainingMs).toBeLessThanOrEqual(5000);
    const lines = await until(
      () => output.filter((line) => line.text.includes('"message":"echo"')),
      (found) => found.length >= 2,
    );
    expect(new Set(lines.map((line) => line.functionId))).toEqual(new Set(['EchoFunction']));
    expect(lines.every((line) => line.text.includes('"function_name":"EchoFunction"'))).toBe(true);
    expect(output.find((line) => line.text.includes('echo loaded by'))?.text).toContain('echo loaded by EchoFunction');
  });

  it("carries a function's error back with its name, as Lambda reports errorType", async () => {
    await expect(emulator.invoke('EchoFunction', { fail: 'ThrottlingException' })).rejects.toMatchObject({
      name: 'ThrottlingException',
      message: 'asked to fail: ThrottlingException',
    });
  });

  it('fails what a crashed worker had in flight and starts the function again on the next invocation', async () => {
    await expect(emulator.invoke('EchoFunction', { crash: true })).resolves.toMatchObject({ functionName: 'EchoFunction' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(emulator.invoke('EchoFunction', {})).resolves.toMatchObject({ functionName: 'EchoFunction' });
  });
});

describe('the local AWS endpoints, reached by clients built with no endpoint', () => {
  let answer: Record<string, unknown>;

  beforeAll(async () => {
    answer = (await emulator.invoke('CallerFunction', { run })) as Record<string, unknown>;
    await emulator.settled();
  });

  it('SNS: publishes a batch to the topic, fans out by filter policy, sends SMS, answers opt-outs and rejects a bad number', async () => {
    expect(answer).toMatchObject({ publishedIds: ['a', 'b'], optedOut: true, badNumber: 'InvalidParameterException' });
    expect(sms.find((request) => request.message === `sms ${run}`)).toMatchObject({ phoneNumber: '+447700900001' });
    // Only the `ping` made it through the subscription's filter policy to the queue and its consumer
    // (the state machine, started by the same call, publishes a ping of its own).
    const told = await until(
      () => sms.filter((request) => request.message.startsWith('queue: ping') || request.message.includes('not for')),
      (found) => found.length >= 1,
    );
    expect(told.map((request) => request.message)).toEqual(['queue: ping one']);
  });

  it('SQS: keeps a delayed message out of sight until it is due', () => {
    expect(answer.messageId).toEqual(expect.any(String));
    expect(emulator.sqs.peek('Queue').map((message) => message.body)).toEqual(['later']);
  });

  it('SES v2: hands the email, tags included, to the email sink', () => {
    expect(answer.emailId).toEqual(expect.any(String));
    expect(emails).toEqual([
      {
        from: 'from@example.com',
        to: ['to@example.com'],
        subject: `subject ${run}`,
        text: 'text',
        html: '<p>html</p>',
        tags: { run },
        headers: {},
        // The id SendEmail answered, which SES's events for it carry as mail.messageId.
        messageId: answer.emailId,
      },
    ]);
  });

  it('Step Functions: runs the real ASL, Lambda task and SNS publish included, and refuses an execution name twice', async () => {
    expect(answer.executionArn).toBe(`arn:aws:states:us-east-1:000000000000:execution:Machine:run-${run}`);
    expect(answer.again).toBe('ExecutionAlreadyExists');
    const [execution] = emulator.executions();
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { MessageId: expect.any(String) } });
    expect(execution?.states.map((visit) => visit.name)).toEqual(['Echo', 'Tell']);
    expect(emulator.published()).toMatchObject([{ Message: 'bonjour machine', deliveredTo: ['Queue'] }]);
    const told = await until(
      () => sms.filter((request) => request.message === 'queue: bonjour machine'),
      (found) => found.length >= 1,
    );
    expect(told).toHaveLength(1);
  });

  it('SSM: answers a parameter it holds and ParameterNotFound for another', () => {
    expect(answer).toMatchObject({ secret: 's3cret', missing: 'ParameterNotFound' });
  });

  it('SSM: answers GetParametersByPath as AWS does: children, or every level with Recursive, in pages; puts and deletes show at once', async () => {
    const client = new SSMClient({ ...LOCAL_AWS, endpoint: emulator.servicesUrl });
    for (let index = 0; index < 12; index++) emulator.ssm.put(`/fixture/by-path/p${String(index).padStart(2, '0')}`, `v${index}`);
    emulator.ssm.put('/fixture/by-path/deeper/q', 'deep');
    emulator.ssm.put('/fixture/by-pathology', 'not under the path');
    const names = async (Recursive: boolean) => {
      const found: string[] = [];
      for await (const page of paginateGetParametersByPath({ client }, { Path: '/fixture/by-path', Recursive, WithDecryption: true })) {
        found.push(...(page.Parameters ?? []).map((parameter) => `${parameter.Name}=${parameter.Value}`));
      }
      return found;
    };

    const children = await names(false);
    const everything = await names(true);
    emulator.ssm.delete('/fixture/by-path/p00');
    const afterDelete = await names(false);
    client.destroy();

    expect(children).toEqual(Array.from({ length: 12 }, (_, index) => `/fixture/by-path/p${String(index).padStart(2, '0')}=v${index}`));
    expect(everything).toEqual(['/fixture/by-path/deeper/q=deep', ...children]);
    expect(afterDelete).toEqual(children.slice(1));
  });
});

describe('the event sources', () => {
  it("feeds the table's stream to its consumer through the FilterCriteria", async () => {
    const told = await until(
      () => sms.filter((request) => request.message === `stream: INSERT item-${run}`),
      (found) => found.length >= 1,
    );
    expect(told).toHaveLength(1);
  });

  it("sends a stream batch the function keeps failing to the template's OnFailure queue, as where it was, not what", async () => {
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: inject('dynamoEndpoint') });
    await client.send(new PutItemCommand({ TableName: emulator.tableNames.Table, Item: { PK: { S: `item-fail-${run}` } } }));
    client.destroy();
    await emulator.settled();
    expect(streamFailures).toEqual([`ConsumerFunction: Error: cannot take item-fail-${run}`]);
    const [failure] = emulator.sqs.peek('FailureQueue');
    expect(JSON.parse(failure?.body ?? '{}')).toMatchObject({
      requestContext: {
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ConsumerFunction',
        condition: 'RetryAttemptsExhausted',
      },
      DDBStreamBatchInfo: { batchSize: 1, shardId: expect.any(String), startSequenceNumber: expect.any(String) },
    });
  });

  it('redrives a message its consumer reports as failed to the dead-letter queue after maxReceiveCount receives', async () => {
    emulator.sqs.send(emulator.names['Queue.Arn'] as string, 'poison');
    await emulator.settled();
    expect(emulator.sqs.peek('DeadLetterQueue').map((message) => message.body)).toEqual(['poison']);
  });

  it('answers an HTTP API route through its function, 404 for no route and 405 for another method', async () => {
    const answer = await emulator.api.request({ method: 'GET', path: '/echo/ana', headers: {} });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ greeting: 'bonjour ana', functionName: 'EchoFunction' });
    expect((await emulator.api.request({ method: 'GET', path: '/nowhere', headers: {} })).status).toBe(404);
    expect((await emulator.api.request({ method: 'POST', path: '/echo/ana', headers: {} })).status).toBe(405);
  });
});
