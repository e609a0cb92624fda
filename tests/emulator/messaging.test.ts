import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '../../emulator/aws-local.ts';
import { type EventSources, startEventSources, templateMappings } from '../../emulator/lambda-service.ts';
import { declareMessaging } from '../../emulator/messaging.ts';
import { resourceNames } from '../../emulator/resource-names.ts';
import { type ServiceEndpoint, startServiceEndpoint } from '../../emulator/services/server.ts';
import { LocalSesV2 } from '../../emulator/services/sesv2.ts';
import { LocalSns } from '../../emulator/services/sns.ts';
import { type DeadLetter, LocalSqs } from '../../emulator/services/sqs.ts';
import { sqsSourceSettings } from '../../emulator/sqs-event-source.ts';
import { functionDefinitions } from '../../emulator/template.ts';
import { projectTemplate } from '../../support/project.ts';

// SNS → SQS → Lambda as the template wires it, built by the emulator from template.yaml: topics,
// queues with their redrive policies, subscriptions with their filter policies, and one SQS event
// source mapping per `Type: SQS` event source, polling the local SQS through the SQS API.

const template = projectTemplate();
const topic = 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic';
const channel = (value: string) => ({ channel: { DataType: 'String', StringValue: value } });

let endpoint: ServiceEndpoint;
let sqs: LocalSqs;
let sns: LocalSns;
let deadLetters: DeadLetter[];
let sources: EventSources | undefined;

/** A fresh messaging fabric from the template, its mappings invoking `invoke` instead of functions. */
async function fabric(invoke: (functionId: string, event: SQSEvent) => Promise<SQSBatchResponse>) {
  deadLetters = [];
  sqs = new LocalSqs({ onDeadLetter: (moved) => deadLetters.push(moved) });
  sns = new LocalSns({ sqs, sms: { send: () => undefined, isOptedOut: () => false } });
  endpoint = await startServiceEndpoint({ sqs, sns, sesv2: new LocalSesV2({ send: () => undefined }) });
  const names = resourceNames(template, endpoint.url);
  declareMessaging(template, names, sqs, sns);
  // The queues' mappings only: the table's stream is not part of this fabric.
  const mappings = templateMappings(template, functionDefinitions(template), {
    ...names,
    'ParcelTable.StreamArn': 'arn:aws:dynamodb:us-east-1:000000000000:table/ParcelTable/stream/none',
  }).filter((mapping) => mapping.eventSourceArn.startsWith('arn:aws:sqs:'));
  sources = startEventSources(mappings, {
    access: () => ({ ...LOCAL_AWS, streamsEndpoint: 'http://127.0.0.1:1', sqsEndpoint: endpoint.url }),
    invoke: (functionId, event) => invoke(functionId, event as SQSEvent),
    sqsRetryDelaySeconds: 0,
  });
}

const settled = () => sources?.settled() ?? Promise.resolve();

afterEach(async () => {
  await sources?.stop();
  sources = undefined;
  await endpoint?.stop();
});

describe('SNS → SQS → function, built from template.yaml', () => {
  it("polls each queue with Lambda's five starting pollers, fewer when ScalingConfig.MaximumConcurrency resolves lower", () => {
    expect(sqsSourceSettings({}).pollers).toBe(5);
    // A BatchSize that is not a whole number of at least 1 takes Lambda's SQS default (10), never empty batches.
    expect([
      sqsSourceSettings({}).batchSize,
      sqsSourceSettings({ BatchSize: 'ten' }).batchSize,
      sqsSourceSettings({ BatchSize: 0 }).batchSize,
    ]).toEqual([10, 10, 10]);
    expect(sqsSourceSettings({ BatchSize: 25, MaximumBatchingWindowInSeconds: 2 })).toMatchObject({
      batchSize: 25,
      batchingWindowMs: 2000,
    });
    expect(sqsSourceSettings({ ScalingConfig: { MaximumConcurrency: 2 } }).pollers).toBe(2);
    expect(sqsSourceSettings({ ScalingConfig: { MaximumConcurrency: 50 } }).pollers).toBe(5);
    expect(sqsSourceSettings({ ScalingConfig: { MaximumConcurrency: Number.NaN } }).pollers).toBe(5);
    // The template's !Ref to a parameter resolves to a number, not NaN pollers.
    const names = resourceNames(template, 'http://127.0.0.1:1');
    const sms = templateMappings(template, functionDefinitions(template), {
      ...names,
      'ParcelTable.StreamArn': 'arn:aws:dynamodb:us-east-1:000000000000:table/ParcelTable/stream/none',
    }).find((mapping) => mapping.functionId === 'SendSmsFunction');
    expect(sqsSourceSettings(sms?.properties ?? {}).pollers).toBe(Math.min(5, Number(template.Parameters?.SmsMaxConcurrency?.Default)));
  });

  it('routes by the template subscriptions’ channel filter policies, raw, to the consuming functions', async () => {
    const invoked: { functionId: string; body: string; channel?: string }[] = [];
    await fabric(async (functionId, event) => {
      for (const record of event.Records)
        invoked.push({ functionId, body: record.body, channel: record.messageAttributes.channel?.stringValue });
      return { batchItemFailures: [] };
    });

    expect(sns.publish(topic, '{"n":1}', channel('sms')).deliveredTo).toEqual(['SmsQueue']);
    expect(sns.publish(topic, '{"n":2}', channel('email')).deliveredTo).toEqual(['EmailQueue']);
    expect(sns.publish(topic, '{"n":3}', channel('push')).deliveredTo).toEqual([]);
    await settled();

    expect(invoked.sort((a, b) => a.body.localeCompare(b.body))).toEqual([
      { functionId: 'SendSmsFunction', body: '{"n":1}', channel: 'sms' },
      { functionId: 'SendEmailFunction', body: '{"n":2}', channel: 'email' },
    ]);
  });

  it('honours the event source BatchSize', async () => {
    const batches: number[] = [];
    await fabric(async (_functionId, event) => {
      batches.push(event.Records.length);
      return { batchItemFailures: [] };
    });

    for (let index = 0; index < 23; index++) sns.publish(topic, `{"n":${index}}`, channel('sms'));
    await settled();

    expect(batches).toEqual([10, 10, 3]);
  });

  it("holds a batch that is not full for the event source's MaximumBatchingWindowInSeconds, then sends it whole", async () => {
    const smsSource = Object.values(
      template.Resources.SendSmsFunction?.Properties?.Events as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ).find((source) => source.Type === 'SQS');
    const windowMs = Number(smsSource?.Properties.MaximumBatchingWindowInSeconds) * 1000;
    expect(windowMs).toBeGreaterThan(0);
    const batches: { at: number; size: number }[] = [];
    await fabric(async (_functionId, event) => {
      batches.push({ at: Date.now(), size: event.Records.length });
      return { batchItemFailures: [] };
    });

    const published = Date.now();
    for (let index = 0; index < 3; index++) sns.publish(topic, `{"n":${index}}`, channel('sms'));
    for (const deadline = Date.now() + windowMs + 10_000; batches.length === 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(batches.map((batch) => batch.size)).toEqual([3]);
    expect(batches[0]?.at).toBeGreaterThanOrEqual(published + windowMs);
  });

  it('skips the batching window while hurried (as settled() is from its start), and keeps it again after', async () => {
    const windowMs = 1000;
    const delivered: { at: number; body: string }[] = [];
    await fabric(async (_functionId, event) => {
      for (const record of event.Records) delivered.push({ at: Date.now(), body: record.body });
      return { batchItemFailures: [] };
    });
    const until = async (count: number) => {
      for (const deadline = Date.now() + windowMs + 10_000; delivered.length < count && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const hurried = (sources?.queues ?? []).map((queue) => queue.hurry());
    const first = Date.now();
    for (let index = 0; index < 3; index++) sns.publish(topic, `{"hurried":${index}}`, channel('sms'));
    await until(3);
    for (const done of hurried) done();
    const second = Date.now();
    for (let index = 0; index < 3; index++) sns.publish(topic, `{"after":${index}}`, channel('sms'));
    await until(6);

    const times = (label: string) => delivered.filter(({ body }) => body.includes(label)).map(({ at }) => at);
    expect(times('hurried')).toHaveLength(3);
    expect(Math.max(...times('hurried'))).toBeLessThan(first + windowMs);
    expect(times('after')).toHaveLength(3);
    expect(Math.min(...times('after'))).toBeGreaterThanOrEqual(second + windowMs);
  });

  it('redelivers only the reported failures, and moves a message to the DLQ after maxReceiveCount receives', async () => {
    const receives = new Map<string, number>();
    await fabric(async (_functionId, event) => {
      for (const record of event.Records) receives.set(record.body, (receives.get(record.body) ?? 0) + 1);
      return {
        batchItemFailures: event.Records.filter((record) => record.body === '"poison"').map((record) => ({
          itemIdentifier: record.messageId,
        })),
      };
    });

    sns.publish(topic, '"good"', channel('sms'));
    sns.publish(topic, '"poison"', channel('sms'));
    await settled();

    const redrive = template.Resources.SmsQueue?.Properties?.RedrivePolicy as { maxReceiveCount: number };
    expect(receives.get('"good"')).toBe(1);
    expect(receives.get('"poison"')).toBe(redrive.maxReceiveCount);
    expect(sqs.peek('SmsDeadLetterQueue').map((message) => message.body)).toEqual(['"poison"']);
    expect(deadLetters).toMatchObject([{ queue: 'SmsQueue', deadLetterQueue: 'SmsDeadLetterQueue', body: '"poison"' }]);
  });

  it('returns the whole batch to the queue when the function throws', async () => {
    let calls = 0;
    await fabric(async (_functionId, event) => {
      calls += 1;
      if (calls === 1) throw new Error(`all ${event.Records.length} failed`);
      return { batchItemFailures: [] };
    });

    sns.publish(topic, '"a"', channel('email'));
    await settled();

    expect(calls).toBe(2);
    expect(sqs.peek('EmailQueue')).toEqual([]);
    expect(deadLetters).toEqual([]);
  });
});
