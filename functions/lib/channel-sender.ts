import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Channel } from '#domain/channels.ts';
import type { NotificationMessage } from '#domain/notification-message.ts';
import { MalformedNotificationError, parseNotificationMessage } from '#domain/notification-message-schema.ts';
import type { DeliveryOutcome } from './app/deliver-notification.ts';
import { logger, notificationMetric } from './observability.ts';

/**
 * The handler both senders share: NotificationMessages from the channel's queue, each parsed,
 * delivered once by `deliver` and counted. A record that fails is reported alone (partial batch
 * response) and comes back from the queue; a message of another channel is a fault, not a send.
 */
export function createChannelSenderHandler(channel: Channel, deliver: (message: NotificationMessage) => Promise<DeliveryOutcome>) {
  // Outcomes per channel: one EMF line per batch, whatever the outcomes were.
  const metrics = new Metrics({ defaultDimensions: { channel } });
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    const message = parseNotificationMessage(record.body);
    if (message.channel !== channel) throw new MalformedNotificationError(`an ${message.channel} message reached the ${channel} queue`);
    const outcome = await deliver(message);
    logger.info(`${channel} notification`, { notificationId: message.notificationId, eventType: message.eventType, outcome });
    metrics.addMetric(notificationMetric(outcome), MetricUnit.Count, 1);
  };
  return middy<SQSEvent, SQSBatchResponse>({ timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler((event, context) => processPartialResponse(event, recordHandler, processor, { context }));
}
