import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetIntegrationCommand, GetRoutesCommand } from '@aws-sdk/client-apigatewayv2';
import { GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { FunctionError } from '../emulator/function-runner.ts';
import type { LambdaService } from '../emulator/lambda-service.ts';
import { isQuietHour } from '../functions/lib/domain/quiet-hours.ts';
import { PROJECT_ROOT } from '../support/project.ts';
import { eventsPath, signedHeaders } from '../support/signing.ts';
import type { AwsClients, Credentials } from './aws.ts';
import { ACCOUNT, REGION } from './moto.ts';

/**
 * What a warehouse and an operator do against the deployed stack: signed POSTs of sample events
 * from events/ through the HTTP API's routes as moto holds them, and the IAM-authorised reads.
 */

export interface HttpExchange {
  request: string;
  functionId: string;
  status: number;
  body: string;
}

/** Samples posted, in order: a shipment announced on both channels, and a wallet debit. */
export const SAMPLE_EVENTS = ['shipment-created.json', 'shipment-shipped.json', 'wallet-debited.json'];

/** Zones tried in turn for the sample customer, so one is in daytime whatever the hour (SMS wait out quiet hours). */
const DAYTIME_ZONES = ['Europe/Madrid', 'America/New_York', 'America/Los_Angeles', 'Pacific/Auckland', 'Asia/Tokyo', 'Asia/Kolkata'];

export function daytimeZone(now = new Date()): string {
  const soon = new Date(now.getTime() + 15 * 60_000);
  return DAYTIME_ZONES.find((zone) => !isQuietHour(now, zone) && !isQuietHour(soon, zone)) ?? 'UTC';
}

export function sampleEvent(file: string, timeZone: string): Record<string, any> {
  const event = JSON.parse(readFileSync(join(PROJECT_ROOT, 'events', file), 'utf8')) as Record<string, any>;
  if (event.data?.customer) event.data.customer.timeZone = timeZone;
  return event;
}

export class HttpApi {
  readonly exchanges: HttpExchange[] = [];
  private readonly clients: AwsClients;
  private readonly lambda: LambdaService;
  private readonly apiId: string;
  private readonly stage: string;
  private readonly functionIds: Map<string, string>;

  constructor(clients: AwsClients, lambda: LambdaService, apiId: string, stage: string, functionIds: Map<string, string>) {
    this.clients = clients;
    this.lambda = lambda;
    this.apiId = apiId;
    this.stage = stage;
    this.functionIds = functionIds;
  }

  /** The request as API Gateway would hand it to the route's integration (payload format 2.0). */
  async request(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: string; caller?: Credentials & { arn: string } } = {},
  ): Promise<HttpExchange> {
    const { Items = [] } = await this.clients.apigateway.send(new GetRoutesCommand({ ApiId: this.apiId }));
    const route = Items.find((item) => {
      const [routeMethod, routePath] = String(item.RouteKey).split(' ');
      return routeMethod === method && new RegExp(`^${String(routePath).replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path);
    });
    if (!route) throw new Error(`the deployed API has no route for ${method} ${path}`);
    const integration = await this.clients.apigateway.send(
      new GetIntegrationCommand({ ApiId: this.apiId, IntegrationId: String(route.Target).replace('integrations/', '') }),
    );
    const functionName = /function:([^/:]+)/.exec(String(integration.IntegrationUri))?.[1] ?? '';
    const functionId = this.functionIds.get(functionName);
    if (!functionId) throw new Error(`route ${route.RouteKey} integrates ${integration.IntegrationUri}, not a function of the stack`);
    if (route.AuthorizationType === 'AWS_IAM' && !options.caller) throw new Error(`${route.RouteKey} needs a SigV4-signed caller`);

    const routePath = String(route.RouteKey).split(' ')[1] as string;
    const names = [...routePath.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] as string);
    const values = new RegExp(`^${routePath.replace(/\{[^}]+\}/g, '([^/]+)')}$`).exec(path)?.slice(1) ?? [];
    const now = new Date();
    const event = {
      version: '2.0',
      routeKey: route.RouteKey,
      rawPath: `/${this.stage}${path}`,
      rawQueryString: '',
      headers: { host: `${this.apiId}.execute-api.${REGION}.amazonaws.com`, ...(options.headers ?? {}) },
      ...(names.length > 0 ? { pathParameters: Object.fromEntries(names.map((name, index) => [name, values[index]])) } : {}),
      requestContext: {
        accountId: ACCOUNT,
        apiId: this.apiId,
        ...(options.caller
          ? {
              authorizer: {
                iam: {
                  accessKey: options.caller.accessKeyId,
                  accountId: ACCOUNT,
                  callerId: options.caller.arn.split('/').pop(),
                  userArn: options.caller.arn,
                  userId: options.caller.arn.split('/').pop(),
                },
              },
            }
          : {}),
        domainName: `${this.apiId}.execute-api.${REGION}.amazonaws.com`,
        domainPrefix: this.apiId,
        http: { method, path: `/${this.stage}${path}`, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'parcelcast-rehearsal' },
        requestId: crypto.randomUUID(),
        routeKey: route.RouteKey,
        stage: this.stage,
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      ...(options.body !== undefined ? { body: options.body } : {}),
      isBase64Encoded: false,
    };
    let exchange: HttpExchange;
    try {
      const response = ((await this.lambda.invoke(functionId, event, `${method} ${path}`)) ?? {}) as { statusCode?: number; body?: string };
      exchange = {
        request: `${method} ${path}`,
        functionId,
        status: Number(response.statusCode ?? 200),
        body: String(response.body ?? ''),
      };
    } catch (error) {
      // A function error is API Gateway's 502.
      if (!(error instanceof FunctionError)) throw error;
      exchange = { request: `${method} ${path}`, functionId, status: 502, body: `${error.errorType}: ${error.message}` };
    }
    this.exchanges.push(exchange);
    return exchange;
  }

  /** A warehouse's signed POST of one CloudEvent to its own path, with its newest secret. */
  async postSigned(warehouse: { id: string; secret: string }, event: Record<string, unknown>): Promise<HttpExchange> {
    const body = JSON.stringify(event);
    return this.request('POST', eventsPath(warehouse.id), {
      headers: { 'content-type': 'application/cloudevents+json', ...signedHeaders(warehouse.secret, body) },
      body,
    });
  }
}

/**
 * The warehouse the guide's steps registered, and the secret its integrators were given (printed
 * once by `npm run warehouse`): read back from its SSM parameter by the operator.
 */
export async function registeredWarehouse(clients: AwsClients, registryPath: string): Promise<{ id: string; secret: string }> {
  const { Parameters = [] } = await clients.ssm.send(new GetParametersByPathCommand({ Path: registryPath, WithDecryption: true }));
  const entry = Parameters[0]
    ? (JSON.parse(String(Parameters[0].Value)) as { id?: string; secrets?: (string | { secret: string })[] })
    : {};
  const newest = entry.secrets?.at(-1);
  const secret = typeof newest === 'string' ? newest : newest?.secret;
  if (!entry.id || !secret) throw new Error(`no warehouse with a signing secret under ${registryPath}`);
  return { id: entry.id, secret };
}
