import { randomUUID } from 'node:crypto';
import { matchesPattern } from './event-patterns.ts';
import { awsError, type MessageAttribute, xmlText } from './protocol.ts';
import type { LocalSqs } from './sqs.ts';

/**
 * Amazon SNS behind the Query protocol the SDK speaks (form-encoded `Action=…`, XML answers):
 * Publish and PublishBatch to a topic deliver a copy to every SQS subscription whose filter policy
 * accepts the message (raw or in the SNS envelope); Publish to a PhoneNumber and
 * CheckIfPhoneNumberIsOptedOut go to the SMS sink the emulator is given.
 */

export interface Subscription {
  topicArn: string;
  /** The subscribed queue's ARN (protocol sqs). */
  queueArn: string;
  raw: boolean;
  scope: 'MessageAttributes' | 'MessageBody';
  filterPolicy?: Record<string, unknown>;
}

/** An SMS as SNS was asked to send it. */
export interface SmsRequest {
  phoneNumber: string;
  message: string;
  attributes: Record<string, MessageAttribute>;
}

export interface SmsSink {
  send(sms: SmsRequest): void | Promise<void>;
  isOptedOut(phoneNumber: string): boolean | Promise<boolean>;
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

export class LocalSns {
  private readonly topics = new Set<string>();
  private readonly subscriptions: Subscription[] = [];
  private readonly sqs: LocalSqs;
  private readonly sms: SmsSink;

  constructor(options: { sqs: LocalSqs; sms: SmsSink }) {
    this.sqs = options.sqs;
    this.sms = options.sms;
  }

  createTopic(arn: string): void {
    this.topics.add(arn);
  }

  subscribe(subscription: Subscription): void {
    this.subscriptions.push(subscription);
  }

  /** Publish to a topic: one copy to every subscribed queue whose filter policy accepts it. Answers the message id and the queues reached. */
  publish(
    topicArn: string,
    message: string,
    attributes: Record<string, MessageAttribute> = {},
    subject?: string,
  ): { messageId: string; deliveredTo: string[] } {
    if (!this.topics.has(topicArn)) throw awsError(404, 'NotFound', 'Topic does not exist');
    const messageId = randomUUID();
    const deliveredTo: string[] = [];
    for (const subscription of this.subscriptions) {
      if (subscription.topicArn !== topicArn || !subscriptionAccepts(subscription, message, attributes)) continue;
      const body = subscription.raw
        ? message
        : JSON.stringify({
            Type: 'Notification',
            MessageId: messageId,
            TopicArn: topicArn,
            ...(subject ? { Subject: subject } : {}),
            Message: message,
            Timestamp: new Date().toISOString(),
            MessageAttributes: Object.fromEntries(
              Object.entries(attributes).map(([name, value]) => [name, { Type: value.DataType, Value: value.StringValue }]),
            ),
          });
      this.sqs.send(subscription.queueArn, body, subscription.raw ? attributes : {});
      deliveredTo.push(this.sqs.queue(subscription.queueArn).name);
    }
    return { messageId, deliveredTo };
  }

  /** Answers one Query request with its XML. */
  async handle(params: URLSearchParams): Promise<string> {
    const action = params.get('Action') ?? '';
    switch (action) {
      case 'Publish': {
        const message = required(params, 'Message');
        const attributes = messageAttributes(params, 'MessageAttributes');
        const phoneNumber = params.get('PhoneNumber');
        let messageId: string;
        if (phoneNumber) {
          if (!/^\+[1-9]\d{1,14}$/.test(phoneNumber))
            throw awsError(400, 'InvalidParameter', 'Invalid parameter: PhoneNumber Reason: not E.164');
          await this.sms.send({ phoneNumber, message, attributes });
          messageId = randomUUID();
        } else {
          const topicArn = params.get('TopicArn') ?? params.get('TargetArn');
          if (!topicArn) throw awsError(400, 'InvalidParameter', 'Invalid parameter: TopicArn or TargetArn or PhoneNumber');
          messageId = this.publish(topicArn, message, attributes, params.get('Subject') ?? undefined).messageId;
        }
        return response(action, `<MessageId>${messageId}</MessageId>`);
      }
      case 'PublishBatch': {
        const topicArn = required(params, 'TopicArn');
        const successful: string[] = [];
        for (let index = 1; params.has(`PublishBatchRequestEntries.member.${index}.Id`); index++) {
          const prefix = `PublishBatchRequestEntries.member.${index}`;
          const { messageId } = this.publish(
            topicArn,
            required(params, `${prefix}.Message`),
            messageAttributes(params, `${prefix}.MessageAttributes`),
            params.get(`${prefix}.Subject`) ?? undefined,
          );
          successful.push(`<member><Id>${xmlText(params.get(`${prefix}.Id`))}</Id><MessageId>${messageId}</MessageId></member>`);
        }
        if (successful.length === 0) throw awsError(400, 'EmptyBatchRequest', 'The batch request does not contain any entries.');
        return response(action, `<Successful>${successful.join('')}</Successful><Failed/>`);
      }
      case 'CheckIfPhoneNumberIsOptedOut': {
        const optedOut = await this.sms.isOptedOut(required(params, 'phoneNumber'));
        return response(action, `<isOptedOut>${optedOut}</isOptedOut>`);
      }
      default:
        throw awsError(400, 'InvalidAction', `the local SNS does not implement ${action}`);
    }
  }
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null) throw awsError(400, 'InvalidParameter', `Invalid parameter: ${name}`);
  return value;
}

/** `<prefix>.entry.N.Name`, `.Value.DataType`, `.Value.StringValue`: the Query form of a message attribute map. */
function messageAttributes(params: URLSearchParams, prefix: string): Record<string, MessageAttribute> {
  const attributes: Record<string, MessageAttribute> = {};
  for (let index = 1; params.has(`${prefix}.entry.${index}.Name`); index++) {
    const entry = `${prefix}.entry.${index}`;
    attributes[params.get(`${entry}.Name`) as string] = {
      DataType: params.get(`${entry}.Value.DataType`) ?? 'String',
      ...(params.has(`${entry}.Value.StringValue`) ? { StringValue: params.get(`${entry}.Value.StringValue`) as string } : {}),
    };
  }
  return attributes;
}

const response = (action: string, result: string) =>
  `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${result}</${action}Result>` +
  `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
