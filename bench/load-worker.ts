import { parentPort, workerData } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS } from '../emulator/aws-local.ts';
import { pool } from './stats.ts';
import { postStories, type ShipmentStory } from './workload.ts';

/**
 * The load generator of the throughput benchmark, in its own thread: a warehouse is not the
 * process it posts to, so neither the product nor its floors pay for the client in the event
 * loop being measured. Every job runs here the same way, shipments side by side and each
 * shipment's events in order, so the ratios compare like with like.
 */

export type LoadJob =
  | { kind: 'post'; url: string; stories: ShipmentStory[]; concurrency: number; secret: string }
  | { kind: 'raw'; endpoint: string; tableName: string; stories: ShipmentStory[]; concurrency: number; notifications: boolean };

/**
 * The floors: per event, raw, the DynamoDB requests the design needs (docs/data-model.md), with
 * nothing else around them. The event item (conditional on being new, in the Timeline index
 * through its `timelineKey`), then the state item (conditional on its version); with
 * `notifications`, per notification the event calls for, a claim and a settle, as the senders
 * write them. Keys under FLOOR#: no item of the floor is a shipment state, so none wakes the
 * notification pipeline.
 */
async function rawWrites(job: Extract<LoadJob, { kind: 'raw' }>) {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL_AWS, endpoint: job.endpoint }));
  const started = performance.now();
  await pool(job.stories, job.concurrency, async (story) => {
    const partition = `FLOOR#${story.shipmentId}`;
    const notified = new Set<string>();
    for (const [version, event] of story.events.entries()) {
      const status = event.type.slice('shipment.'.length);
      await documents.send(
        new PutCommand({
          TableName: job.tableName,
          Item: {
            PK: partition,
            SK: `EVENT#${encodeURIComponent(event.source)}#${encodeURIComponent(event.id)}`,
            timelineKey: `${event.time}#${encodeURIComponent(event.source)}#${encodeURIComponent(event.id)}`,
            receivedAt: new Date().toISOString(),
            event,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      await documents.send(
        new PutCommand({
          TableName: job.tableName,
          Item: { PK: partition, SK: 'FLOOR-STATE', status, time: event.time, data: event.data, version: version + 1 },
          ConditionExpression: 'attribute_not_exists(PK) OR version = :version',
          ExpressionAttributeValues: { ':version': version },
        }),
      );
      if (!job.notifications) continue;
      for (const notification of story.expectedNotifications) {
        if (!notification.startsWith(`${status}/`) || notified.has(notification)) continue;
        notified.add(notification);
        const Key = { PK: partition, SK: `FLOOR-NOTIFICATION#${notification}` };
        await documents.send(
          new UpdateCommand({
            TableName: job.tableName,
            Key,
            UpdateExpression: 'SET outcome = :pending, leaseUntil = :lease',
            ConditionExpression: 'attribute_not_exists(PK)',
            ExpressionAttributeValues: { ':pending': 'pending', ':lease': Date.now() + 30_000 },
          }),
        );
        await documents.send(
          new UpdateCommand({
            TableName: job.tableName,
            Key,
            UpdateExpression: 'SET outcome = :sent REMOVE leaseUntil',
            ConditionExpression: 'outcome = :pending',
            ExpressionAttributeValues: { ':sent': 'sent', ':pending': 'pending' },
          }),
        );
      }
    }
  });
  const seconds = (performance.now() - started) / 1000;
  documents.destroy();
  return { seconds };
}

const job = workerData as LoadJob;
// Loaded and ready: the parent starts its CPU meter now and says go, so the thread's start-up
// (TypeScript and SDK loading) is not counted against the events.
parentPort?.postMessage('ready');
await new Promise((resolve) => parentPort?.once('message', resolve));
if (job.kind === 'raw') {
  parentPort?.postMessage(await rawWrites(job));
} else {
  const started = performance.now();
  const posted = await postStories(job.url, job.stories, job.concurrency, job.secret);
  parentPort?.postMessage({ seconds: (performance.now() - started) / 1000, ...posted });
}
