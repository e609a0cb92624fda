import type { StallDeadlines, StallSchedules } from '../../functions/lib/domain/ports.ts';
import type { StallSettings } from '../../functions/lib/domain/stall-alerts.ts';

/**
 * In-memory stall timers for tests of the stream router that are about something else: the
 * deadlines behave as the DynamoDB item's conditions do, and `armed` lists what was scheduled.
 */
export function stallTimers(settings: StallSettings = { alertHours: 48 }) {
  const due = new Map<string, string>();
  const alerted = new Map<string, string>();
  const armed: { shipmentId: string; dueAt: string; change: string }[] = [];
  const deadlines: StallDeadlines = {
    async bringForward(shipmentId, dueAt) {
      const current = due.get(shipmentId);
      if (current !== undefined && current < dueAt) return 'none';
      due.set(shipmentId, dueAt);
      return current === undefined ? 'create' : 'move';
    },
    async rearm(shipmentId, firedDueAt, dueAt) {
      const current = due.get(shipmentId);
      if (current !== undefined && current !== firedDueAt && current < dueAt) return 'none';
      due.set(shipmentId, dueAt);
      return current === undefined || current === firedDueAt ? 'create' : 'move';
    },
    async end(shipmentId, firedDueAt) {
      if (due.get(shipmentId) === firedDueAt) due.delete(shipmentId);
    },
    async alerted(shipmentId, stallId) {
      due.delete(shipmentId);
      if (alerted.get(shipmentId) === stallId) return false;
      alerted.set(shipmentId, stallId);
      return true;
    },
  };
  const schedules: StallSchedules = {
    async arm(shipmentId, dueAt, change) {
      armed.push({ shipmentId, dueAt, change });
    },
  };
  return { deadlines, schedules, settings, clock: () => new Date(), armed, due };
}
