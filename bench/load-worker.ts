import { parentPort, workerData } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS } from '../emulator/aws-local.ts';
import { pool } from './stats.ts';
import { postStories, type ShipmentStory } from './workload.ts';

/**
 * The load generator of the throughput benchmark, in its own thread: a warehouse is not the
 * process it posts to, so neither the product nor its floor pays for the client in the event
 * loop being measured. Both jobs run here the same way, so the ratio compares like with like.
 */

export type LoadJob =
  | { kind: 'post'; url: string; stories: ShipmentStory[]; concurrency: number; secret: string }
  | { kind: 'raw'; endpoint: string; tableName: string; stories: ShipmentStory[]; concurrency: number };

async function rawTransactions(job: Extract<LoadJob, { kind: 'raw' }>) {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL_AWS, endpoint: job.endpoint }));
  const events = job.stories.flatMap((story) => story.events.map((event) => ({ story, event })));
  const started = performance.now();
  await pool(events, job.concurrency, async ({ story, event }, index) => {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: job.tableName,
              Item: { PK: `FLOOR#${event.source}#${event.id}`, SK: 'FLOOR-EVENT', event },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          {
            // Not SK 'SHIPMENT': the floor must not wake the notification pipeline.
            Put: {
              TableName: job.tableName,
              Item: {
                PK: `FLOOR#${story.shipmentId}#${index}`,
                SK: 'FLOOR-SHIPMENT',
                shipmentId: story.shipmentId,
                status: event.type,
                data: event.data,
              },
            },
          },
        ],
      }),
    );
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
  parentPort?.postMessage(await rawTransactions(job));
} else {
  const started = performance.now();
  const posted = await postStories(job.url, job.stories, job.concurrency, job.secret);
  parentPort?.postMessage({ seconds: (performance.now() - started) / 1000, ...posted });
}
