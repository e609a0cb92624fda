import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS, LOCAL_SCOPE, localArn, localQueueUrl } from '../../emulator/aws-local.ts';
import { LocalScheduler } from '../../emulator/services/scheduler.ts';
import { type ServiceEndpoint, startServiceEndpoint } from '../../emulator/services/server.ts';
import { LocalSesV2 } from '../../emulator/services/sesv2.ts';
import { LocalSns } from '../../emulator/services/sns.ts';
import { LocalSqs } from '../../emulator/services/sqs.ts';

// The local EventBridge Scheduler through the AWS SDK: one-time at() schedules fire once, at their
// time, into their SQS target; an update moves the time (reset); a delete cancels; Scheduler's own
// checks (names, groups, duplicates) answer as the service does.

const queueArn = localArn.queue('Timers');
let endpoint: ServiceEndpoint;
let sqs: LocalSqs;
let scheduler: LocalScheduler;
let client: SchedulerClient;

beforeAll(async () => {
  sqs = new LocalSqs();
  sqs.createQueue({ name: 'Timers', arn: queueArn, url: localQueueUrl('http://local', 'Timers') });
  scheduler = new LocalScheduler({
    scope: LOCAL_SCOPE,
    targets: {
      async sendToQueue(arn, body) {
        sqs.send(arn, body);
      },
    },
  });
  scheduler.createGroup('timers');
  endpoint = await startServiceEndpoint({
    sqs,
    sns: new LocalSns({ sqs, sms: { send: () => undefined, isOptedOut: () => false } }),
    sesv2: new LocalSesV2({ send: () => undefined }),
    scheduler,
  });
  client = new SchedulerClient({ ...LOCAL_AWS, endpoint: endpoint.url, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  scheduler.stop();
  await endpoint.stop();
});

/** An at() expression `ms` from now, in UTC, to the second. */
const atIn = (ms: number) => `at(${new Date(Date.now() + ms).toISOString().slice(0, 19)})`;
const schedule = (name: string, expression: string, input: string): CreateScheduleCommandInput => ({
  Name: name,
  GroupName: 'timers',
  ScheduleExpression: expression,
  ScheduleExpressionTimezone: 'UTC',
  FlexibleTimeWindow: { Mode: 'OFF' },
  ActionAfterCompletion: 'DELETE',
  Target: { Arn: queueArn, RoleArn: localArn.role('SchedulerRole'), Input: input },
});
const delivered = () => sqs.peek(queueArn).map((message) => message.body);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('local EventBridge Scheduler', () => {
  it('fires a one-time schedule once, at its time, into its queue, then deletes it', async () => {
    await client.send(new CreateScheduleCommand(schedule('fire-once', atIn(2000), '"fire-once"')));
    expect((await client.send(new GetScheduleCommand({ Name: 'fire-once', GroupName: 'timers' }))).Target?.Input).toBe('"fire-once"');
    expect(delivered()).not.toContain('"fire-once"');
    for (let waited = 0; !delivered().includes('"fire-once"') && waited < 10_000; waited += 100) await sleep(100);
    expect(delivered().filter((body) => body === '"fire-once"')).toHaveLength(1);
    await expect(client.send(new GetScheduleCommand({ Name: 'fire-once', GroupName: 'timers' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await sleep(1200);
    expect(delivered().filter((body) => body === '"fire-once"')).toHaveLength(1);
  });

  it('moves the time on UpdateSchedule (a reset) and never fires on a cancelled one', async () => {
    await client.send(new CreateScheduleCommand(schedule('reset', atIn(1000), '"reset"')));
    await client.send(new UpdateScheduleCommand(schedule('reset', atIn(6000), '"reset"')));
    await client.send(new CreateScheduleCommand(schedule('cancel', atIn(1000), '"cancel"')));
    await client.send(new DeleteScheduleCommand({ Name: 'cancel', GroupName: 'timers' }));
    // at() is to the second: the first time falls within 1 s, the moved one 5 to 6 s from now.
    await sleep(2500);
    expect(delivered()).not.toContain('"reset"');
    for (let waited = 0; !delivered().includes('"reset"') && waited < 10_000; waited += 100) await sleep(100);
    expect(delivered().filter((body) => body === '"reset"')).toHaveLength(1);
    expect(delivered()).not.toContain('"cancel"');
  });

  it('answers as Scheduler does: a taken name, an unknown group or schedule, a name it does not allow', async () => {
    await client.send(new CreateScheduleCommand(schedule('taken', atIn(600_000), '{}')));
    await expect(client.send(new CreateScheduleCommand(schedule('taken', atIn(600_000), '{}')))).rejects.toBeInstanceOf(ConflictException);
    await expect(
      client.send(new CreateScheduleCommand({ ...schedule('x', atIn(600_000), '{}'), GroupName: 'nope' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new UpdateScheduleCommand(schedule('missing', atIn(600_000), '{}')))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(client.send(new CreateScheduleCommand(schedule('shp#1', atIn(600_000), '{}')))).rejects.toBeInstanceOf(
      ValidationException,
    );
    expect(scheduler.list().map((entry) => entry.name)).toContain('taken');
  });

  it('reads at() in its ScheduleExpressionTimezone', async () => {
    await client.send(
      new CreateScheduleCommand({ ...schedule('zoned', 'at(2031-07-01T10:00:00)', '{}'), ScheduleExpressionTimezone: 'Europe/Madrid' }),
    );
    expect(scheduler.list().find((entry) => entry.name === 'zoned')?.fireAt).toBe('2031-07-01T08:00:00.000Z');
  });
});
