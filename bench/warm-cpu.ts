import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resourceNames } from '../emulator/resource-names.ts';
import { functionDefinitions, functionEnvironment, resourcesOfType } from '../emulator/template.ts';
import { projectTemplate } from '../support/project.ts';
import { median, pairedRatio } from './stats.ts';

/**
 * Warm CPU per event: the ingest and stream-router handlers, warmed up, over realistic events with
 * their AWS clients answering from memory (aws-sdk-client-mock), beside a floor measured in the
 * same process in alternating rounds. Runs in a child process: the mocks patch the SDK clients,
 * and the handlers' INFO log lines go to a closed stdout instead of the report.
 */

export interface WarmCpuResult {
  name: string;
  floorName: string;
  eventsPerRound: number;
  /** CPU (user + system) per event, µs, one figure per round. */
  cpuUs: number[];
  floorCpuUs: number[];
  /** AWS requests the handler sent per event, from the mocks' call history. */
  requestsPerEvent: Record<string, number>;
}

const CHILD_FLAG = '--warm-cpu-child';
const SECRET = 'whsec_YmVuY2gtc2VjcmV0LWZvci1wYXJjZWxjYXN0LWxvYWQ=';

export async function measureWarmCpu(options: { rounds: number; eventsPerRound: number }): Promise<WarmCpuResult[]> {
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG, String(options.rounds), String(options.eventsPerRound)], {
    // stdout: the handlers' log lines; stderr: Powertools warnings per invocation. Shown only if the child fails.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: {
      PATH: process.env.PATH ?? '',
      // Both handlers' environments as the template gives them with its defaults (one process imports
      // both; LogLevel INFO, what a deployed function logs), so a setting a function gains is never missing here.
      ...withoutRegistryPath(templateEnvironment(['IngestFunction', 'StreamRouterFunction'])),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      // The development warehouse, limited far above what this loop sends: the limiter runs on every
      // request, but never refuses one.
      WEBHOOK_SECRETS: SECRET,
      WAREHOUSE_REGISTRY_CACHE_SECONDS: '300',
      WAREHOUSE_REQUESTS_PER_SECOND: '1000000',
      WAREHOUSE_REQUEST_BURST: '1000000',
      WAREHOUSE_NOTIFICATIONS_PER_DAY: '1000000000',
    },
  });
  return new Promise((resolve, reject) => {
    let results: WarmCpuResult[] | undefined;
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr = `${stderr}${chunk}`.slice(-20_000)));
    child.on('message', (message) => (results = message as WarmCpuResult[]));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 && results ? resolve(results) : reject(new Error(`warm CPU child exited with ${code}:\n${stderr}`)),
    );
  });
}

/** The template's environment of these functions, with the stack's resources named as locally (their AWS clients are mocked). */
function templateEnvironment(functionIds: readonly string[]): Record<string, string> {
  const template = projectTemplate();
  const tables = Object.fromEntries(resourcesOfType(template, 'AWS::DynamoDB::Table').map(([id]) => [id, `parcelcast-bench-${id}`]));
  const names = { ...tables, ...resourceNames(template, 'http://127.0.0.1:9') };
  return Object.assign(
    {},
    ...functionDefinitions(template)
      .filter((definition) => functionIds.includes(definition.logicalId))
      .map((definition) => functionEnvironment(template, definition, names)),
  );
}

/** The development warehouse (WEBHOOK_SECRETS) stands for the registry: no SSM to read it from here. */
function withoutRegistryPath({ WAREHOUSE_REGISTRY_PATH: _path, ...environment }: Record<string, string>): Record<string, string> {
  return environment;
}

export function summarizeWarmCpu(result: WarmCpuResult) {
  const cpuUs = median(result.cpuUs);
  const floorCpuUs = median(result.floorCpuUs);
  return { cpuUs, floorCpuUs, ratio: pairedRatio(result.cpuUs, result.floorCpuUs) };
}

/** CPU microseconds `work` takes, per item. */
async function cpuPerItem(count: number, work: (index: number) => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  for (let index = 0; index < count; index++) await work(index);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

async function child(rounds: number, eventsPerRound: number): Promise<WarmCpuResult[]> {
  const { mockClient } = await import('aws-sdk-client-mock');
  const { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, PutCommand, BatchGetCommand, UpdateCommand } = await import(
    '@aws-sdk/lib-dynamodb'
  );
  const { PublishBatchCommand, SNSClient } = await import('@aws-sdk/client-sns');
  const { CreateScheduleCommand, SchedulerClient } = await import('@aws-sdk/client-scheduler');
  const { Webhook } = await import('standardwebhooks');
  const middy = (await import('@middy/core')).default;
  const { lambdaContext } = await import('../emulator/lambda-context.ts');
  const { apiGatewayEvent, streamRecord } = await import('../emulator/lambda-events.ts');
  const { signedRequest } = await import('../support/signing.ts');

  const { stateItem } = await import('../functions/lib/adapters/dynamo-shipment-store.ts');
  const { parseEvents } = await import('../functions/lib/domain/cloud-events.ts');
  const { mergeEvent, toShipmentEntry } = await import('../functions/lib/domain/shipment.ts');
  type ShipmentState = import('../functions/lib/domain/shipment.ts').ShipmentState;
  type ShipmentEvent = import('../functions/lib/domain/cloud-events.ts').ShipmentEvent;

  const customer = {
    id: 'cus-warm',
    name: 'Sam Doe',
    phone: '+447700900123',
    email: 'sam@example.com',
    locale: 'en-GB',
    timeZone: 'Europe/London',
    channels: ['sms', 'email'],
  };
  const dataOf: Record<string, Record<string, unknown>> = {
    created: { orderId: 'ord-warm', customer },
    shipped: { carrier: 'DHL', trackingNumber: 'JD014600006', trackingUrl: 'https://track.example/shp-warm' },
    in_transit: { location: 'Madrid' },
    out_for_delivery: { eta: '2026-11-01T18:00:00Z' },
  };
  const warmEvent = (status: string, step: number) =>
    parseEvents({
      specversion: '1.0',
      id: `evt-warm-${step}`,
      source: '//warehouse/bench-1',
      type: `shipment.${status}`,
      time: new Date(Date.UTC(2026, 10, 1, 8 + step)).toISOString(),
      data: { shipmentId: 'shp-warm', ...dataOf[status] },
    }).events[0] as ShipmentEvent;
  const merged = (events: ShipmentEvent[]) =>
    events.reduce<ShipmentState | undefined>(
      (state, event, step) =>
        mergeEvent(
          state,
          toShipmentEntry(event, 'local', { receivedAt: new Date(Date.UTC(2026, 10, 1, 12, step)).toISOString(), position: 0 }),
        ),
      undefined,
    ) as ShipmentState;
  const history = ['created', 'picked', 'packed', 'shipped', 'in_transit'].map(warmEvent);
  // The state item of a shipment with five events behind it, as the store writes it.
  const aggregate = stateItem(merged(history), 5);
  const afterOutForDelivery = stateItem(merged([...history, warmEvent('out_for_delivery', 5)]), 6);

  const dynamo = mockClient(DynamoDBDocumentClient);
  // Each request is for its own shipment with the same five events behind it, so the store reads it
  // (a container that just wrote a shipment would skip this read; here every event pays for it).
  dynamo.on(GetCommand).callsFake((input: { Key: { PK: string } }) => {
    // The warehouse's notification count of the day, which the ingest reads every 10 s: none yet.
    if (input.Key.PK.startsWith('WAREHOUSE#')) return {};
    const shipmentId = input.Key.PK.slice('SHIPMENT#'.length);
    return { Item: { ...structuredClone(aggregate), PK: input.Key.PK, shipmentId } };
  });
  dynamo.on(BatchGetCommand).resolves({ Responses: {} });
  dynamo.on(TransactWriteCommand).resolves({});
  dynamo.on(PutCommand).resolves({});
  // The stream router's one ADD per warehouse per batch to the day's count, far under the cap; and
  // each shipment's stall timer, armed for the first time (no deadline before). One fake that looks at
  // the key, not a matcher per case: aws-sdk-client-mock deep-compares every call against each
  // matcher, and that CPU would be counted as the handlers'.
  dynamo
    .on(UpdateCommand)
    .callsFake((input: { Key: { SK: string } }) => (input.Key.SK === 'STALL' ? {} : { Attributes: { notifications: 100 } }));
  const scheduler = mockClient(SchedulerClient);
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/bench/stall' });
  const sns = mockClient(SNSClient);
  sns.on(PublishBatchCommand).resolves({ Failed: [] });

  const { handler: ingest } = await import('../functions/ingest-events.ts');
  const { handler: route } = await import('../functions/stream-router.ts');

  // Realistic requests: a later status for a shipment with five events behind it, signed by the warehouse.
  const statuses = ['out_for_delivery', 'in_transit', 'delivery_failed', 'delivered'];
  const makeRequests = (count: number, round: number) =>
    Array.from({ length: count }, (_, index) => {
      const status = statuses[index % statuses.length] as string;
      const event = {
        specversion: '1.0',
        id: `evt-warm-${round}-${index}`,
        source: '//warehouse/bench-1',
        type: `shipment.${status}`,
        time: new Date(Date.UTC(2026, 10, 1, 14, index % 60)).toISOString(),
        data: {
          shipmentId: `shp-warm-${round}-${index}`,
          ...(status === 'in_transit' ? { location: 'Lyon' } : {}),
          ...(status === 'delivery_failed' ? { reason: 'nobody home' } : {}),
        },
      };
      const { body, headers } = signedRequest(event, SECRET);
      return apiGatewayEvent({ method: 'POST', path: '/v1/events', routePath: '/v1/events', headers, body });
    });

  // Floor of ingest: what any handler of this contract must do — verify the signature and parse the JSON — in an empty middy handler.
  const webhook = new Webhook(SECRET);
  const ingestFloor = middy<{ body: string; headers: Record<string, string> }>().handler(async (request) => {
    webhook.verify(request.body, request.headers, { jsonParse: false });
    return { statusCode: 202, body: JSON.stringify({ results: [{ id: JSON.parse(request.body).id, status: 'accepted' }] }) };
  });

  // Stream batches of 50 shipment states moving from in_transit to out_for_delivery (two messages each).
  const BATCH = 50;
  const streamBatch = (round: number) => ({
    Records: Array.from({ length: BATCH }, (_, index) => {
      const shipmentId = `shp-warm-${round}-${index}`;
      const keys = { PK: `SHIPMENT#${shipmentId}`, SK: 'SHIPMENT' };
      return streamRecord({
        eventName: 'MODIFY',
        keys,
        oldImage: { ...aggregate, ...keys, shipmentId },
        newImage: { ...afterOutForDelivery, ...keys, shipmentId },
        sequenceNumber: String(round * 1000 + index),
      });
    }),
  });
  // Floor of the stream-router: an empty middy handler that reads every record's new image.
  const { unmarshall } = await import('@aws-sdk/util-dynamodb');
  const routeFloor = middy<ReturnType<typeof streamBatch>>().handler(async (event) => {
    for (const record of event.Records) unmarshall(record.dynamodb?.NewImage as never);
    return { batchItemFailures: [] };
  });

  const ingestResult: WarmCpuResult = {
    name: 'IngestFunction handler',
    floorName: 'empty middy handler: signature check + JSON.parse',
    eventsPerRound,
    cpuUs: [],
    floorCpuUs: [],
    requestsPerEvent: {},
  };
  const routeResult: WarmCpuResult = {
    name: 'StreamRouterFunction handler (per record, batches of 50)',
    floorName: 'empty middy handler: unmarshall each record',
    eventsPerRound,
    cpuUs: [],
    floorCpuUs: [],
    requestsPerEvent: {},
  };

  const context = lambdaContext('Bench');
  const runIngest = async (requests: ReturnType<typeof makeRequests>) =>
    cpuPerItem(requests.length, async (index) => {
      const response = await ingest(requests[index] as never, context);
      if (response.statusCode !== 202) throw new Error(`ingest answered ${response.statusCode}: ${response.body}`);
    });
  const runIngestFloor = async (requests: ReturnType<typeof makeRequests>) =>
    cpuPerItem(requests.length, (index) => ingestFloor(requests[index] as never, context as never));
  const batches = Math.max(1, Math.round(eventsPerRound / BATCH));
  const runRoute = async (round: number) =>
    (await cpuPerItem(batches, async (index) => {
      const response = await route(streamBatch(round * batches + index) as never, context);
      if (response.batchItemFailures.length > 0) throw new Error('stream-router reported failures');
    })) / BATCH;
  const runRouteFloor = async (round: number) =>
    (await cpuPerItem(batches, (index) => routeFloor(streamBatch(round * batches + index), context as never))) / BATCH;

  // Warm-up: JIT, lazy module paths, the SDK's first-call setup.
  await runIngest(makeRequests(eventsPerRound, -1));
  await runIngestFloor(makeRequests(eventsPerRound, -2));
  await runRoute(1000);
  await runRouteFloor(1001);
  dynamo.resetHistory();
  sns.resetHistory();

  for (let round = 0; round < rounds; round++) {
    const requests = makeRequests(eventsPerRound, round);
    const floorRequests = makeRequests(eventsPerRound, round + 100);
    if (round % 2 === 0) {
      ingestResult.cpuUs.push(await runIngest(requests));
      ingestResult.floorCpuUs.push(await runIngestFloor(floorRequests));
      routeResult.cpuUs.push(await runRoute(round));
      routeResult.floorCpuUs.push(await runRouteFloor(round + 100));
    } else {
      ingestResult.floorCpuUs.push(await runIngestFloor(floorRequests));
      ingestResult.cpuUs.push(await runIngest(requests));
      routeResult.floorCpuUs.push(await runRouteFloor(round + 100));
      routeResult.cpuUs.push(await runRoute(round));
    }
  }

  const ingested = rounds * eventsPerRound;
  for (const call of dynamo.calls()) {
    const name = (call.args[0] as object).constructor.name;
    ingestResult.requestsPerEvent[name] = (ingestResult.requestsPerEvent[name] ?? 0) + 1 / ingested;
  }
  const routed = rounds * batches * BATCH;
  const publishes = sns.commandCalls(PublishBatchCommand);
  routeResult.requestsPerEvent.PublishBatchCommand = publishes.length / routed;
  routeResult.requestsPerEvent['SNS messages (PublishBatch entries)'] =
    publishes.reduce((sum, call) => sum + (call.args[0].input.PublishBatchRequestEntries?.length ?? 0), 0) / routed;
  return [ingestResult, routeResult];
}

if (process.argv[2] === CHILD_FLAG) {
  const results = await child(Number(process.argv[3]), Number(process.argv[4]));
  process.send?.(results, () => process.exit(0));
}
