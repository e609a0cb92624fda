import { createHash, randomUUID } from 'node:crypto';
import { type AwsError, awsError, type MessageAttribute } from './protocol.ts';

/**
 * Amazon SQS, in memory, behind the AWS JSON 1.0 protocol the SDK speaks (`X-Amz-Target:
 * AmazonSQS.<Operation>`): the operations the functions call (SendMessage with DelaySeconds and
 * message attributes) and those an event source mapping needs (ReceiveMessage with long polling
 * and visibility timeouts, DeleteMessage(Batch), ChangeMessageVisibility(Batch),
 * GetQueueAttributes, GetQueueUrl). A queue's RedrivePolicy moves a message received more than
 * maxReceiveCount times to its dead-letter queue, as SQS does on the next receive.
 */

export interface QueueSettings {
  name: string;
  url: string;
  arn: string;
  visibilityTimeoutSeconds?: number;
  delaySeconds?: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

interface StoredMessage {
  id: string;
  body: string;
  attributes: Record<string, MessageAttribute>;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receipt?: string;
}

interface Queue extends Required<Omit<QueueSettings, 'redrive'>> {
  redrive?: QueueSettings['redrive'];
  messages: StoredMessage[];
  waiters: Set<() => void>;
}

/** A message moved to its dead-letter queue, as the emulator reports it. */
export interface DeadLetter {
  queue: string;
  deadLetterQueue: string;
  messageId: string;
  receiveCount: number;
  body: string;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export class LocalSqs {
  private readonly queues = new Map<string, Queue>();
  private readonly onDeadLetter: (moved: DeadLetter) => void;

  constructor(options: { onDeadLetter?: (moved: DeadLetter) => void } = {}) {
    this.onDeadLetter = options.onDeadLetter ?? (() => undefined);
  }

  createQueue(settings: QueueSettings): void {
    this.queues.set(settings.arn, {
      visibilityTimeoutSeconds: 30,
      delaySeconds: 0,
      ...settings,
      messages: [],
      waiters: new Set(),
    });
  }

  /** A queue by URL, ARN or name. */
  queue(reference: string): Queue {
    const found =
      this.queues.get(reference) ??
      [...this.queues.values()].find((queue) => queue.url === reference || queue.name === reference || sameQueuePath(queue.url, reference));
    if (!found)
      throw awsError(
        400,
        'QueueDoesNotExist',
        `The specified queue does not exist: ${reference}`,
        'AWS.SimpleQueueService.NonExistentQueue',
      );
    return found;
  }

  send(
    reference: string,
    body: string,
    attributes: Record<string, MessageAttribute> = {},
    delaySeconds?: number,
  ): { id: string; md5: string } {
    const queue = this.queue(reference);
    const now = Date.now();
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      attributes,
      sentAt: now,
      visibleAt: now + (delaySeconds ?? queue.delaySeconds) * 1000,
      receiveCount: 0,
    };
    queue.messages.push(message);
    if (message.visibleAt <= now) this.wake(queue);
    else setTimeout(() => this.wake(queue), message.visibleAt - now).unref();
    return { id: message.id, md5: md5(body) };
  }

  /** ReceiveMessage: visible messages become invisible for the visibility timeout; waits up to `waitSeconds` for one. */
  async receive(
    reference: string,
    options: { max?: number; visibilityTimeoutSeconds?: number; waitSeconds?: number; signal?: AbortSignal } = {},
  ) {
    const queue = this.queue(reference);
    const deadline = Date.now() + (options.waitSeconds ?? 0) * 1000;
    for (;;) {
      const taken = this.take(queue, Math.min(10, options.max ?? 1), options.visibilityTimeoutSeconds ?? queue.visibilityTimeoutSeconds);
      const remaining = deadline - Date.now();
      if (taken.length > 0 || remaining <= 0 || options.signal?.aborted) return taken;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          queue.waiters.delete(done);
          options.signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, Math.min(remaining, nextVisible(queue) - Date.now())));
        queue.waiters.add(done);
        options.signal?.addEventListener('abort', done);
      });
    }
  }

  delete(reference: string, receiptHandle: string): void {
    const queue = this.queue(reference);
    const index = queue.messages.findIndex((message) => message.receipt === receiptHandle);
    // SQS answers success for a receipt handle it no longer knows (the message is gone already).
    if (index >= 0) queue.messages.splice(index, 1);
  }

  changeVisibility(reference: string, receiptHandle: string, visibilityTimeoutSeconds: number): void {
    const queue = this.queue(reference);
    const message = queue.messages.find((candidate) => candidate.receipt === receiptHandle);
    if (!message) throw awsError(400, 'ReceiptHandleIsInvalid', `The receipt handle "${receiptHandle}" is not valid.`);
    message.visibleAt = Date.now() + visibilityTimeoutSeconds * 1000;
    if (visibilityTimeoutSeconds === 0) this.wake(queue);
    else setTimeout(() => this.wake(queue), visibilityTimeoutSeconds * 1000).unref();
  }

  /** The approximate counts GetQueueAttributes reports. */
  counts(reference: string): { visible: number; notVisible: number; delayed: number } {
    const queue = this.queue(reference);
    const now = Date.now();
    let visible = 0;
    let notVisible = 0;
    let delayed = 0;
    for (const message of queue.messages) {
      if (message.visibleAt <= now) visible += 1;
      else if (message.receiveCount > 0) notVisible += 1;
      else delayed += 1;
    }
    return { visible, notVisible, delayed };
  }

  /** The messages in a queue, oldest first (for the local dashboard and tests; not an SQS operation). */
  peek(reference: string): { messageId: string; body: string; attributes: Record<string, MessageAttribute>; receiveCount: number }[] {
    return this.queue(reference).messages.map((message) => ({
      messageId: message.id,
      body: message.body,
      attributes: message.attributes,
      receiveCount: message.receiveCount,
    }));
  }

  /** Answers one AWS JSON 1.0 request (`operation` from X-Amz-Target). */
  async handle(operation: string, input: Record<string, any>, signal?: AbortSignal): Promise<unknown> {
    switch (operation) {
      case 'SendMessage': {
        const sent = this.send(input.QueueUrl, requireString(input, 'MessageBody'), input.MessageAttributes ?? {}, input.DelaySeconds);
        return { MessageId: sent.id, MD5OfMessageBody: sent.md5 };
      }
      case 'SendMessageBatch': {
        const Successful = ((input.Entries ?? []) as Record<string, any>[]).map((entry) => {
          const sent = this.send(input.QueueUrl, requireString(entry, 'MessageBody'), entry.MessageAttributes ?? {}, entry.DelaySeconds);
          return { Id: entry.Id, MessageId: sent.id, MD5OfMessageBody: sent.md5 };
        });
        return { Successful, Failed: [] };
      }
      case 'ReceiveMessage': {
        const queue = this.queue(input.QueueUrl);
        const taken = await this.receive(input.QueueUrl, {
          max: input.MaxNumberOfMessages,
          visibilityTimeoutSeconds: input.VisibilityTimeout,
          waitSeconds: input.WaitTimeSeconds,
          signal,
        });
        return {
          Messages: taken.map((message) => ({
            MessageId: message.id,
            ReceiptHandle: message.receipt,
            MD5OfBody: md5(message.body),
            Body: message.body,
            Attributes: {
              ApproximateReceiveCount: String(message.receiveCount),
              SentTimestamp: String(message.sentAt),
              ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
              SenderId: queue.arn.split(':')[4] ?? '',
            },
            ...(Object.keys(message.attributes).length > 0 ? { MessageAttributes: message.attributes } : {}),
          })),
        };
      }
      case 'DeleteMessage':
        this.delete(input.QueueUrl, requireString(input, 'ReceiptHandle'));
        return {};
      case 'DeleteMessageBatch':
        for (const entry of input.Entries ?? []) this.delete(input.QueueUrl, entry.ReceiptHandle);
        return { Successful: (input.Entries ?? []).map((entry: { Id: string }) => ({ Id: entry.Id })), Failed: [] };
      case 'ChangeMessageVisibility':
        this.changeVisibility(input.QueueUrl, requireString(input, 'ReceiptHandle'), Number(input.VisibilityTimeout));
        return {};
      case 'ChangeMessageVisibilityBatch': {
        const Successful: { Id: string }[] = [];
        const Failed: { Id: string; Code: string; Message: string; SenderFault: boolean }[] = [];
        for (const entry of input.Entries ?? []) {
          try {
            this.changeVisibility(input.QueueUrl, entry.ReceiptHandle, Number(entry.VisibilityTimeout));
            Successful.push({ Id: entry.Id });
          } catch (error) {
            Failed.push({ Id: entry.Id, Code: (error as AwsError).code, Message: (error as Error).message, SenderFault: true });
          }
        }
        return { Successful, Failed };
      }
      case 'GetQueueAttributes': {
        const queue = this.queue(input.QueueUrl);
        const counts = this.counts(input.QueueUrl);
        return {
          Attributes: {
            QueueArn: queue.arn,
            ApproximateNumberOfMessages: String(counts.visible),
            ApproximateNumberOfMessagesNotVisible: String(counts.notVisible),
            ApproximateNumberOfMessagesDelayed: String(counts.delayed),
            VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
            DelaySeconds: String(queue.delaySeconds),
            ...(queue.redrive ? { RedrivePolicy: JSON.stringify(queue.redrive) } : {}),
          },
        };
      }
      case 'GetQueueUrl':
        return { QueueUrl: this.queue(requireString(input, 'QueueName')).url };
      case 'ListQueues':
        return { QueueUrls: [...this.queues.values()].map((queue) => queue.url) };
      default:
        throw awsError(400, 'UnsupportedOperation', `the local SQS does not implement ${operation}`);
    }
  }

  private take(queue: Queue, max: number, visibilityTimeoutSeconds: number): StoredMessage[] {
    const now = Date.now();
    const taken: StoredMessage[] = [];
    for (const message of [...queue.messages]) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      if (queue.redrive && message.receiveCount >= queue.redrive.maxReceiveCount) {
        this.moveToDeadLetterQueue(queue, message);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receipt = `${message.id}#${message.receiveCount}#${randomUUID()}`;
      message.visibleAt = now + visibilityTimeoutSeconds * 1000;
      taken.push(message);
    }
    return taken;
  }

  private moveToDeadLetterQueue(queue: Queue, message: StoredMessage): void {
    queue.messages.splice(queue.messages.indexOf(message), 1);
    const target = this.queues.get(queue.redrive?.deadLetterTargetArn ?? '');
    if (target) {
      target.messages.push({ ...message, visibleAt: Date.now(), receiveCount: 0, receipt: undefined });
      this.wake(target);
    }
    this.onDeadLetter({
      queue: queue.name,
      deadLetterQueue: target?.name ?? String(queue.redrive?.deadLetterTargetArn),
      messageId: message.id,
      receiveCount: message.receiveCount,
      body: message.body,
    });
  }

  private wake(queue: Queue): void {
    for (const waiter of [...queue.waiters]) waiter();
  }
}

function nextVisible(queue: Queue): number {
  let next = Number.POSITIVE_INFINITY;
  for (const message of queue.messages) next = Math.min(next, message.visibleAt);
  return next;
}

/** `http://host:port/000000000000/Name` and `/000000000000/Name` name the same queue. */
function sameQueuePath(url: string, reference: string): boolean {
  try {
    return new URL(url).pathname === new URL(reference, url).pathname;
  } catch {
    return false;
  }
}

function requireString(input: Record<string, any>, name: string): string {
  const value = input[name];
  if (typeof value !== 'string') throw awsError(400, 'MissingParameter', `The request must contain the parameter ${name}.`);
  return value;
}
