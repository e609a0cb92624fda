import { awsError } from './protocol.ts';

/**
 * Amazon EventBridge Scheduler behind its REST-JSON protocol (`/schedules/{Name}`): CreateSchedule,
 * UpdateSchedule, GetSchedule and DeleteSchedule, checked as the service checks them (names,
 * groups, a flexible time window, a target with a role), and one-time `at()` schedules that really
 * fire: at their time (in their ScheduleExpressionTimezone) the target's Input goes to its SQS
 * queue or Lambda function, and `ActionAfterCompletion: DELETE` removes the schedule afterwards.
 * Rate and cron schedules are stored, never fired. moto, which stands in for AWS in the rehearsal,
 * stores schedules but fires none; this is what lets `npm start` and the tests see them fire.
 */

export interface ScheduleTargets {
  /** Sends a message to a queue by ARN (the emulator's local SQS). */
  sendToQueue(queueArn: string, body: string): Promise<void>;
  /** Invokes a function by ARN, asynchronously as Scheduler does. */
  invokeFunction?(functionArn: string, payload: string): Promise<void>;
}

export interface ScheduleRecord {
  name: string;
  groupName: string;
  arn: string;
  expression: string;
  timeZone: string;
  /** When an `at()` schedule fires, as an ISO instant; undefined for rate and cron schedules. */
  fireAt?: string;
  state: 'ENABLED' | 'DISABLED';
  actionAfterCompletion: 'NONE' | 'DELETE';
  target: { Arn: string; RoleArn: string; Input?: string; [key: string]: unknown };
  createdAt: string;
  modifiedAt: string;
  /** How often it has fired, and when last. */
  fired: number;
  lastFiredAt?: string;
}

interface Stored extends ScheduleRecord {
  raw: Record<string, any>;
  timer?: NodeJS.Timeout;
}

const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
const AT = /^at\((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\)$/;
/** setTimeout's longest delay; a schedule further away re-arms its timer when this one ends. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The epoch milliseconds of a wall-clock time in an IANA zone (the zone's offset at that time). */
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The wall-clock formatter of a time zone, built once per zone: building an Intl.DateTimeFormat costs
 * far more than using one, and the stream-router arms a schedule for most events. Throws a RangeError
 * for a zone that does not exist (so only real zones, a few hundred, are kept).
 */
function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function zonedEpochMs(parts: number[], timeZone: string): number {
  const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const offsetAt = (epochMs: number) => {
    const fields = zoneFormatter(timeZone).formatToParts(new Date(epochMs));
    const shown = Object.fromEntries(fields.map((part) => [part.type, Number(part.value)])) as Record<string, number>;
    return Date.UTC(shown.year ?? 0, (shown.month ?? 1) - 1, shown.day, shown.hour, shown.minute, shown.second) - epochMs;
  };
  const first = asUtc - offsetAt(asUtc);
  return asUtc - offsetAt(first);
}

export class LocalScheduler {
  private readonly schedules = new Map<string, Stored>();
  private readonly groups: Set<string>;
  private readonly targets: ScheduleTargets;
  private readonly scope: string;
  private readonly clock: () => number;

  /** `groups`: the schedule groups that exist (the template's, and `default`). */
  constructor(options: { scope: string; groups?: Iterable<string>; targets: ScheduleTargets; clock?: () => number }) {
    this.scope = options.scope;
    this.groups = new Set(['default', ...(options.groups ?? [])]);
    this.targets = options.targets;
    this.clock = options.clock ?? Date.now;
  }

  /** CreateScheduleGroup, as CloudFormation does for the template's groups. */
  createGroup(name: string): void {
    this.groups.add(name);
  }

  /** Every schedule, soonest first. */
  list(): ScheduleRecord[] {
    return [...this.schedules.values()]
      .map(({ raw: _raw, timer: _timer, ...record }) => ({ ...record, target: { ...record.target } }))
      .sort((a, b) => (a.fireAt ?? '\uffff').localeCompare(b.fireAt ?? '\uffff') || a.name.localeCompare(b.name));
  }

  stop(): void {
    for (const schedule of this.schedules.values()) clearTimeout(schedule.timer);
  }

  async handle(method: string, path: string, query: URLSearchParams, input: Record<string, any>): Promise<unknown> {
    const match = /^\/schedules\/([^/]+)$/.exec(path);
    if (!match) throw awsError(404, 'ResourceNotFoundException', `the local Scheduler does not implement ${method} ${path}`);
    const name = decodeURIComponent(match[1] as string);
    const group = String((method === 'POST' || method === 'PUT' ? input.GroupName : query.get('groupName')) ?? 'default');
    if (!NAME.test(name))
      throw awsError(400, 'ValidationException', `Schedule name ${JSON.stringify(name)} must match [0-9a-zA-Z-_.]{1,64}`);
    if (!this.groups.has(group)) throw awsError(404, 'ResourceNotFoundException', `Schedule group ${group} does not exist.`);
    const key = `${group}/${name}`;
    const existing = this.schedules.get(key);
    switch (method) {
      case 'POST':
        if (existing) throw awsError(409, 'ConflictException', `Schedule ${name} already exists.`);
        return { ScheduleArn: this.put(key, name, group, input).arn };
      case 'PUT':
        if (!existing) throw awsError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
        return { ScheduleArn: this.put(key, name, group, input, existing).arn };
      case 'GET':
        if (!existing) throw awsError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
        return {
          ...existing.raw,
          Name: name,
          GroupName: group,
          Arn: existing.arn,
          CreationDate: Date.parse(existing.createdAt) / 1000,
          LastModificationDate: Date.parse(existing.modifiedAt) / 1000,
        };
      case 'DELETE':
        if (!existing) throw awsError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
        clearTimeout(existing.timer);
        this.schedules.delete(key);
        return {};
      default:
        throw awsError(404, 'ResourceNotFoundException', `the local Scheduler does not implement ${method} ${path}`);
    }
  }

  private put(key: string, name: string, group: string, input: Record<string, any>, existing?: Stored): Stored {
    const expression = input.ScheduleExpression;
    if (typeof expression !== 'string' || expression === '') throw awsError(400, 'ValidationException', 'ScheduleExpression is required');
    const mode = input.FlexibleTimeWindow?.Mode;
    if (mode !== 'OFF' && mode !== 'FLEXIBLE')
      throw awsError(400, 'ValidationException', 'FlexibleTimeWindow.Mode must be OFF or FLEXIBLE');
    const target = input.Target;
    if (typeof target?.Arn !== 'string' || typeof target?.RoleArn !== 'string') {
      throw awsError(400, 'ValidationException', 'Target.Arn and Target.RoleArn are required');
    }
    const timeZone = String(input.ScheduleExpressionTimezone ?? 'UTC');
    try {
      zoneFormatter(timeZone);
    } catch {
      throw awsError(400, 'ValidationException', `Invalid ScheduleExpressionTimezone ${timeZone}`);
    }
    let fireAt: string | undefined;
    const at = AT.exec(expression);
    if (at) fireAt = new Date(zonedEpochMs(at.slice(1).map(Number), timeZone)).toISOString();
    else if (!/^(rate|cron)\(.+\)$/.test(expression))
      throw awsError(400, 'ValidationException', `Invalid Schedule Expression ${expression}`);
    const now = new Date(this.clock()).toISOString();
    if (existing) clearTimeout(existing.timer);
    const schedule: Stored = {
      name,
      groupName: group,
      arn: `arn:aws:scheduler:${this.scope}:schedule/${group}/${name}`,
      expression,
      timeZone,
      ...(fireAt ? { fireAt } : {}),
      state: input.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      actionAfterCompletion: input.ActionAfterCompletion === 'DELETE' ? 'DELETE' : 'NONE',
      target: { ...target },
      createdAt: existing?.createdAt ?? now,
      modifiedAt: now,
      fired: existing?.fired ?? 0,
      ...(existing?.lastFiredAt ? { lastFiredAt: existing.lastFiredAt } : {}),
      raw: { ...input },
    };
    this.schedules.set(key, schedule);
    if (fireAt && schedule.state === 'ENABLED') this.arm(key, schedule);
    return schedule;
  }

  private arm(key: string, schedule: Stored): void {
    const wait = Date.parse(schedule.fireAt as string) - this.clock();
    schedule.timer = setTimeout(
      () => {
        if (this.schedules.get(key) !== schedule) return;
        if (wait > MAX_TIMER_MS) this.arm(key, schedule);
        else void this.fire(key, schedule);
      },
      Math.min(Math.max(wait, 0), MAX_TIMER_MS),
    );
    schedule.timer.unref?.();
  }

  /** Delivers the target's Input, retrying a failed delivery a few times as Scheduler's RetryPolicy does. */
  private async fire(key: string, schedule: Stored): Promise<void> {
    const { Arn, Input } = schedule.target;
    const body = Input ?? '{}';
    for (let attempt = 1; ; attempt++) {
      try {
        if (Arn.startsWith('arn:aws:sqs:')) await this.targets.sendToQueue(Arn, body);
        else if (Arn.startsWith('arn:aws:lambda:') && this.targets.invokeFunction) await this.targets.invokeFunction(Arn, body);
        else throw new Error(`the local Scheduler cannot deliver to ${Arn}`);
        break;
      } catch (error) {
        if (attempt >= 3) {
          console.error(`local Scheduler: schedule ${schedule.name} could not reach ${Arn}:`, error);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
    schedule.fired += 1;
    schedule.lastFiredAt = new Date(this.clock()).toISOString();
    if (schedule.actionAfterCompletion === 'DELETE' && this.schedules.get(key) === schedule) this.schedules.delete(key);
  }
}
