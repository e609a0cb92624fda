import { PublishBatchCommand, type PublishBatchRequestEntry, type SNSClient } from '@aws-sdk/client-sns';
import type { NotificationMessage } from '#domain/notification-message.ts';
import type { NotificationPublisher } from '#domain/notification-ports.ts';
import { backoff, type RetryPolicy } from '#domain/retry.ts';
import { messageAttributes } from './message-attributes.ts';

/** SNS takes at most 10 entries per PublishBatch. */
export const PUBLISH_BATCH_LIMIT = 10;

/** Entries SNS failed on its side: three tries in all, as the SDK gives a whole call. */
export const FAILED_ENTRIES_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 100 };

/**
 * Publishes NotificationMessages to the topic with PublishBatch, ten at a time. A throttled or
 * failed call is retried by the SDK (runtime/aws-clients.ts); what it cannot see are entries SNS
 * failed inside a successful response, so those not failed through the sender's fault are sent
 * again here. What still fails is answered by index, so the caller can report exactly those records.
 */
export class SnsNotificationPublisher implements NotificationPublisher {
  private readonly client: SNSClient;
  private readonly topicArn: string;
  private readonly retry: RetryPolicy;

  constructor(client: SNSClient, topicArn: string, retry: RetryPolicy = FAILED_ENTRIES_RETRY) {
    this.client = client;
    this.topicArn = topicArn;
    this.retry = retry;
  }

  async publish(messages: readonly NotificationMessage[]): Promise<{ failed: number[] }> {
    const failed: number[] = [];
    for (let start = 0; start < messages.length; start += PUBLISH_BATCH_LIMIT) {
      const entries = messages.slice(start, start + PUBLISH_BATCH_LIMIT).map(
        (message, offset): PublishBatchRequestEntry => ({
          Id: `m${start + offset}`,
          Message: JSON.stringify(message),
          MessageAttributes: messageAttributes(message),
        }),
      );
      failed.push(...(await this.publishChunk(entries)));
    }
    return { failed: failed.sort((a, b) => a - b) };
  }

  private async publishChunk(entries: PublishBatchRequestEntry[]): Promise<number[]> {
    const indexOf = (id: string | undefined) => Number(String(id).slice(1));
    const failed: number[] = [];
    let pending = entries;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let failures: { Id?: string | undefined; SenderFault?: boolean | undefined }[];
      try {
        const response = await this.client.send(new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: pending }));
        failures = response.Failed ?? [];
      } catch {
        // The SDK has retried what it could; the records of these entries go back to the stream.
        failed.push(...pending.map((entry) => indexOf(entry.Id)));
        return failed;
      }
      // SenderFault means the entry itself is wrong; sending it again cannot help.
      for (const failure of failures) if (failure.SenderFault) failed.push(indexOf(failure.Id));
      const retryable = pending.filter((entry) => failures.some((failure) => failure.Id === entry.Id && !failure.SenderFault));
      if (retryable.length > 0 && attempt >= this.retry.attempts) {
        failed.push(...retryable.map((entry) => indexOf(entry.Id)));
        return failed;
      }
      pending = retryable;
      if (pending.length > 0) await backoff(this.retry, attempt);
    }
    return failed;
  }
}
