import { randomUUID } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, type PutCommandInput, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS } from '../emulator/aws-local.ts';
import { eventItem, stateItem } from '../functions/lib/adapters/dynamo-shipment-store.ts';
import type { Channel } from '../functions/lib/domain/channels.ts';
import { parseEvents, type ShipmentEvent } from '../functions/lib/domain/cloud-events.ts';
import { shipmentNotificationId } from '../functions/lib/domain/notification-policy.ts';
import { mergeEvent, type ShipmentState, toShipmentEntry } from '../functions/lib/domain/shipment.ts';
import { pool } from './stats.ts';
import { postStories, type ShipmentStory, WAREHOUSE } from './workload.ts';

/**
 * The load generator of the throughput benchmark, in its own thread: a warehouse is not the
 * process it posts to, so neither the product nor its floors pay for the client in the event
 * loop being measured. Every job runs here the same way, shipments side by side and each
 * shipment's events in order, so the ratios compare like with like.
 */

export type LoadJob =
  | { kind: 'post'; url: string; stories: ShipmentStory[]; concurrency: number; secret: string }
  | { kind: 'raw'; endpoint: string; tableName: string; stories: ShipmentStory[]; concurrency: number; notifications: boolean };

type Request = { kind: 'put'; input: PutCommandInput } | { kind: 'update'; input: UpdateCommandInput };

/**
 * The floors' requests for one story, built before the clock starts: per event, the very items
 * the design writes (docs/data-model.md), byte for byte, with the same conditions. The event item,
 * conditional on being new, in the Timeline index through its `timelineKey`; then the state item,
 * conditional on its version. With `notifications`, per notification the event calls for, the
 * claim and the settle the senders write (adapters/dynamo-notification-claims.ts). Keys under
 * FLOOR#, the state's sort key FLOOR-STATE: no item of the floor wakes the notification pipeline.
 */
function floorRequests(story: ShipmentStory, tableName: string, notifications: boolean): Request[] {
  const partition = { PK: `FLOOR#${story.shipmentId}` };
  const requests: Request[] = [];
  let state: ShipmentState | undefined;
  for (const [index, raw] of story.events.entries()) {
    const event = parseEvents(raw, new Date(Date.parse(raw.time) + 60_000)).events[0] as ShipmentEvent;
    const entry = toShipmentEntry(event, WAREHOUSE.id, { receivedAt: new Date().toISOString(), position: 0 });
    state = mergeEvent(state, entry);
    requests.push({
      kind: 'put',
      input: { TableName: tableName, Item: { ...eventItem(entry, event), ...partition }, ConditionExpression: 'attribute_not_exists(PK)' },
    });
    requests.push({
      kind: 'put',
      input: {
        TableName: tableName,
        Item: { ...stateItem(state, index + 1), ...partition, SK: 'FLOOR-STATE' },
        ...(index === 0
          ? { ConditionExpression: 'attribute_not_exists(PK)' }
          : {
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': index },
            }),
      },
    });
    // A status is told once per entry into it: an event of the status it follows enters nothing.
    if (!notifications || story.events[index - 1]?.type === raw.type) continue;
    for (const notification of new Set(story.expectedNotifications)) {
      const [status, channel] = notification.split('/') as [string, string];
      if (status !== entry.status) continue;
      const Key = { ...partition, SK: `FLOOR-NOTIFICATION#${status}@${entry.time}#${channel}` };
      const now = new Date();
      const token = randomUUID();
      requests.push({
        kind: 'update',
        input: {
          TableName: tableName,
          Key,
          UpdateExpression:
            'SET entity = :entity, #status = :status, channel = :channel, notificationId = :id, outcome = :pending, ' +
            'leaseUntil = :leaseUntil, claimToken = :token, updatedAt = :now, attempts = if_not_exists(attempts, :zero) + :one',
          ConditionExpression: 'attribute_not_exists(PK) OR (outcome = :pending AND leaseUntil <= :nowMs)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':entity': 'notification',
            ':status': status,
            ':channel': channel,
            ':id': shipmentNotificationId(story.shipmentId, entry.status, entry.time, channel as Channel),
            ':pending': 'pending',
            ':leaseUntil': now.getTime() + 30_000,
            ':token': token,
            ':now': now.toISOString(),
            ':nowMs': now.getTime(),
            ':zero': 0,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
      requests.push({
        kind: 'update',
        input: {
          TableName: tableName,
          Key,
          UpdateExpression: 'SET outcome = :outcome, updatedAt = :now REMOVE leaseUntil, claimToken, reason',
          ConditionExpression: 'claimToken = :token',
          ExpressionAttributeValues: { ':outcome': 'sent', ':now': now.toISOString(), ':token': token },
        },
      });
    }
  }
  return requests;
}

/** The floors: each story's requests sent raw, one after another, stories side by side as the product posts them. */
async function rawWrites(job: Extract<LoadJob, { kind: 'raw' }>) {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL_AWS, endpoint: job.endpoint }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const stories = job.stories.map((story) => floorRequests(story, job.tableName, job.notifications));
  await ready();
  const started = performance.now();
  await pool(stories, job.concurrency, async (requests) => {
    for (const request of requests) {
      if (request.kind === 'put') await documents.send(new PutCommand(request.input));
      else await documents.send(new UpdateCommand(request.input));
    }
  });
  const seconds = (performance.now() - started) / 1000;
  documents.destroy();
  return { seconds };
}

/**
 * Loaded and ready: the parent starts its CPU meter now and says go, so the thread's start-up
 * (TypeScript and SDK loading, the floors' requests built) is not counted against the events.
 */
async function ready(): Promise<void> {
  parentPort?.postMessage('ready');
  await new Promise((resolve) => parentPort?.once('message', resolve));
}

const job = workerData as LoadJob;
if (job.kind === 'raw') {
  parentPort?.postMessage(await rawWrites(job));
} else {
  await ready();
  const started = performance.now();
  const posted = await postStories(job.url, job.stories, job.concurrency, job.secret);
  parentPort?.postMessage({ seconds: (performance.now() - started) / 1000, ...posted });
}
