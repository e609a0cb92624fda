import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { shipmentChangeOf } from '#adapters/stream-images.ts';
import type { NotificationPublisher } from '#domain/notification-ports.ts';
import { routeShipmentChanges } from '#lib/app/route-shipment-changes.ts';
import type { Observability } from '#lib/runtime/observability.ts';
import { lambdaHandler } from './middleware.ts';
import { batchItemFailures, decodeBatch } from './stream-records.ts';

export interface StreamRouterPorts {
  publisher: NotificationPublisher;
}

/**
 * The stream router (StreamRouterFunction): shipment aggregate changes from the table's stream
 * (the template's filter lets only SK = SHIPMENT through) become NotificationMessages on the
 * topic, one per channel. A record whose messages were not all published is a batch item failure.
 */
export function streamRouterHandler(ports: StreamRouterPorts, observability: Observability) {
  const { logger } = observability;
  return lambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>(observability).handler(async (event) => {
    const changes = decodeBatch(event.Records, shipmentChangeOf, logger);
    const { failedSequenceNumbers, published } = await routeShipmentChanges(ports.publisher, changes);
    logger.info('routed shipment changes', { records: event.Records.length, published, failures: failedSequenceNumbers.length });
    return batchItemFailures(failedSequenceNumbers);
  });
}
