import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { idDigest } from '#domain/id-digest.ts';
import { SHIPMENT_STATUSES } from '#domain/shipment.ts';
import { type ClosedWindow, type CloseOrderWindowPorts, closeOrderWindow } from '#lib/app/close-order-window.ts';
import type { Observability } from '#lib/runtime/observability.ts';
import { lambdaHandler } from './middleware.ts';

/** The task's payload, as statemachines/split-order-window.asl.json passes it from the execution's input. */
const payload = z.object({
  owner: z.string().check(z.minLength(1)),
  orderId: z.string().check(z.minLength(1)),
  status: z.enum(SHIPMENT_STATUSES),
  executionName: z.optional(z.string()),
});

/** The CloseWindow task of the SplitOrderWindow state machine (CloseOrderWindowFunction). */
export function closeOrderWindowHandler(ports: CloseOrderWindowPorts, observability: Observability) {
  const { logger, metrics } = observability;
  return lambdaHandler<unknown, ClosedWindow>(observability, { metrics: true }).handler(async (event) => {
    const request = z.parse(payload, event);
    // The order id is the warehouse's to choose: logged as its digest (idDigest), the owner as the registry names it.
    logger.appendKeys({
      owner: request.owner,
      orderId: idDigest(request.orderId),
      status: request.status,
      execution: request.executionName,
    });
    const result = await closeOrderWindow(ports, request);
    metrics.addMetric('OrderWindowsClosed', MetricUnit.Count, 1);
    metrics.addMetric('CombinedMessagesPublished', MetricUnit.Count, result.named > 1 ? result.published : 0);
    // Counts only: contact details stay out of the logs.
    logger.info('order window closed', {
      members: result.members,
      named: result.named,
      published: result.published,
      suppressed: result.suppressed,
    });
    return result;
  });
}
