import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Channel } from '#domain/channels.ts';
import { idDigest } from '#domain/id-digest.ts';
import type { NotificationMessage } from '#domain/notification-message.ts';
import { MalformedNotificationError, parseNotificationMessage } from '#domain/notification-message-schema.ts';
import type { DeliveryOutcome } from '#lib/app/deliver-notification.ts';
import { notificationMetric, type Observability } from '#lib/runtime/observability.ts';
import { lambdaHandler } from './middleware.ts';

/**
 * The handler both senders share: NotificationMessages from the channel's queue, each parsed,
 * delivered once by `deliver` and counted (the composition root gives the metrics a `channel`
 * dimension). A record that fails is reported alone (partial batch response) and comes back from
 * the queue; a message of another channel is a fault, not a send.
 */
export function channelSenderHandler(
  channel: Channel,
  deliver: (message: NotificationMessage) => Promise<DeliveryOutcome>,
  observability: Observability,
) {
  const { logger, metrics } = observability;
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    const message = parseNotificationMessage(record.body);
    if (message.channel !== channel) throw new MalformedNotificationError(`an ${message.channel} message reached the ${channel} queue`);
    const outcome = await deliver(message);
    // Notification ids are built from ids the warehouse chose: each logged as its digest (idDigest),
    // so a shipment's, order's or wallet's digest finds the sender's lines too.
    logger.info(`${channel} notification`, {
      notificationId: idDigest(message.notificationId),
      shipmentId: idDigest(message.shipment?.shipmentId),
      orderId: idDigest(message.order?.orderId),
      walletId: idDigest(message.wallet?.walletId),
      eventType: message.eventType,
      outcome,
    });
    metrics.addMetric(notificationMetric(outcome), MetricUnit.Count, 1);
  };
  // One EMF line per batch, whatever the outcomes were.
  return lambdaHandler<SQSEvent, SQSBatchResponse>(observability, { metrics: true }).handler((event, context) =>
    processPartialResponse(event, recordHandler, processor, { context }),
  );
}
