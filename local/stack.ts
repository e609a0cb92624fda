import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { checkJava, freePort, startDynamoDbLocal } from '../emulator/dynamodb-local.ts';
import { type Emulator, startEmulator } from '../emulator/emulator.ts';
import { resolveValue } from '../emulator/template.ts';
import { DEVELOPMENT_PREFERENCE_SECRET } from '../support/development-secret.ts';
import { PROJECT_ROOT, projectTemplate } from '../support/project.ts';
import { dashboardFile, dashboardRoutes } from './dashboard.ts';
import { LocalOutbox } from './outbox.ts';
import { localShipmentList } from './shipment-list.ts';
import { terminalText } from './terminal-text.ts';
import { type LocalRegistry, localRegistry, type RegistrySource } from './warehouses.ts';

/**
 * Parcelcast's local stack, behind `npm start`: DynamoDB Local, the emulator running template.yaml
 * (every function as deployed, in its own worker with its own environment, behind local AWS
 * endpoints), the outbox where SMS and email arrive, and one HTTP server for the API, the local
 * routes and the dashboard. Nothing here knows a route, a queue or a handler by heart.
 */

export interface StackOptions {
  port?: number;
  host?: string;
  /**
   * Where the warehouses come from (local/warehouses.ts): a WAREHOUSES_FILE (watched: edits reach
   * the functions within a second or two), entries given here, or the development warehouse
   * `local` with these secrets (the WEBHOOK_SECRETS shorthand) or the printed development secret.
   * Served as the SSM parameters the functions read, one per warehouse, as on AWS.
   */
  warehouses?: RegistrySource;
  /** Keep DynamoDB Local data in this folder across restarts. */
  persistDir?: string;
  /** Outbox, dead letters and other local files; `.local/` by default. */
  dataDir?: string;
  /** Template parameter values, as `sam local --parameter-overrides` (e.g. ReconcileDelaySeconds). */
  parameterOverrides?: Record<string, string>;
  /** Phone numbers on the SMS opt-out list (they replied STOP): End User Messaging refuses them. */
  smsOptedOut?: string[];
  /** How long after a send SES and End User Messaging publish its delivery events (ms); 3 s by default. */
  deliveryEventDelayMs?: number;
  /** The secrets preference links are signed with (comma-separated), served as the SSM parameter the functions read. */
  preferenceSecrets?: string;
  /** The functions' Powertools log level; WARN keeps the terminal for the outbox. */
  logLevel?: string;
  /** Where the functions' log lines go; this process's stdout and stderr by default. */
  onFunctionOutput?: (functionId: string, stream: 'stdout' | 'stderr', text: string) => void;
  /** Modules every function worker imports first (file URLs), e.g. the benchmark's request counter. */
  functionPreload?: string[];
  /** Called with the gateway's address as soon as it listens; until the stack is up, it answers 503. */
  onListening?: (url: string) => void;
}

export interface RunningStack {
  url: string;
  tableNames: Record<string, string>;
  dynamoEndpoint: string;
  /** The local AWS endpoint the functions' SNS, SQS, SES, Step Functions and SSM clients call. */
  servicesUrl: string;
  /** The warehouses the stack registered, and where from. */
  registry: LocalRegistry;
  /** Invokes a function of the stack by logical id. */
  invoke(functionId: string, event: unknown): Promise<unknown>;
  /** A function's environment, exactly as its worker has it. */
  environmentOf(functionId: string): Record<string, string>;
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

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

/** Local Powertools choices, per function: WARN (or `logLevel`), and no EMF metric lines, which are for CloudWatch. */
const powertoolsFor = (logLevel: string) => ({ POWERTOOLS_LOG_LEVEL: logLevel, POWERTOOLS_METRICS_DISABLED: 'true' });

export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const template = projectTemplate();
  const host = options.host ?? '127.0.0.1';
  const dataDir = options.dataDir ?? join(PROJECT_ROOT, '.local');
  mkdirSync(dataDir, { recursive: true });
  if (options.persistDir) mkdirSync(options.persistDir, { recursive: true });
  // A registry edit reaches the functions within a second, not the 5 minutes of AWS's default.
  const parameterOverrides = { WarehouseRegistryCacheSeconds: '1', ...options.parameterOverrides };
  // The functions read the warehouses from Parameter Store, as on AWS: the local SSM serves them.
  // Read before anything starts, so an unreadable WAREHOUSES_FILE stops nothing but this.
  const registryPath = String(resolveValue(template, { Ref: 'WarehouseRegistryPath' }, parameterOverrides));
  const warehouses = localRegistry(registryPath, options.warehouses ?? {});
  checkJava();
  // The gateway listens first, before a JVM starts that would only have to be stopped again on a
  // taken port, and so that the port is held from the start: port 0 picks a free one with no window
  // in which a parallel process could take it. Until the stack is up it answers 503.
  let serve: ((request: IncomingMessage, response: ServerResponse) => Promise<void>) | undefined;
  const server = createServer((request, response) => {
    if (!serve) {
      const starting = {
        title: 'Starting',
        status: 503,
        detail: 'Parcelcast is starting its database and functions; send it again in a moment.',
      };
      // The connection closes with the answer: a client's next try opens a fresh one rather than
      // reusing an idle socket the server may be closing just then (seconds pass before it is up).
      return sendJson(response, 503, starting, 'application/problem+json', { 'retry-after': '1', connection: 'close' });
    }
    serve(request, response).catch((error: unknown) => {
      console.error('local gateway error', error);
      if (!response.headersSent) sendJson(response, 500, { title: 'Local gateway error' }, 'application/problem+json');
    });
  });
  const port = await listen(server, options.port ?? 3000, host);
  options.onListening?.(`http://${host}:${port}`);
  // DynamoDB Local and the functions' workers start side by side: each takes seconds.
  const dynamoPort = await freePort();
  const starting = startDynamoDbLocal({ port: dynamoPort, ...(options.persistDir ? { dbPath: options.persistDir } : {}) });
  let emulator: Emulator | undefined;
  try {
    const outbox = new LocalOutbox({ dataDir, optedOut: options.smsOptedOut ?? [] });
    // The links in emails lead to this server.
    const functionParameters = { PublicApiUrl: `http://${host}:${port}`, ...parameterOverrides };
    // The preference links' secret is read from Parameter Store too.
    const preferencesParameter = String(resolveValue(template, { Ref: 'PreferenceSecretsParameterName' }, functionParameters));
    const powertools = powertoolsFor(options.logLevel ?? 'WARN');
    emulator = await startEmulator({
      template,
      root: PROJECT_ROOT,
      dynamodbEndpoint: `http://127.0.0.1:${dynamoPort}`,
      dynamodbReady: starting,
      tableName: (logicalId) => `parcelcast-local-${logicalId}`,
      parameterOverrides: functionParameters,
      ssmParameters: {
        ...warehouses.parameters(),
        [preferencesParameter]: options.preferenceSecrets ?? DEVELOPMENT_PREFERENCE_SECRET,
      },
      sms: outbox.sms,
      email: outbox.email,
      textMessages: outbox.textMessages,
      ...(options.deliveryEventDelayMs !== undefined ? { deliveryEventDelayMs: options.deliveryEventDelayMs } : {}),
      environmentOverrides: () => powertools,
      ...(options.onFunctionOutput ? { onOutput: options.onFunctionOutput } : {}),
      ...(options.functionPreload ? { preload: options.functionPreload } : {}),
      onStreamFailure: ({ functionId, records, error }) => {
        console.warn(terminalText(`${functionId}: ${records.length} stream record(s) sent to the on-failure destination (${error})`));
        appendFileSync(
          join(dataDir, 'dead-letters.jsonl'),
          `${JSON.stringify({ at: new Date().toISOString(), functionId, error, records })}\n`,
        );
      },
      onDeadLetter: (moved) => {
        console.warn(
          terminalText(`${moved.queue}: message ${moved.messageId} moved to its dead-letter queue after ${moved.receiveCount} receives`),
        );
        appendFileSync(join(dataDir, 'sqs-dead-letters.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), ...moved })}\n`);
      },
    });
    const running = emulator;
    warehouses.follow(running.ssm);
    const database = await starting;
    const tableName = running.tableNames.ParcelTable as string;
    const shipments = localShipmentList(database.endpoint, tableName, running.api);
    const localRoutes: Record<string, () => unknown> = {
      '/local/outbox': () => outbox.list(),
      '/local/executions': () => running.executions(),
      '/local/schedules': () => running.schedules(),
      '/local/published': () => running.published(),
    };
    Object.assign(localRoutes, dashboardRoutes({ template, names: running.names, shipments, readLocal: (path) => localRoutes[path]?.() }));

    serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
      const url = new URL(request.url ?? '/', `http://${request.headers.host ?? host}`);
      const method = request.method ?? 'GET';
      if (method === 'GET' && url.pathname === '/health') {
        return sendJson(response, 200, { status: 'ok', parts: { dynamodb: 'ready', api: 'ready', aws: running.servicesUrl } });
      }
      const local = method === 'GET' ? localRoutes[url.pathname] : undefined;
      if (local) return sendJson(response, 200, await local());
      const page = method === 'GET' ? dashboardFile(url.pathname) : undefined;
      if (page) return void response.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-store' }).end(page.body);
      return running.api.serve(request, response, url);
    };

    // Where operator commands (npm run suppression) find this stack's table.
    writeFileSync(
      join(dataDir, 'stack.json'),
      `${JSON.stringify({ url: `http://${host}:${port}`, tableName, dynamoEndpoint: database.endpoint }, null, 2)}\n`,
    );
    return {
      url: `http://${host}:${port}`,
      tableNames: running.tableNames,
      dynamoEndpoint: database.endpoint,
      servicesUrl: running.servicesUrl,
      registry: warehouses,
      invoke: (functionId, event) => running.invoke(functionId, event),
      environmentOf: (functionId) => running.environmentOf(functionId),
      settled: () => running.settled(),
      holdStreams: () => running.holdStreams(),
      dynamoCpuSeconds: () => database.cpuSeconds(),
      async stop() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        shipments.close();
        warehouses.stop();
        await running.stop();
        await database.stop();
      },
    };
  } catch (error) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    warehouses.stop();
    await emulator?.stop();
    await (await starting.catch(() => undefined))?.stop();
    throw error;
  }
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

function sendJson(response: ServerResponse, status: number, body: unknown, contentType = 'application/json', headers = {}): void {
  response.writeHead(status, { 'content-type': contentType, ...headers });
  response.end(JSON.stringify(body));
}
