import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-client.ts';
import { DynamoCustomerContacts } from '#adapters/dynamo-customer-contacts.ts';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { createSnsClient } from '#adapters/sns-notification-publisher.ts';
import { SnsSmsGateway } from '#adapters/sns-sms-gateway.ts';
import { createSqsClient, SqsSmsDeferral } from '#adapters/sqs-sms-deferral.ts';
import { MalformedNotificationError, parseNotificationMessage } from '#domain/notification-message-schema.ts';
import { deliverSms, type SmsPorts } from '#lib/app/deliver-notification.ts';
import { requireEnv } from '#lib/config.ts';
import { logger, notificationMetric } from '#lib/observability.ts';

/**
 * send-sms: NotificationMessages from the SMS queue, each claimed, sent at most once and recorded.
 * A record that fails is reported alone (partial batch response) and comes back from the queue.
 */
export function createSendSmsHandler(ports: SmsPorts) {
  // Outcomes per channel: one EMF line per batch, whatever the outcomes were.
  const metrics = new Metrics({ defaultDimensions: { channel: 'sms' } });
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    const message = parseNotificationMessage(record.body);
    if (message.channel !== 'sms') throw new MalformedNotificationError(`an ${message.channel} message reached the SMS queue`);
    const outcome = await deliverSms(ports, message);
    logger.info('sms notification', { notificationId: message.notificationId, eventType: message.eventType, outcome });
    metrics.addMetric(notificationMetric(outcome), MetricUnit.Count, 1);
  };
  return middy<SQSEvent, SQSBatchResponse>({ timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler((event, context) => processPartialResponse(event, recordHandler, processor, { context }));
}

// AWS wiring, built once per container: the claims and the contact look-up share one table client.
const documents = createDocumentClient();
const tableName = requireEnv('TABLE_NAME');

export const handler = createSendSmsHandler({
  claims: new DynamoNotificationClaims(documents, tableName),
  contacts: new DynamoCustomerContacts(documents, tableName),
  sms: new SnsSmsGateway(createSnsClient()),
  deferral: new SqsSmsDeferral(createSqsClient(), requireEnv('SMS_QUEUE_URL')),
  clock: () => new Date(),
});
