import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import type { ScheduleChange, StallSchedules } from '#domain/ports.ts';
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
 * `at()` in UTC, no flexible window, deleted by Scheduler once it has fired. The deadline item says
 * whether the schedule exists: it is created, or moved with UpdateSchedule.
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

  async arm(shipmentId: string, dueAt: string, change: Exclude<ScheduleChange, 'none'>): Promise<void> {
    const input: CreateScheduleCommandInput = {
      Name: stallScheduleName(shipmentId),
      GroupName: this.settings.groupName,
      ScheduleExpression: `at(${fireAt(dueAt, this.clock())})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: this.settings.queueArn, RoleArn: this.settings.roleArn, Input: JSON.stringify({ shipmentId, dueAt }) },
    };
    // Each call falls back to the other once: the deadline item and Scheduler are two stores, and a
    // schedule may fire (and delete itself) or a concurrent arm create it between the two calls.
    const create = () => this.client.send(new CreateScheduleCommand(input));
    const move = () => this.client.send(new UpdateScheduleCommand(input));
    try {
      await (change === 'create' ? create() : move());
    } catch (error) {
      if (change === 'create' && error instanceof ConflictException) await move();
      else if (change === 'move' && error instanceof ResourceNotFoundException) await create();
      else throw error;
    }
  }
}
