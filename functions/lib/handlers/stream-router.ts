import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { shipmentChangeOf } from '#adapters/stream-images.ts';
import { idDigest } from '#domain/id-digest.ts';
import { ENTRIES_TOLD_PER_STATUS } from '#domain/status-episodes.ts';
import { type RouteShipmentPorts, routeShipmentChanges } from '#lib/app/route-shipment-changes.ts';
import { type Observability, singleMetricOf } from '#lib/runtime/observability.ts';
import { lambdaHandler } from './middleware.ts';
import { batchItemFailures, decodeBatch } from './stream-records.ts';

export type StreamRouterPorts = RouteShipmentPorts;

/**
 * The stream router (StreamRouterFunction): changes of shipment states from the table's stream
 * (the template's filter lets only SK = SHIPMENT through) become NotificationMessages on the
 * topic, one per channel, within each warehouse's daily cap, keep the customer profiles and arm
 * stall timers. A record whose messages were not all published, whose profile was not written or
 * whose timer was not armed is a batch item failure.
 */
export function streamRouterHandler(ports: StreamRouterPorts, observability: Observability) {
  const { logger, metrics } = observability;
  return lambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>(observability, { metrics: true }).handler(async (event) => {
    const changes = decodeBatch(event.Records, shipmentChangeOf, logger);
    const { failedSequenceNumbers, published, suppressed, profiles, timers, withheld } = await routeShipmentChanges(ports, changes);
    logger.info('routed shipment changes', {
      records: event.Records.length,
      published,
      profiles,
      timers,
      failures: failedSequenceNumbers.length,
    });
    // Every invocation flushes at least this one, so the metrics middleware never warns of an empty set.
    metrics.addMetric('NotificationsPublished', MetricUnit.Count, published);
    for (const [warehouse, count] of suppressed) {
      logger.warn('notifications suppressed: daily cap reached', { warehouse, suppressed: count });
      singleMetricOf(metrics).addDimension('warehouse', warehouse).addMetric('NotificationsSuppressed', MetricUnit.Count, count);
      // Without the warehouse dimension: what NotificationCapAlarm watches.
      singleMetricOf(metrics).addMetric('NotificationCapReached', MetricUnit.Count, count);
    }
    for (const { shipmentId, owner, status, entry } of withheld) {
      logger.warn('status entry not told: the shipment entered this status too often', {
        shipmentId: idDigest(shipmentId),
        warehouse: owner,
        status,
        entry,
        told: ENTRIES_TOLD_PER_STATUS,
      });
      singleMetricOf(metrics).addDimension('warehouse', owner).addMetric('StatusEntriesWithheld', MetricUnit.Count, 1);
    }
    // Without the warehouse dimension, in all: what StatusEntriesWithheldAlarm watches.
    if (withheld.length > 0) singleMetricOf(metrics).addMetric('StatusEntriesWithheld', MetricUnit.Count, withheld.length);
    return batchItemFailures(failedSequenceNumbers);
  });
}
