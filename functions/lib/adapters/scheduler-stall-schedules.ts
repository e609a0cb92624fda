import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { StallSchedules } from '#domain/ports.ts';
import { stallScheduleName } from '#domain/stall-alerts.ts';

export interface StallScheduleSettings {
  groupName: string;
  /** The queue the schedule sends `{shipmentId, dueAt}` to, and the role Scheduler sends it with. */
  queueArn: string;
  roleArn: string;
}

/**
 * The `at()` time: the deadline, or a second from now when it has passed already (a retried
 * record, a timer re-armed late), so the schedule still fires instead of pointing at the past.
 */
function fireAt(dueAt: string, now: Date): string {
  const at = Math.max(Date.parse(dueAt), Math.ceil(now.getTime() / 1000) * 1000 + 1000);
  return new Date(at).toISOString().slice(0, 19);
}

/**
 * Stall timers as EventBridge Scheduler one-time schedules, one per shipment (docs/alerts.md):
 * `at()` in UTC, no flexible window, deleted by Scheduler once it has fired. Arming creates the
 * schedule, or updates it when one exists (a name already taken answers ConflictException), or
 * creates it again when it was deleted meanwhile (it fired between the two calls).
 */
export class SchedulerStallSchedules implements StallSchedules {
  private readonly client: SchedulerClient;
  private readonly settings: StallScheduleSettings;

  private readonly clock: () => Date;

  constructor(client: SchedulerClient, settings: StallScheduleSettings, clock: () => Date = () => new Date()) {
    this.client = client;
    this.settings = settings;
    this.clock = clock;
  }

  async arm(shipmentId: string, dueAt: string): Promise<void> {
    const input: CreateScheduleCommandInput = {
      Name: stallScheduleName(shipmentId),
      GroupName: this.settings.groupName,
      ScheduleExpression: `at(${fireAt(dueAt, this.clock())})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: this.settings.queueArn, RoleArn: this.settings.roleArn, Input: JSON.stringify({ shipmentId, dueAt }) },
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new CreateScheduleCommand(input));
        return;
      } catch (error) {
        if (!(error instanceof ConflictException)) throw error;
      }
      try {
        await this.client.send(new UpdateScheduleCommand(input));
        return;
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException) || attempt >= 2) throw error;
      }
    }
  }
}
