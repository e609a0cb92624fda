import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { messageAttributes } from '../functions/lib/adapters/message-attributes.ts';
import type { NotificationMessage } from '../functions/lib/domain/notification-message.ts';
import type { NotificationPublisher, SmsDeferral } from '../functions/lib/domain/notification-ports.ts';
import { LOCAL_AWS } from './dynamodb-local.ts';
import { matchesPattern } from './event-patterns.ts';
import { batchingWindowMs, functionDefinitions, resolveValue, type Template } from './template.ts';

/**
 * In-process SNS → SQS → Lambda, as the template wires it: every AWS::SNS::Subscription of a
 * topic is read from template.yaml with its FilterPolicy (matched with the AWS filter semantics
 * in event-patterns.ts), RawMessageDelivery and endpoint queue; every function whose event
 * source is `Type: SQS` on a queue consumes it with the template's BatchSize,
 * MaximumBatchingWindowInSeconds and ReportBatchItemFailures; a queue's RedrivePolicy.maxReceiveCount moves a message that keeps
 * failing to its dead-letter queue and to `sqs-dead-letters.jsonl`. Nothing here names a topic,
 * queue or function by heart.
 */

export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
}

interface Subscription {
  id: string;
  topicArn: string;
  queueArn: string;
  raw: boolean;
  scope: 'MessageAttributes' | 'MessageBody';
  filterPolicy?: Record<string, unknown>;
}

interface Consumer {
  functionId: string;
  batchSize: number;
  /** MaximumBatchingWindowInSeconds, in ms: how long a batch that is not full waits for more messages. */
  batchingWindowMs: number;
  reportBatchItemFailures: boolean;
}

interface QueuedMessage {
  messageId: string;
  body: string;
  attributes: Record<string, MessageAttribute>;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
}

interface LocalQueue {
  id: string;
  arn: string;
  url: string;
  consumer?: Consumer;
  maxReceiveCount?: number;
  deadLetterArn?: string;
  messages: QueuedMessage[];
  busy: boolean;
  timer?: NodeJS.Timeout;
}

export interface LocalMessagingOptions {
  template: Template;
  names: Record<string, string>;
  invoke(functionId: string, event: unknown): Promise<unknown>;
  /** JSON lines of messages moved to a dead-letter queue. */
  deadLetterFile: string;
  /** How long a failed message stays invisible locally (AWS: the queue's VisibilityTimeout). */
  retryDelayMs?: number;
}

/** SNS message attributes as a filter policy sees them: strings, numbers, string arrays. */
export function filterableAttributes(attributes: Record<string, MessageAttribute>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, { DataType, StringValue }]) => {
      if (DataType.startsWith('Number')) return [name, Number(StringValue)];
      if (DataType === 'String.Array') {
        try {
          return [name, JSON.parse(StringValue ?? '[]')];
        } catch {
          return [name, StringValue];
        }
      }
      return [name, StringValue];
    }),
  );
}

/** Does a subscription with this filter policy receive the message? No policy: everything. */
export function subscriptionAccepts(
  subscription: Pick<Subscription, 'filterPolicy' | 'scope'>,
  message: string,
  attributes: Record<string, MessageAttribute>,
): boolean {
  if (!subscription.filterPolicy) return true;
  if (subscription.scope === 'MessageBody') {
    try {
      return matchesPattern(subscription.filterPolicy, JSON.parse(message));
    } catch {
      return false;
    }
  }
  return matchesPattern(subscription.filterPolicy, filterableAttributes(attributes));
}

const asObject = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown> | undefined;

export class LocalMessaging {
  private readonly options: LocalMessagingOptions;
  private readonly subscriptions: Subscription[] = [];
  private readonly queues = new Map<string, LocalQueue>();
  private stopped = false;
  /** Callers waiting in settled(): while there are any, batches do not wait out their window. */
  private settling = 0;

  constructor(options: LocalMessagingOptions) {
    this.options = options;
    const { template, names } = options;
    const resolve = (value: unknown) => String(resolveValue(template, value, names));
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::SQS::Queue') continue;
      const redrive = asObject(resource.Properties?.RedrivePolicy);
      this.queues.set(resolve({ 'Fn::GetAtt': [id, 'Arn'] }), {
        id,
        arn: resolve({ 'Fn::GetAtt': [id, 'Arn'] }),
        url: resolve({ Ref: id }),
        ...(redrive ? { maxReceiveCount: Number(redrive.maxReceiveCount), deadLetterArn: resolve(redrive.deadLetterTargetArn) } : {}),
        messages: [],
        busy: false,
      });
    }
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::SNS::Subscription') continue;
      const properties = resource.Properties ?? {};
      if (properties.Protocol !== 'sqs') continue;
      this.subscriptions.push({
        id,
        topicArn: resolve(properties.TopicArn),
        queueArn: resolve(properties.Endpoint),
        raw: properties.RawMessageDelivery === true || properties.RawMessageDelivery === 'true',
        scope: properties.FilterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes',
        ...(properties.FilterPolicy ? { filterPolicy: asObject(properties.FilterPolicy) } : {}),
      });
    }
    for (const definition of functionDefinitions(template)) {
      const events = (definition.resource.Properties?.Events ?? {}) as Record<string, { Type: string; Properties: Record<string, any> }>;
      for (const source of Object.values(events)) {
        if (source.Type !== 'SQS') continue;
        const queue = this.queues.get(resolve(source.Properties.Queue));
        if (!queue) throw new Error(`${definition.logicalId}: SQS event source on a queue the template does not declare`);
        queue.consumer = {
          functionId: definition.logicalId,
          batchSize: Number(source.Properties.BatchSize ?? 10),
          batchingWindowMs: batchingWindowMs(source.Properties),
          reportBatchItemFailures: ((source.Properties.FunctionResponseTypes ?? []) as string[]).includes('ReportBatchItemFailures'),
        };
      }
    }
  }

  /** SNS Publish: one copy to every subscribed queue whose filter policy accepts it. Answers the queues reached. */
  publish(topicArn: string, message: string, attributes: Record<string, MessageAttribute>): string[] {
    const messageId = randomUUID();
    const reached: string[] = [];
    for (const subscription of this.subscriptions) {
      if (subscription.topicArn !== topicArn || !subscriptionAccepts(subscription, message, attributes)) continue;
      const body = subscription.raw
        ? message
        : JSON.stringify({
            Type: 'Notification',
            MessageId: messageId,
            TopicArn: topicArn,
            Message: message,
            Timestamp: new Date().toISOString(),
            MessageAttributes: Object.fromEntries(
              Object.entries(attributes).map(([name, value]) => [name, { Type: value.DataType, Value: value.StringValue }]),
            ),
          });
      this.enqueue(subscription.queueArn, body, subscription.raw ? attributes : {}, 0);
      reached.push(this.queue(subscription.queueArn).id);
    }
    return reached;
  }

  /** SQS SendMessage by queue URL or ARN. */
  sendMessage(queue: string, body: string, attributes: Record<string, MessageAttribute>, delaySeconds = 0): void {
    this.enqueue(queue, body, attributes, delaySeconds);
  }

  /** Messages waiting in a queue (by logical id), e.g. a dead-letter queue. */
  peek(queueId: string): { body: string; attributes: Record<string, MessageAttribute>; visibleAt: string }[] {
    const queue = [...this.queues.values()].find((candidate) => candidate.id === queueId);
    return (queue?.messages ?? []).map(({ body, attributes, visibleAt }) => ({
      body,
      attributes,
      visibleAt: new Date(visibleAt).toISOString(),
    }));
  }

  /** Resolves once no consumed queue has a batch in flight or a message due within `horizonMs`. */
  async settled(horizonMs = 2000): Promise<void> {
    this.settling += 1;
    try {
      for (const queue of this.queues.values()) this.schedule(queue);
      for (;;) {
        const now = Date.now();
        const active = [...this.queues.values()].some(
          (queue) => queue.consumer && (queue.busy || queue.messages.some((message) => message.visibleAt <= now + horizonMs)),
        );
        if (!active || this.stopped) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      this.settling -= 1;
    }
  }

  stop(): void {
    this.stopped = true;
    for (const queue of this.queues.values()) clearTimeout(queue.timer);
  }

  private queue(reference: string): LocalQueue {
    const queue = this.queues.get(reference) ?? [...this.queues.values()].find((candidate) => candidate.url === reference);
    if (!queue) throw new Error(`no local queue ${reference}`);
    return queue;
  }

  private enqueue(reference: string, body: string, attributes: Record<string, MessageAttribute>, delaySeconds: number): void {
    const queue = this.queue(reference);
    const now = Date.now();
    queue.messages.push({ messageId: randomUUID(), body, attributes, sentAt: now, visibleAt: now + delaySeconds * 1000, receiveCount: 0 });
    this.schedule(queue);
  }

  private schedule(queue: LocalQueue): void {
    if (!queue.consumer || queue.busy || this.stopped) return;
    clearTimeout(queue.timer);
    const next = Math.min(...queue.messages.map((message) => message.visibleAt));
    if (!Number.isFinite(next)) return;
    queue.timer = setTimeout(() => void this.poll(queue), Math.max(0, next - Date.now()));
  }

  private async poll(queue: LocalQueue): Promise<void> {
    const consumer = queue.consumer;
    if (!consumer || queue.busy || this.stopped) return;
    const now = Date.now();
    const batch = queue.messages.filter((message) => message.visibleAt <= now).slice(0, consumer.batchSize);
    if (batch.length === 0) return this.schedule(queue);
    // As Lambda's SQS poller: a batch that is not full waits for more until its window has passed.
    const windowEnds = Math.min(...batch.map((message) => message.visibleAt)) + consumer.batchingWindowMs;
    if (batch.length < consumer.batchSize && now < windowEnds && this.settling === 0) {
      clearTimeout(queue.timer);
      queue.timer = setTimeout(() => void this.poll(queue), windowEnds - now);
      return;
    }
    queue.busy = true;
    const retryDelay = this.options.retryDelayMs ?? 500;
    for (const message of batch) {
      message.receiveCount += 1;
      message.visibleAt = Number.POSITIVE_INFINITY;
    }
    let failed: Set<string>;
    try {
      const response = (await this.options.invoke(consumer.functionId, this.toEvent(queue, batch))) as SQSBatchResponse | undefined;
      failed = new Set(consumer.reportBatchItemFailures ? (response?.batchItemFailures ?? []).map((item) => item.itemIdentifier) : []);
    } catch (error) {
      // A thrown error (e.g. every record failed) returns the whole batch to the queue.
      console.warn(`${consumer.functionId}: batch of ${batch.length} failed (${error instanceof Error ? error.name : String(error)})`);
      failed = new Set(batch.map((message) => message.messageId));
    }
    for (const message of batch) {
      const index = queue.messages.indexOf(message);
      if (!failed.has(message.messageId)) {
        queue.messages.splice(index, 1);
      } else if (queue.maxReceiveCount !== undefined && message.receiveCount >= queue.maxReceiveCount) {
        queue.messages.splice(index, 1);
        this.deadLetter(queue, message);
      } else {
        message.visibleAt = Date.now() + retryDelay;
      }
    }
    queue.busy = false;
    this.schedule(queue);
  }

  private deadLetter(queue: LocalQueue, message: QueuedMessage): void {
    console.warn(`${queue.id}: message ${message.messageId} moved to its dead-letter queue after ${message.receiveCount} receives`);
    appendFileSync(
      this.options.deadLetterFile,
      `${JSON.stringify({ at: new Date().toISOString(), queue: queue.id, messageId: message.messageId, receiveCount: message.receiveCount, body: message.body })}\n`,
    );
    const target = queue.deadLetterArn ? this.queues.get(queue.deadLetterArn) : undefined;
    if (target) target.messages.push({ ...message, visibleAt: Date.now(), receiveCount: 0 });
  }

  private toEvent(queue: LocalQueue, batch: QueuedMessage[]): SQSEvent {
    return {
      Records: batch.map(
        (message): SQSRecord => ({
          messageId: message.messageId,
          receiptHandle: `local-${message.messageId}-${message.receiveCount}`,
          body: message.body,
          attributes: {
            ApproximateReceiveCount: String(message.receiveCount),
            SentTimestamp: String(message.sentAt),
            SenderId: '000000000000',
            ApproximateFirstReceiveTimestamp: String(message.sentAt),
          },
          messageAttributes: Object.fromEntries(
            Object.entries(message.attributes).map(([name, value]) => [
              name,
              { dataType: value.DataType, stringValue: value.StringValue, stringListValues: [], binaryListValues: [] },
            ]),
          ),
          md5OfBody: createHash('md5').update(message.body).digest('hex'),
          eventSource: 'aws:sqs',
          eventSourceARN: queue.arn,
          awsRegion: LOCAL_AWS.region,
        }),
      ),
    };
  }
}

/** The stream-router's publisher, locally: each message through the in-process topic. */
export class LocalTopicPublisher implements NotificationPublisher {
  private readonly messaging: LocalMessaging;
  private readonly topicArn: string;

  constructor(messaging: LocalMessaging, topicArn: string) {
    this.messaging = messaging;
    this.topicArn = topicArn;
  }

  async publish(messages: readonly NotificationMessage[]): Promise<{ failed: number[] }> {
    for (const message of messages) this.messaging.publish(this.topicArn, JSON.stringify(message), messageAttributes(message));
    return { failed: [] };
  }
}

/** Quiet hours locally: the SMS goes back on its local queue with the delay, as on AWS. */
export class LocalSmsDeferral implements SmsDeferral {
  private readonly messaging: LocalMessaging;
  private readonly queueUrl: string;

  constructor(messaging: LocalMessaging, queueUrl: string) {
    this.messaging = messaging;
    this.queueUrl = queueUrl;
  }

  async redeliver(message: NotificationMessage, delaySeconds: number): Promise<void> {
    this.messaging.sendMessage(this.queueUrl, JSON.stringify(message), messageAttributes(message), Math.min(900, delaySeconds));
  }
}
