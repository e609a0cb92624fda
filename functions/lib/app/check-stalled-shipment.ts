import { idDigest } from '#domain/id-digest.ts';
import type { NotificationPublisher } from '#domain/notification-ports.ts';
import type { ShipmentStates, StallDeadlines, StallSchedules } from '#domain/ports.ts';
import type { ShipmentState } from '#domain/shipment.ts';
import { onStallTimer, type StallSettings } from '#domain/stall-alerts.ts';
import { type DailyCapPorts, withinDailyCap } from './daily-cap.ts';

/** The stall alert counts against its owner's daily cap, as every shipment message does (docs/warehouses.md). */
export interface CheckStalledShipmentPorts extends DailyCapPorts {
  states: ShipmentStates;
  deadlines: StallDeadlines;
  schedules: StallSchedules;
  publisher: NotificationPublisher;
  settings: StallSettings;
}

/** What a fired timer found, for the handler's log line and metric. */
export type StallCheckOutcome =
  | { kind: 'stopped' }
  | { kind: 'rearmed'; dueAt: string }
  | { kind: 'superseded' }
  /**
   * `first`: this delivery of the timer recorded the stall (operators hear of it once);
   * `suppressed`: messages not published because the owner reached its daily cap.
   */
  | { kind: 'alerted'; shipment: ShipmentState; first: boolean; suppressed: number };

export class UndeliveredStallAlertError extends Error {
  override readonly name = 'UndeliveredStallAlertError';
}

/**
 * A shipment's stall timer fired (the schedule armed for `firedDueAt`): the shipment is read again
 * and the domain decides (stall-alerts.ts). The alert is published before the stall is recorded as
 * alerted, so a crash between the two publishes again on the retry and the senders' claims, keyed
 * by the stall, send once; the record decides only whether operators hear of it.
 */
export async function checkStalledShipment(
  ports: CheckStalledShipmentPorts,
  timer: { shipmentId: string; dueAt: string },
): Promise<StallCheckOutcome> {
  const current = await ports.states.currentState(timer.shipmentId);
  const decision = onStallTimer(current, ports.clock(), ports.settings);
  switch (decision.kind) {
    case 'stop':
      await ports.deadlines.end(timer.shipmentId, timer.dueAt);
      return { kind: 'stopped' };
    case 'rearm': {
      const change = await ports.deadlines.rearm(timer.shipmentId, timer.dueAt, decision.dueAt);
      if (change === 'none') return { kind: 'superseded' };
      await ports.schedules.arm(timer.shipmentId, decision.dueAt, change);
      return { kind: 'rearmed', dueAt: decision.dueAt };
    }
    case 'alert': {
      const shipment = (current as { state: ShipmentState }).state;
      const capped = await withinDailyCap(
        ports,
        shipment.owner,
        decision.messages.map((message) => ({ message })),
      );
      if (capped.allowed.length > 0) {
        const { failed } = await ports.publisher.publish(capped.allowed.map(({ message }) => message));
        if (failed.length > 0)
          throw new UndeliveredStallAlertError(`${failed.length} stall alert message(s) of ${idDigest(timer.shipmentId)} not published`);
      }
      const first = await ports.deadlines.alerted(timer.shipmentId, decision.stallId);
      return { kind: 'alerted', shipment, first, suppressed: capped.suppressed };
    }
  }
}
