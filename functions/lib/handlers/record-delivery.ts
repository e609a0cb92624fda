import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeDeliveryEvent } from '#adapters/delivery-events.ts';
import { type RecordDeliveryPorts, recordDelivery } from '#lib/app/record-delivery.ts';
import { notificationMetric, type Observability, singleMetricOf } from '#lib/runtime/observability.ts';
import { lambdaHandler } from './middleware.ts';

/**
 * RecordDeliveryFunction: the providers' receipts from the DeliveryEventsQueue (SES events and End
 * User Messaging SMS events, raw from the DeliveryEventsTopic), each recorded on its notification.
 * Metrics per channel: NotificationsDelivered, …Bounced, …Complained, …Failed (the rates the
 * template's alarms watch). A receipt whose recording failed is reported alone and comes back; one
 * that cannot be read is counted (DeliveryEventsUnreadable) and dropped, since no retry could read it.
 */
export function recordDeliveryHandler(ports: RecordDeliveryPorts, observability: Observability) {
  const { logger, metrics } = observability;
  const processor = new BatchProcessor(EventType.SQS);
  const count = (name: string, channel?: string) => {
    const metric = singleMetricOf(metrics);
    if (channel) metric.addDimension('channel', channel);
    metric.addMetric(name, MetricUnit.Count, 1);
  };
  const recordHandler = async (record: SQSRecord) => {
    const decoded = decodeDeliveryEvent(record.body);
    if (decoded.kind !== 'receipt') {
      if (decoded.kind === 'unreadable') {
        logger.warn('delivery event unreadable', { messageId: record.messageId, why: decoded.why });
        count('DeliveryEventsUnreadable');
      } else logger.debug('delivery event ignored', { messageId: record.messageId, why: decoded.why });
      return;
    }
    const { receipt } = decoded;
    const recorded = await recordDelivery(ports, receipt);
    logger.info('delivery receipt', {
      channel: receipt.channel,
      providerMessageId: receipt.providerMessageId,
      reported: receipt.status,
      reason: receipt.reason,
      ...recorded,
    });
    if (recorded.result === 'recorded') count(notificationMetric(receipt.status), receipt.channel);
    if (recorded.result === 'unknown') count('DeliveryEventsUnmatched', receipt.channel);
    if (recorded.fallback) count('NotificationsFellBack', receipt.channel);
  };
  return lambdaHandler<SQSEvent, SQSBatchResponse>(observability, { metrics: true }).handler((event, context) =>
    processPartialResponse(event, recordHandler, processor, { context }),
  );
}
