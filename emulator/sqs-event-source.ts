import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sqsRecord } from './lambda-events.ts';
import type { MessageAttribute } from './services/protocol.ts';
import { batchingWindowMs, positiveInteger } from './template.ts';

/**
 * What Lambda's event source mapping does for an SQS queue, through the SQS API (so the same
 * mapping can drive functions against any SQS endpoint): long-poll the queue with the five
 * pollers Lambda starts with (fewer when ScalingConfig's MaximumConcurrency says so), gather up to
 * BatchSize messages for at most MaximumBatchingWindowInSeconds, invoke, delete what succeeded
 * (with ReportBatchItemFailures, everything but the reported items; on a thrown error, nothing).
 * What failed comes back after the queue's VisibilityTimeout, as on AWS, or after
 * `retryDelaySeconds` when that is set, so that a local retry does not hold a test for a minute;
 * the queue's RedrivePolicy still counts receives.
 */

export interface SqsEventSourceSettings {
  functionId: string;
  queueUrl: string;
  queueArn: string;
  batchSize: number;
  /** MaximumBatchingWindowInSeconds, in ms. */
  batchingWindowMs: number;
  reportBatchItemFailures: boolean;
  /** Batches polled and invoked at once. */
  pollers: number;
  /** How long a failed message stays invisible; unset, the queue's VisibilityTimeout (AWS's behaviour). */
  retryDelaySeconds?: number;
}

/** Reads a function's `Type: SQS` event source properties as Lambda would. */
export function sqsSourceSettings(properties: Record<string, any>) {
  return {
    batchSize: positiveInteger(properties.BatchSize, 10),
    batchingWindowMs: batchingWindowMs(properties),
    reportBatchItemFailures: ((properties.FunctionResponseTypes ?? []) as string[]).includes('ReportBatchItemFailures'),
    pollers: startingPollers(Number(properties.ScalingConfig?.MaximumConcurrency ?? LAMBDA_STARTING_POLLERS)),
  };
}

/** Lambda's starting pollers under a MaximumConcurrency (at least 2); one that is not a number caps nothing. */
function startingPollers(maximumConcurrency: number): number {
  return Number.isFinite(maximumConcurrency) ? Math.min(LAMBDA_STARTING_POLLERS, Math.max(2, maximumConcurrency)) : LAMBDA_STARTING_POLLERS;
}

/**
 * Lambda starts an SQS event source with five pollers, each invoking with its own batch, and adds
 * more only as a queue stays busy for minutes; MaximumConcurrency (at least 2) caps them.
 */
const LAMBDA_STARTING_POLLERS = 5;

/** Long polls last this long at most, so stop() and a settling caller never wait for more. */
const WAIT_SECONDS = 1;

/**
 * While a batch gathers for its window, the next ReceiveMessage waits this long: messages arriving
 * meanwhile come back in one call rather than one call each. (Lambda's poller fleet has its own
 * cadence; a local one calling back-to-back would spend more on round trips than on the messages.)
 */
const GATHER_PAUSE_MS = 100;

export class SqsEventSource {
  private readonly client: SQSClient;
  private readonly settings: SqsEventSourceSettings;
  private readonly invoke: (event: SQSEvent) => Promise<unknown>;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  /** Callers waiting in settled() or hurrying: while there are any, batches do not wait out their window. */
  private settling = 0;
  /** Batches received and not yet acknowledged, over all pollers. */
  private inFlight = 0;

  constructor(client: SQSClient, settings: SqsEventSourceSettings, invoke: (event: SQSEvent) => Promise<unknown>) {
    this.client = client;
    this.settings = settings;
    this.invoke = invoke;
  }

  start(): void {
    this.running = true;
    const poller = async () => {
      while (this.running) {
        try {
          await this.pollOnce();
        } catch (error) {
          if (!this.running) break;
          console.error(`${this.settings.functionId}: SQS event source:`, error);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    };
    this.loop = Promise.all(Array.from({ length: this.settings.pollers }, poller)).then(() => undefined);
  }

  /**
   * Resolves once the queue has no message visible or in a batch (delayed ones, such as quiet-hours
   * SMS, do not count). A message a function failed counts while it waits for its retry when that
   * retry is local (`retryDelaySeconds`), not while it waits out the queue's VisibilityTimeout.
   */
  async settled(): Promise<void> {
    const done = this.hurry();
    try {
      for (;;) {
        const { Attributes = {} } = await this.client.send(
          new GetQueueAttributesCommand({
            QueueUrl: this.settings.queueUrl,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        const retrying = this.settings.retryDelaySeconds !== undefined ? Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) : 0;
        const waiting = Number(Attributes.ApproximateNumberOfMessages ?? 0) + retrying;
        if ((waiting === 0 && this.inFlight === 0) || !this.running) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      done();
    }
  }

  /** Until the returned function is called, batches do not wait out their window (as in settled()). */
  hurry(): () => void {
    this.settling += 1;
    let done = false;
    return () => {
      if (!done) this.settling -= 1;
      done = true;
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
  }

  /**
   * One batch: received (gathered for the window unless full or settling), invoked, acknowledged.
   * A receive that fails while a batch gathers drops the batch: its messages come back after their
   * visibility timeout, as they do on AWS.
   */
  private async pollOnce(): Promise<void> {
    const batch: Message[] = [];
    let windowEnds = 0;
    let counted = false;
    try {
      while (this.running && batch.length < this.settings.batchSize) {
        let wait = WAIT_SECONDS;
        if (batch.length > 0) {
          // As Lambda's poller: a batch that is not full waits for more until its window has passed.
          if (this.settling > 0 || Date.now() >= windowEnds) break;
          await new Promise((resolve) => setTimeout(resolve, Math.min(GATHER_PAUSE_MS, windowEnds - Date.now())));
          wait = 0;
        }
        const { Messages = [] } = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.settings.queueUrl,
            MaxNumberOfMessages: Math.min(10, this.settings.batchSize - batch.length),
            WaitTimeSeconds: wait,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: this.abort.signal },
        );
        if (Messages.length === 0 && batch.length === 0) return;
        if (!counted) {
          this.inFlight += 1;
          counted = true;
          windowEnds = Date.now() + this.settings.batchingWindowMs;
        }
        batch.push(...Messages);
      }
      if (batch.length > 0) await this.deliver(batch);
    } finally {
      if (counted) this.inFlight -= 1;
    }
  }

  private async deliver(batch: Message[]): Promise<void> {
    let failed: Set<string>;
    try {
      const response = (await this.invoke({ Records: batch.map((message) => this.toRecord(message)) })) as SQSBatchResponse | undefined;
      failed = new Set(this.settings.reportBatchItemFailures ? (response?.batchItemFailures ?? []).map((item) => item.itemIdentifier) : []);
    } catch (error) {
      // A thrown error (e.g. every record failed) leaves the whole batch on the queue.
      console.warn(`${this.settings.functionId}: batch of ${batch.length} failed (${error instanceof Error ? error.name : String(error)})`);
      failed = new Set(batch.map((message) => message.MessageId as string));
    }
    const done = batch.filter((message) => !failed.has(message.MessageId as string));
    const retry = batch.filter((message) => failed.has(message.MessageId as string));
    for (let start = 0; start < done.length; start += 10) {
      await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.settings.queueUrl,
          Entries: done.slice(start, start + 10).map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
    const retryDelay = this.settings.retryDelaySeconds;
    if (retryDelay === undefined) return;
    for (let start = 0; start < retry.length; start += 10) {
      await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.settings.queueUrl,
          Entries: retry.slice(start, start + 10).map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: retryDelay,
          })),
        }),
      );
    }
  }

  private toRecord(message: Message) {
    const attributes = message.Attributes ?? {};
    return sqsRecord({
      body: message.Body ?? '',
      messageId: message.MessageId as string,
      receiptHandle: message.ReceiptHandle as string,
      receiveCount: Number(attributes.ApproximateReceiveCount ?? 1),
      sentAt: Number(attributes.SentTimestamp ?? Date.now()),
      firstReceivedAt: Number(attributes.ApproximateFirstReceiveTimestamp ?? Date.now()),
      messageAttributes: (message.MessageAttributes ?? {}) as Record<string, MessageAttribute>,
      queueArn: this.settings.queueArn,
    });
  }
}
