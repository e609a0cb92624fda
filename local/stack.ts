// First, before any handler module: Powertools configures itself when they are imported.
import './powertools-environment.ts';
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaContext, matchRoute, toApiGatewayEvent } from './api-gateway.ts';
import { dashboardFile, dashboardRoutes } from './dashboard.ts';
import { DEVELOPMENT_SECRET } from './development-secret.ts';
import { createTableFromTemplate, type DynamoDbLocal, LOCAL_AWS, startDynamoDbLocal } from './dynamodb-local.ts';
import { LOCAL_POWERTOOLS } from './powertools-environment.ts';
import { localShipmentList } from './shipment-list.ts';
import { deadLetterFile, StreamPoller, type StreamSource, streamSourceSettings } from './stream-poller.ts';
import { functionDefinitions, httpRoutes, loadTemplate, PROJECT_ROOT, resolveValue, resourcesOfType } from './template.ts';
import { type LocalContext, type LocalHandler, localWiring } from './wiring.ts';

/**
 * The local stack behind `npm start`: DynamoDB Local with the template's tables, and an HTTP
 * server that hands API Gateway v2 events to the real handler modules. Nothing here knows a
 * route or a table by heart; it is all read from template.yaml.
 */

/** API Gateway HTTP APIs take at most 10 MB; the handler itself enforces the contract's 256 KiB. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export interface StackOptions {
  port?: number;
  host?: string;
  webhookSecrets?: string;
  /** Keep DynamoDB Local data in this folder across restarts. */
  persistDir?: string;
  /** Outbox, dead letters and other local files; `.local/` by default. */
  dataDir?: string;
  /** Template parameter values, as `sam local --parameter-overrides`; RECONCILE_DELAY_SECONDS sets ReconcileDelaySeconds. */
  parameterOverrides?: Record<string, string>;
}

export interface RunningStack {
  url: string;
  tableNames: Record<string, string>;
  dynamoEndpoint: string;
  /** Invokes a function of the stack by logical id. */
  invoke(functionId: string, event: unknown): Promise<unknown>;
  /** Resolves once every stream record written so far has been delivered to its functions. */
  settled(): Promise<void>;
  /**
   * Holds the stream consumers back (records wait on the table's stream, as behind a disabled
   * event source mapping) until the returned function is called. settled() still drains them.
   */
  holdStreams(): () => void;
  /** CPU seconds DynamoDB Local's JVM has used so far (Linux), for the benchmark's CPU accounting. */
  dynamoCpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** settled() gives up after this many rounds that each still moved stream records. */
const SETTLE_ROUNDS = 10;

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const template = loadTemplate();
  // Read before the functions' environments are applied to process.env, which may set the same names.
  const parameterOverrides = {
    ...(process.env.RECONCILE_DELAY_SECONDS ? { ReconcileDelaySeconds: process.env.RECONCILE_DELAY_SECONDS } : {}),
    ...options.parameterOverrides,
  };
  const host = options.host ?? '127.0.0.1';
  const dataDir = options.dataDir ?? join(PROJECT_ROOT, '.local');
  mkdirSync(dataDir, { recursive: true });
  if (options.persistDir) mkdirSync(options.persistDir, { recursive: true });
  // Fail on a taken port before starting a JVM that would only have to be stopped again.
  await assertPortFree(options.port ?? 3000, host);
  const dynamo: DynamoDbLocal = await startDynamoDbLocal(options.persistDir ? { dbPath: options.persistDir } : {});
  let poller: StreamPoller | undefined;
  try {
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint });
    const tableNames: Record<string, string> = {};
    for (const [logicalId] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
      tableNames[logicalId] = `parcelcast-local-${logicalId}`;
      try {
        await createTableFromTemplate(client, template, logicalId, tableNames[logicalId]);
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error; // kept from a --persist run
      }
    }
    client.destroy();

    // The handlers read their configuration from the environment at import, as on Lambda.
    Object.assign(process.env, {
      AWS_REGION: LOCAL_AWS.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
      // The SDK's own endpoint setting: every function's DynamoDB client reaches DynamoDB Local through it.
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      WEBHOOK_SECRETS: options.webhookSecrets ?? DEVELOPMENT_SECRET,
    });
    const names: Record<string, string> = { ...tableNames, ...localResourceNames(template), ...parameterOverrides };
    const handlers = new Map<string, LocalHandler>();
    const invoke = async (functionId: string, event: unknown) => {
      const handler = handlers.get(functionId);
      if (!handler) throw new Error(`no local function ${functionId}`);
      return handler(event, lambdaContext(functionId));
    };
    const localRoutes = new Map<string, () => unknown>();
    const cleanups: (() => Promise<void> | void)[] = [];
    const settledChecks: (() => Promise<void>)[] = [];
    const context: LocalContext = {
      template,
      names,
      dataDir,
      invoke,
      addLocalRoute: (path, read) => localRoutes.set(path, read),
      onStop: (cleanup) => cleanups.push(cleanup),
      onSettled: (wait) => settledChecks.push(wait),
    };
    for (const definition of functionDefinitions(template)) {
      const environment = resolveValue(template, definition.environment, names) as Record<string, string>;
      Object.assign(process.env, environment, LOCAL_POWERTOOLS);
      const factory = localWiring[definition.logicalId];
      if (factory) {
        handlers.set(definition.logicalId, await factory(context));
        continue;
      }
      const module = (await import(pathToFileURL(join(PROJECT_ROOT, definition.entryPoint)).href)) as Record<string, LocalHandler>;
      const handler = module[definition.exportName];
      if (typeof handler !== 'function') throw new Error(`${definition.entryPoint} does not export ${definition.exportName}`);
      handlers.set(definition.logicalId, handler);
    }

    poller = await startStreamPoller(template, names, dynamo.endpoint, handlers, join(dataDir, 'dead-letters.jsonl'));

    const shipmentList = localShipmentList(dynamo.endpoint, names.ParcelTable as string);
    cleanups.push(() => shipmentList.close());
    const dashboard = dashboardRoutes({ template, names, shipments: shipmentList, readLocal: (path) => localRoutes.get(path)?.() });
    for (const [path, read] of Object.entries(dashboard)) localRoutes.set(path, read);

    const routes = httpRoutes(template);
    const server = createServer((request, response) => {
      serve(request, response).catch((error: unknown) => {
        console.error('local gateway error', error);
        if (!response.headersSent) sendJson(response, 500, { title: 'Local gateway error' }, 'application/problem+json');
      });
    });

    async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
      const url = new URL(request.url ?? '/', `http://${request.headers.host ?? host}`);
      const method = request.method ?? 'GET';
      if (method === 'GET' && url.pathname === '/health') {
        return sendJson(response, 200, { status: 'ok', parts: { dynamodb: 'ready', api: 'ready' } });
      }
      const local = method === 'GET' ? localRoutes.get(url.pathname) : undefined;
      if (local) return sendJson(response, 200, await local());
      const page = method === 'GET' ? dashboardFile(url.pathname) : undefined;
      if (page) return void response.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-store' }).end(page.body);
      const matched = matchRoute(routes, method, url.pathname);
      if (matched === undefined) return sendJson(response, 404, { title: 'Not Found' }, 'application/problem+json');
      if (matched === 'method-not-allowed') {
        return sendJson(response, 405, { title: 'Method Not Allowed' }, 'application/problem+json');
      }
      const body = await readBody(request);
      if (body === undefined) {
        return sendJson(response, 413, { title: 'Request Entity Too Large', status: 413 }, 'application/problem+json');
      }
      const handler = handlers.get(matched.route.functionId) as ApiHandler;
      const result = await handler(toApiGatewayEvent(request, url, matched, body), lambdaContext(matched.route.functionId));
      response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
      response.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
    }

    const port = await listen(server, options.port ?? 3000, host);
    return {
      url: `http://${host}:${port}`,
      tableNames,
      dynamoEndpoint: dynamo.endpoint,
      invoke,
      settled: async () => {
        // Round after round until the stream hands nothing new to a consumer: what the queues and
        // workflows write may feed the stream again. Bounded, so steady traffic cannot hold it forever.
        for (let round = 1; ; round++) {
          const moved = (await poller?.settled()) ?? 0;
          if (round > 1 && moved === 0) return;
          for (const wait of settledChecks) await wait();
          if (round >= SETTLE_ROUNDS) return;
        }
      },
      holdStreams() {
        poller?.hold();
        return () => poller?.resume();
      },
      dynamoCpuSeconds: () => dynamo.cpuSeconds(),
      async stop() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await poller?.stop();
        for (const cleanup of cleanups) await cleanup();
        await dynamo.stop();
      },
    };
  } catch (error) {
    await poller?.stop();
    await dynamo.stop();
    throw error;
  }
}

/** Local ARNs for the template's topics, queues and state machines, named after their logical ids. */
function localResourceNames(template: ReturnType<typeof loadTemplate>): Record<string, string> {
  const arns: Record<string, string> = {};
  const account = `${LOCAL_AWS.region}:000000000000`;
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::SNS::Topic') arns[id] = `arn:aws:sns:${account}:${id}`;
    if (resource.Type === 'AWS::SQS::Queue') {
      arns[id] = `http://sqs.local/000000000000/${id}`;
      arns[`${id}.Arn`] = `arn:aws:sqs:${account}:${id}`;
      arns[`${id}.QueueName`] = id;
    }
    if (resource.Type === 'AWS::Serverless::StateMachine' || resource.Type === 'AWS::StepFunctions::StateMachine') {
      arns[id] = `arn:aws:states:${account}:stateMachine:${id}`;
      arns[`${id}.Name`] = id;
    }
    // Named resources keep their template name (e.g. the SES configuration set, per stage).
    if (resource.Type === 'AWS::SES::ConfigurationSet') arns[id] = String(resolveValue(template, resource.Properties?.Name ?? id, {}));
  }
  return arns;
}

/** Feeds the table streams to every function whose template event source is `Type: DynamoDB`. */
async function startStreamPoller(
  template: ReturnType<typeof loadTemplate>,
  names: Record<string, string>,
  endpoint: string,
  handlers: Map<string, LocalHandler>,
  deadLetters: string,
): Promise<StreamPoller | undefined> {
  const byTable = new Map<string, StreamSource[]>();
  for (const definition of functionDefinitions(template)) {
    const events = (definition.resource.Properties?.Events ?? {}) as Record<string, { Type: string; Properties: Record<string, any> }>;
    for (const source of Object.values(events)) {
      if (source.Type !== 'DynamoDB') continue;
      const stream = source.Properties.Stream as { 'Fn::GetAtt'?: [string, string] };
      const tableId = stream['Fn::GetAtt']?.[0];
      if (!tableId || !names[tableId]) throw new Error(`${definition.logicalId}: stream must be !GetAtt <Table>.StreamArn`);
      const list = byTable.get(tableId) ?? [];
      list.push({
        functionId: definition.logicalId,
        handler: handlers.get(definition.logicalId) as StreamSource['handler'],
        ...streamSourceSettings(source.Properties),
        onFailure: deadLetterFile(deadLetters),
      });
      byTable.set(tableId, list);
    }
  }
  if (byTable.size > 1) throw new Error('the local stack polls one table stream; the template now has several');
  const [entry] = byTable;
  if (!entry) return undefined;
  const [tableId, sources] = entry;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const { Table } = await client.send(new DescribeTableCommand({ TableName: names[tableId] }));
  client.destroy();
  const poller = new StreamPoller(endpoint, Table?.LatestStreamArn as string, sources);
  poller.start();
  return poller;
}

/** Rejects with PortInUseError when something already listens on `port` (0 picks a free one: nothing to check). */
function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  const probe = createServer();
  return listen(probe, port, host).then(() => new Promise<void>((resolve) => probe.close(() => resolve())));
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE' ? new PortInUseError(`port ${port} on ${host} is already in use; set PORT to another one`) : error,
      );
    });
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(response: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  response.writeHead(status, { 'content-type': contentType });
  response.end(JSON.stringify(body));
}
