import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createDocumentClient } from '#adapters/dynamo-client.ts';
import { DynamoCustomerContacts } from '#adapters/dynamo-customer-contacts.ts';
import { DynamoNotificationClaims } from '#adapters/dynamo-notification-claims.ts';
import { createSesClient, SesEmailGateway } from '#adapters/ses-email-gateway.ts';
import { MalformedNotificationError, parseNotificationMessage } from '#domain/notification-message-schema.ts';
import { deliverEmail, type EmailPorts } from '#lib/app/deliver-notification.ts';
import { requireEnv } from '#lib/config.ts';
import { logger, notificationMetric } from '#lib/observability.ts';

/** send-email: NotificationMessages from the email queue, each claimed, sent once with SES v2 and recorded. */
export function createSendEmailHandler(ports: EmailPorts) {
  // Outcomes per channel: one EMF line per batch, whatever the outcomes were.
  const metrics = new Metrics({ defaultDimensions: { channel: 'email' } });
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    const message = parseNotificationMessage(record.body);
    if (message.channel !== 'email') throw new MalformedNotificationError(`an ${message.channel} message reached the email queue`);
    const outcome = await deliverEmail(ports, message);
    logger.info('email notification', { notificationId: message.notificationId, eventType: message.eventType, outcome });
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

export const handler = createSendEmailHandler({
  claims: new DynamoNotificationClaims(documents, tableName),
  contacts: new DynamoCustomerContacts(documents, tableName),
  email: new SesEmailGateway(createSesClient(), {
    fromAddress: requireEnv('EMAIL_FROM_ADDRESS'),
    configurationSetName: process.env.EMAIL_CONFIGURATION_SET || undefined,
  }),
  clock: () => new Date(),
});
