import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { shipmentChangeOf } from '#adapters/shipment-stream.ts';
import { createSnsClient, SnsNotificationPublisher } from '#adapters/sns-notification-publisher.ts';
import type { NotificationPublisher } from '#domain/notification-ports.ts';
import { routeShipmentChanges, type ShipmentChange } from '#lib/app/route-shipment-changes.ts';
import { requireEnv } from '#lib/config.ts';
import { logger } from '#lib/observability.ts';

export interface StreamRouterPorts {
  publisher: NotificationPublisher;
}

/**
 * Stream-router: shipment aggregate changes from the table's stream (the template's filter lets
 * only SK = SHIPMENT through) become NotificationMessages on the topic, one per channel.
 */
export function createStreamRouterHandler(ports: StreamRouterPorts) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>({ timeoutEarlyInMillis: 0 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const changes: ShipmentChange[] = [];
      const unreadable: string[] = [];
      for (const record of event.Records) {
        try {
          const change = shipmentChangeOf(record);
          if (change) changes.push(change);
        } catch (error) {
          logger.error('stream record is not a readable shipment', { sequenceNumber: record.dynamodb?.SequenceNumber, error });
          unreadable.push(String(record.dynamodb?.SequenceNumber));
        }
      }
      const { failedSequenceNumbers, published } = await routeShipmentChanges(ports.publisher, changes);
      const failures = [...unreadable, ...failedSequenceNumbers];
      logger.info('routed shipment changes', { records: event.Records.length, published, failures: failures.length });
      return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
    });
}

// Built once per container on AWS; the local stack builds its own through the factory.
export const handler = createStreamRouterHandler({
  publisher: new SnsNotificationPublisher(createSnsClient(), requireEnv('NOTIFICATIONS_TOPIC_ARN')),
});
