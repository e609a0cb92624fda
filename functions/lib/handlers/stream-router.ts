import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { shipmentChangeOf } from '#adapters/stream-images.ts';
import { type RouteShipmentChangesPorts, routeShipmentChanges } from '#lib/app/route-shipment-changes.ts';
import type { Observability } from '#lib/runtime/observability.ts';
import { lambdaHandler } from './middleware.ts';
import { batchItemFailures, decodeBatch } from './stream-records.ts';

export type StreamRouterPorts = RouteShipmentChangesPorts;

/**
 * The stream router (StreamRouterFunction): changes of shipment states from the table's stream
 * (the template's filter lets only SK = SHIPMENT through) become NotificationMessages on the
 * topic, one per channel, keep the customer profiles and arm stall timers. A record whose
 * messages were not all published, whose profile was not written or whose timer was not armed is
 * a batch item failure.
 */
export function streamRouterHandler(ports: StreamRouterPorts, observability: Observability) {
  const { logger } = observability;
  return lambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>(observability).handler(async (event) => {
    const changes = decodeBatch(event.Records, shipmentChangeOf, logger);
    const { failedSequenceNumbers, published, profiles, timers } = await routeShipmentChanges(ports, changes);
    logger.info('routed shipment changes', {
      records: event.Records.length,
      published,
      profiles,
      timers,
      failures: failedSequenceNumbers.length,
    });
    return batchItemFailures(failedSequenceNumbers);
  });
}
