import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { NotificationMessage } from '#domain/notification-message.ts';
import type { SmsDeferral } from '#domain/notification-ports.ts';
import { messageAttributes } from './message-attributes.ts';

/**
 * Quiet hours as a re-drive chain: the SMS goes back on its own queue with DelaySeconds (at
 * most 900), hop after hop, until it is due. Only the queue holds the message meanwhile.
 */
export class SqsSmsDeferral implements SmsDeferral {
  private readonly client: SQSClient;
  private readonly queueUrl: string;

  constructor(client: SQSClient, queueUrl: string) {
    this.client = client;
    this.queueUrl = queueUrl;
  }

  async redeliver(message: NotificationMessage, delaySeconds: number): Promise<void> {
    const MessageAttributes = messageAttributes(message);
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: Math.max(0, Math.min(900, Math.ceil(delaySeconds))),
        MessageAttributes,
      }),
    );
  }
}
