import { randomUUID } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS } from '../emulator/aws-local.ts';
import { DynamoCustomerProfiles } from '../functions/lib/adapters/dynamo-customer-profiles.ts';
import { documentClient } from '../functions/lib/adapters/dynamo-documents.ts';
import { DynamoNotificationClaims } from '../functions/lib/adapters/dynamo-notification-claims.ts';
import { DynamoOrderWindows } from '../functions/lib/adapters/dynamo-order-windows.ts';
import { DynamoPreferences } from '../functions/lib/adapters/dynamo-preferences.ts';
import { eventItem, stateItem } from '../functions/lib/adapters/dynamo-shipment-store.ts';
import { DynamoStallDeadlines } from '../functions/lib/adapters/dynamo-stall-deadlines.ts';
import { DynamoSuppressionList } from '../functions/lib/adapters/dynamo-suppression-list.ts';
import { decodeShipmentStatus } from '../functions/lib/adapters/stored-items.ts';
import { profileToKeep, type ShipmentChange } from '../functions/lib/domain/changes.ts';
import { parseEvents, type ShipmentEvent } from '../functions/lib/domain/cloud-events.ts';
import { notificationsForChange } from '../functions/lib/domain/notification-policy.ts';
import { mergeEvent, type ShipmentState, toShipmentEntry } from '../functions/lib/domain/shipment.ts';
import { countsIntoOrder, orderStatusMessages } from '../functions/lib/domain/split-orders.ts';
import { deadlineForChange, type StallSettings } from '../functions/lib/domain/stall-alerts.ts';
import { loadSettings, stallSettingsOf } from '../functions/lib/runtime/config.ts';
import { pool } from './stats.ts';
import { postPrepared, prepareStories, type ShipmentStory, WAREHOUSE } from './workload.ts';

/**
 * The load generator of the throughput benchmark, in its own thread: a warehouse is not the
 * process it posts to, so neither the product nor its floors pay for the client in the event
 * loop being measured. Every job runs here the same way, shipments side by side and each
 * shipment's events in order, so the ratios compare like with like.
 */

export type LoadJob =
  | { kind: 'post'; url: string; stories: ShipmentStory[]; concurrency: number; secret: string }
  | {
      kind: 'raw';
      endpoint: string;
      tableName: string;
      stories: ShipmentStory[];
      concurrency: number;
      /**
       * With the stream-router's environment (as the stack gives it): the end-to-end floor, the
       * design's other DynamoDB requests too. Without: the ingest floor, its two writes only.
       */
      routerEnvironment?: Record<string, string>;
    };

/**
 * A floor's requests for one event: the ingest's two writes, built before the clock starts, and
 * (end-to-end floor) the rest of the design's requests for it, built by the design's adapters.
 */
interface FloorEvent {
  writes: [event: PutCommandInput, state: PutCommandInput];
  design?: () => Promise<unknown>;
}

/** The adapters the design sends its requests through (functions/lib/composition/), here on the floor's client. */
interface DesignStores {
  claims: DynamoNotificationClaims;
  suppressions: DynamoSuppressionList;
  preferences: DynamoPreferences;
  profiles: DynamoCustomerProfiles;
  deadlines: DynamoStallDeadlines;
  orders: DynamoOrderWindows;
  stallSettings: StallSettings;
}

/**
 * The floors' requests for one story, per event in order. First the ingest's two writes, the very
 * items the design writes (docs/data-model.md), byte for byte, with the same conditions, built before
 * the clock starts: the event item, conditional on being new, in the Timeline index through its
 * `timelineKey`; then the state item, conditional on its version. Keys under FLOOR#, the state's
 * sort key FLOOR-STATE: no item of the floor wakes the notification pipeline.
 *
 * With `stores` (the end-to-end floor), then every other DynamoDB request the design makes for that
 * event, decided by the domain's own rules on the state before and after and sent through the
 * product's own adapters, so the floor follows the design when it changes:
 * - the stream-router's: the order counted (the first event naming it), the order's size read (a
 *   status the customer is told, of a shipment in an order), the customer profile kept (when the
 *   customer moved), the stall deadline brought forward (one per shipment: the router arms one timer
 *   per shipment per stream batch, for its last status change, and the floor counts the story as one
 *   batch, the fewest requests the design makes; the benchmark's stories all end in a status without
 *   a deadline, so the floor brings none forward, where the product's smaller live batches do);
 * - per notification, the sender's: its claim, the suppression list and the customer's preference
 *   read side by side, and the settle.
 * Left out as not per event: the daily cap's one write per warehouse per stream batch (about one
 * in fifty events here), and the windows of split orders (the benchmark's orders have one parcel).
 * Requests to other services (SNS, SQS, Scheduler, the SMS and email providers) are not DynamoDB
 * requests and are not in the floor.
 */
function floorEvents(story: ShipmentStory, tableName: string, stores: DesignStores | undefined): FloorEvent[] {
  const partition = { PK: `FLOOR#${story.shipmentId}` };
  const events: FloorEvent[] = [];
  // The stream-router arms one timer per shipment per stream batch, for its last status change:
  // the floor arms one per story, as if all of it came in one batch (the fewest the design makes).
  const lastChange = story.events.findLastIndex((other, position) => position === 0 || other.type !== story.events[position - 1]?.type);
  let state: ShipmentState | undefined;
  for (const [index, raw] of story.events.entries()) {
    const event = parseEvents(raw, new Date(Date.parse(raw.time) + 60_000)).events[0] as ShipmentEvent;
    const entry = toShipmentEntry(event, WAREHOUSE.id, { receivedAt: new Date().toISOString(), position: 0 });
    const before = state;
    state = mergeEvent(state, entry);
    const after = state;
    const floorEvent: FloorEvent = {
      writes: [
        { TableName: tableName, Item: { ...eventItem(entry, event), ...partition }, ConditionExpression: 'attribute_not_exists(PK)' },
        {
          TableName: tableName,
          Item: { ...stateItem(after, index + 1), ...partition, SK: 'FLOOR-STATE' },
          ...(index === 0
            ? { ConditionExpression: 'attribute_not_exists(PK)' }
            : {
                ConditionExpression: '#version = :expected',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': index },
              }),
        },
      ],
    };
    events.push(floorEvent);
    if (!stores) continue;
    const change: ShipmentChange = {
      sequenceNumber: String(index),
      // What the stream-router sees of the state before: its item, as the stream's old image decodes.
      before: before && decodeShipmentStatus(stateItem(before, index)),
      after,
    };
    const messages = notificationsForChange(change.before, after);
    const { orderId } = after;
    const countsOrder = countsIntoOrder(change.before, after);
    const readsOrder = orderStatusMessages(change.before, after).size > 0;
    const profile = profileToKeep(change);
    const dueAt = index === lastChange ? deadlineForChange(change.before, after, new Date(), stores.stallSettings) : undefined;
    // As the product runs them: the order first (it decides what is held), then the profile, the
    // stall deadline and the messages side by side (the senders take the messages as they come).
    floorEvent.design = async () => {
      if (orderId && countsOrder) await stores.orders.addShipment(after.owner, orderId, after.shipmentId, after.parcelCount);
      if (orderId && readsOrder) await stores.orders.size(after.owner, orderId);
      await Promise.all([
        profile && stores.profiles.remember(profile.owner, profile.customer, profile.mark),
        dueAt && stores.deadlines.bringForward(after.shipmentId, dueAt),
        ...messages.map(async (message) => {
          const claim = await stores.claims.claim(message, new Date());
          if (claim.kind !== 'claimed') return;
          await Promise.all([
            stores.suppressions.find(message.channel, message.recipient as string),
            stores.preferences.levelFor({ customerId: message.customerId, owner: message.owner }, message.channel),
          ]);
          await stores.claims.settle(message, claim.token, { status: 'sent', providerMessageId: randomUUID() }, new Date());
        }),
      ]);
    };
  }
  return events;
}

/** The floors: each story's requests sent raw, one after another, stories side by side as the product posts them. */
async function rawWrites(job: Extract<LoadJob, { kind: 'raw' }>) {
  const documents = documentClient(new DynamoDBClient({ ...LOCAL_AWS, endpoint: job.endpoint }));
  // What the floor sent, by command, so the report can set it beside what the product sent. And
  // the capacity each request consumed, asked for as the product's requests ask for it under the
  // benchmark's counter (bench/aws-requests.ts), so both send the same requests and parse the same answers.
  const requests: Record<string, number> = {};
  documents.middlewareStack.add(
    (next, context) => (args) => {
      const command = String(context.commandName);
      requests[command] = (requests[command] ?? 0) + 1;
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity ??= 'TOTAL';
      return next(args);
    },
    { step: 'initialize', name: 'floorRequestCounter' },
  );
  const settings = job.routerEnvironment && loadSettings('stream-router', job.routerEnvironment);
  const stores: DesignStores | undefined = settings && {
    claims: new DynamoNotificationClaims(documents, job.tableName),
    suppressions: new DynamoSuppressionList(documents, job.tableName),
    preferences: new DynamoPreferences(documents, job.tableName),
    profiles: new DynamoCustomerProfiles(documents, job.tableName),
    deadlines: new DynamoStallDeadlines(documents, job.tableName),
    orders: new DynamoOrderWindows(documents, job.tableName),
    stallSettings: stallSettingsOf(settings),
  };
  const stories = job.stories.map((story) => floorEvents(story, job.tableName, stores));
  await ready();
  const started = performance.now();
  await pool(stories, job.concurrency, async (events) => {
    // The ingest's writes in order, event after event, as the warehouse posts them; the rest of the
    // design's requests for an event start once its writes are done and do not hold up the next
    // event, as the stream's consumers work behind the ingest. The story ends when all have.
    const behind: Promise<unknown>[] = [];
    for (const { writes, design } of events) {
      for (const write of writes) await documents.send(new PutCommand(write));
      if (design) behind.push(design());
    }
    await Promise.all(behind);
  });
  const seconds = (performance.now() - started) / 1000;
  documents.destroy();
  return { seconds, requests };
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
  const prepared = prepareStories(job.stories, job.secret);
  await ready();
  const started = performance.now();
  const posted = await postPrepared(job.url, prepared, job.concurrency);
  parentPort?.postMessage({ seconds: (performance.now() - started) / 1000, ...posted });
}
