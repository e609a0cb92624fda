import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { idDigest } from '#domain/id-digest.ts';
import { type CheckStalledShipmentPorts, checkStalledShipment } from '#lib/app/check-stalled-shipment.ts';
import { type Observability, singleMetricOf } from '#lib/runtime/observability.ts';
import { lambdaHandler } from './middleware.ts';

/** What a stall timer's schedule sends (its target's Input): the shipment, and the deadline it was armed for. */
const timerSchema = z.object({ shipmentId: z.string().check(z.minLength(1)), dueAt: z.iso.datetime() });

export class MalformedStallTimerError extends Error {
  override readonly name = 'MalformedStallTimerError';
}

/**
 * StallAlertFunction: stall timers fired by EventBridge Scheduler into the stall timer queue. Each
 * is checked against the shipment as it is now; a stall is told to the customer (through the
 * notifications topic, so quiet hours and exactly-once hold as for every message) and, the first
 * time, to operators: a `ShipmentsStalled` metric and a warning naming the owning warehouse.
 * A record that fails is reported alone and comes back from the queue (then its DLQ).
 */
export function stallAlertHandler(ports: CheckStalledShipmentPorts, observability: Observability) {
  const { logger, metrics } = observability;
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    let timer: z.infer<typeof timerSchema>;
    try {
      timer = timerSchema.parse(JSON.parse(record.body));
    } catch {
      throw new MalformedStallTimerError(`stall timer message ${record.messageId} is not {shipmentId, dueAt}`);
    }
    const outcome = await checkStalledShipment(ports, timer);
    if (outcome.kind === 'alerted' && outcome.first) {
      const { shipment } = outcome;
      logger.warn('shipment stalled', {
        shipmentId: idDigest(shipment.shipmentId),
        owner: shipment.owner,
        status: shipment.status,
        since: shipment.statusTime,
      });
      metrics.addMetric('ShipmentsStalled', MetricUnit.Count, 1);
      if (outcome.suppressed > 0) {
        logger.warn('notifications suppressed: daily cap reached', { warehouse: shipment.owner, suppressed: outcome.suppressed });
        singleMetricOf(metrics)
          .addDimension('warehouse', shipment.owner)
          .addMetric('NotificationsSuppressed', MetricUnit.Count, outcome.suppressed);
        // Without the warehouse dimension: what NotificationCapAlarm watches.
        singleMetricOf(metrics).addMetric('NotificationCapReached', MetricUnit.Count, outcome.suppressed);
      }
    } else {
      logger.info('stall timer', { shipmentId: idDigest(timer.shipmentId), dueAt: timer.dueAt, outcome: outcome.kind });
    }
  };
  return lambdaHandler<SQSEvent, SQSBatchResponse>(observability, { metrics: true }).handler((event, context) =>
    processPartialResponse(event, recordHandler, processor, { context }),
  );
}
