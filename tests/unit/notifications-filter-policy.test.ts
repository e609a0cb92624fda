import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { matchesPattern } from '../../local/event-patterns.ts';
import { filterableAttributes, LocalMessaging, type MessageAttribute, subscriptionAccepts } from '../../local/sns-fanout.ts';
import { loadTemplate } from '../../local/template.ts';

// SNS subscription filter policies, as the local fan-out evaluates them with matchesPattern.
// The message and policies are the examples of the SNS developer guide
// (https://docs.aws.amazon.com/sns/latest/dg/example-filter-policies.html).
const attributes: Record<string, MessageAttribute> = {
  customer_interests: { DataType: 'String.Array', StringValue: '["soccer", "rugby", "hockey"]' },
  store: { DataType: 'String', StringValue: 'example_corp' },
  event: { DataType: 'String', StringValue: 'order_placed' },
  price_usd: { DataType: 'Number', StringValue: '210.75' },
};
const accepts = (policy: Record<string, unknown>) =>
  subscriptionAccepts({ filterPolicy: policy, scope: 'MessageAttributes' }, '{}', attributes);

describe('SNS filter policy semantics (examples from the SNS documentation)', () => {
  it('turns message attributes into values: strings, numbers, string arrays', () => {
    expect(filterableAttributes(attributes)).toEqual({
      customer_interests: ['soccer', 'rugby', 'hockey'],
      store: 'example_corp',
      event: 'order_placed',
      price_usd: 210.75,
    });
  });

  it('matches an exact string value and rejects another', () => {
    expect(accepts({ store: ['example_corp'] })).toBe(true);
    expect(accepts({ store: ['other_corp'] })).toBe(false);
  });

  it('ORs the values within one array and matches an array attribute when any element does', () => {
    expect(accepts({ customer_interests: ['rugby', 'football', 'baseball'] })).toBe(true);
    expect(accepts({ customer_interests: ['tennis', 'golf'] })).toBe(false);
  });

  it('ANDs the keys: every key must match', () => {
    expect(accepts({ store: ['example_corp'], event: ['order_placed'] })).toBe(true);
    expect(accepts({ store: ['example_corp'], event: ['order_cancelled'] })).toBe(false);
  });

  it('supports anything-but with a value and with a list', () => {
    expect(accepts({ event: [{ 'anything-but': 'order_cancelled' }] })).toBe(true);
    expect(accepts({ store: [{ 'anything-but': ['example_corp', 'other_corp'] }] })).toBe(false);
  });

  it('supports prefix matching', () => {
    expect(accepts({ event: [{ prefix: 'order_' }] })).toBe(true);
    expect(accepts({ event: [{ prefix: 'refund' }] })).toBe(false);
  });

  it('supports numeric comparisons and ranges', () => {
    expect(accepts({ price_usd: [{ numeric: ['>', 100] }] })).toBe(true);
    expect(accepts({ price_usd: [{ numeric: ['>=', 0, '<', 100] }] })).toBe(false);
    expect(accepts({ price_usd: [{ numeric: ['=', 210.75] }] })).toBe(true);
  });

  it('supports exists true and false', () => {
    expect(accepts({ store: [{ exists: true }] })).toBe(true);
    expect(accepts({ encrypted: [{ exists: false }] })).toBe(true);
    expect(accepts({ encrypted: [{ exists: true }] })).toBe(false);
  });

  it('supports $or across keys', () => {
    expect(accepts({ $or: [{ store: ['nope'] }, { event: ['order_placed'] }] })).toBe(true);
    expect(matchesPattern({ $or: [{ store: ['nope'] }, { event: ['nope'] }] }, filterableAttributes(attributes))).toBe(false);
  });

  it('evaluates a MessageBody-scoped policy against the JSON body', () => {
    const policy = { filterPolicy: { channel: ['sms'] }, scope: 'MessageBody' as const };
    expect(subscriptionAccepts(policy, '{"channel":"sms"}', {})).toBe(true);
    expect(subscriptionAccepts(policy, '{"channel":"email"}', {})).toBe(false);
  });
});

describe('local fan-out built from template.yaml', () => {
  const template = loadTemplate();
  const dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-fanout-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Local names as the stack gives them: topic ARNs, queue URLs and ARNs by logical id. */
  function localNames(): Record<string, string> {
    const names: Record<string, string> = {};
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type === 'AWS::SNS::Topic') names[id] = `arn:aws:sns:us-east-1:000000000000:${id}`;
      if (resource.Type === 'AWS::SQS::Queue') {
        names[id] = `http://sqs.local/000000000000/${id}`;
        names[`${id}.Arn`] = `arn:aws:sqs:us-east-1:000000000000:${id}`;
      }
    }
    return names;
  }

  function fabric(invoke: (functionId: string, event: SQSEvent) => Promise<unknown>) {
    return new LocalMessaging({
      template,
      names: localNames(),
      invoke: invoke as (functionId: string, event: unknown) => Promise<unknown>,
      deadLetterFile: join(dataDir, 'sqs-dead-letters.jsonl'),
      retryDelayMs: 1,
    });
  }
  const topic = 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic';
  const channel = (value: string) => ({ channel: { DataType: 'String', StringValue: value } });

  it('routes by the template subscriptions’ channel filter policies, raw, to the consuming functions', async () => {
    const invoked: { functionId: string; body: string; channel?: string }[] = [];
    const messaging = fabric(async (functionId, event) => {
      for (const record of event.Records)
        invoked.push({ functionId, body: record.body, channel: record.messageAttributes.channel?.stringValue });
      return { batchItemFailures: [] };
    });

    expect(messaging.publish(topic, '{"n":1}', channel('sms'))).toEqual(['SmsQueue']);
    expect(messaging.publish(topic, '{"n":2}', channel('email'))).toEqual(['EmailQueue']);
    expect(messaging.publish(topic, '{"n":3}', channel('push'))).toEqual([]);
    await messaging.settled();

    expect(invoked).toEqual([
      { functionId: 'SendSmsFunction', body: '{"n":1}', channel: 'sms' },
      { functionId: 'SendEmailFunction', body: '{"n":2}', channel: 'email' },
    ]);
    messaging.stop();
  });

  it('honours the event source BatchSize', async () => {
    const batches: number[] = [];
    const messaging = fabric(async (_functionId, event) => {
      batches.push(event.Records.length);
      return { batchItemFailures: [] };
    });

    for (let index = 0; index < 23; index++) messaging.publish(topic, `{"n":${index}}`, channel('sms'));
    await messaging.settled();

    expect(batches).toEqual([10, 10, 3]);
    messaging.stop();
  });

  it("holds a batch that is not full for the event source's MaximumBatchingWindowInSeconds, then sends it whole", async () => {
    const smsSource = Object.values(
      template.Resources.SendSmsFunction?.Properties?.Events as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    ).find((source) => source.Type === 'SQS');
    const windowMs = Number(smsSource?.Properties.MaximumBatchingWindowInSeconds) * 1000;
    expect(windowMs).toBeGreaterThan(0);
    const batches: { at: number; size: number }[] = [];
    const messaging = fabric(async (_functionId, event) => {
      batches.push({ at: Date.now(), size: event.Records.length });
      return { batchItemFailures: [] };
    });

    const published = Date.now();
    for (let index = 0; index < 3; index++) messaging.publish(topic, `{"n":${index}}`, channel('sms'));
    for (const deadline = Date.now() + windowMs + 10_000; batches.length === 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(batches.map((batch) => batch.size)).toEqual([3]);
    expect(batches[0]?.at).toBeGreaterThanOrEqual(published + windowMs);
    messaging.stop();
  });

  it('redelivers only the reported failures, and moves a message to the DLQ after maxReceiveCount receives', async () => {
    const receives = new Map<string, number>();
    const messaging = fabric(async (_functionId, event) => {
      for (const record of event.Records) receives.set(record.body, (receives.get(record.body) ?? 0) + 1);
      return {
        batchItemFailures: event.Records.filter((record) => record.body === '"poison"').map((record) => ({
          itemIdentifier: record.messageId,
        })),
      };
    });

    messaging.publish(topic, '"good"', channel('sms'));
    messaging.publish(topic, '"poison"', channel('sms'));
    await messaging.settled();

    const redrive = template.Resources.SmsQueue?.Properties?.RedrivePolicy as { maxReceiveCount: number };
    expect(receives.get('"good"')).toBe(1);
    expect(receives.get('"poison"')).toBe(redrive.maxReceiveCount);
    expect(messaging.peek('SmsDeadLetterQueue').map((message) => message.body)).toEqual(['"poison"']);
    expect(readFileSync(join(dataDir, 'sqs-dead-letters.jsonl'), 'utf8')).toContain('"queue":"SmsQueue"');
    messaging.stop();
  });
});
