import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { HttpRoute } from './template.ts';

/** What `sam local start-api` would do: turn an HTTP request into an HTTP API payload v2 event. */

export interface MatchedRoute {
  route: HttpRoute;
  pathParameters: Record<string, string>;
}

function routePattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (/^\{(\w+)\}$/.test(segment) ? `(?<${segment.slice(1, -1)}>[^/]+)` : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

export function matchRoute(routes: readonly HttpRoute[], method: string, path: string): MatchedRoute | 'method-not-allowed' | undefined {
  let pathMatched = false;
  for (const route of routes) {
    const match = routePattern(route.path).exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== method && route.method !== 'ANY') continue;
    const pathParameters: Record<string, string> = {};
    for (const [name, value] of Object.entries(match.groups ?? {})) {
      try {
        pathParameters[name] = decodeURIComponent(value);
      } catch {
        pathParameters[name] = value;
      }
    }
    return { route, pathParameters };
  }
  return pathMatched ? 'method-not-allowed' : undefined;
}

export interface HttpRequestParts {
  method: string;
  /** The route as declared in the template, e.g. `/v1/shipments/{shipmentId}`. */
  routePath: string;
  /** The path as requested, e.g. `/v1/shipments/shp-1`. */
  path: string;
  rawQueryString?: string;
  headers: Record<string, string>;
  pathParameters?: Record<string, string>;
  body?: string;
  sourceIp?: string;
  protocol?: string;
}

/** The HTTP API payload format 2.0 event for a request (also what `sam local invoke -e` takes). */
export function apiGatewayEvent(request: HttpRequestParts): APIGatewayProxyEventV2 {
  const now = new Date();
  const routeKey = `${request.method} ${request.routePath}`;
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
  const query = new URLSearchParams(request.rawQueryString ?? '');
  const queryStringParameters = Object.fromEntries(query.entries());
  return {
    version: '2.0',
    routeKey,
    rawPath: request.path,
    rawQueryString: request.rawQueryString ?? '',
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    ...(request.pathParameters && Object.keys(request.pathParameters).length > 0 ? { pathParameters: request.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method,
        path: request.path,
        protocol: request.protocol ?? 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(request.body !== undefined && request.body !== '' ? { body: request.body } : {}),
    isBase64Encoded: false,
  };
}

export function toApiGatewayEvent(request: IncomingMessage, url: URL, matched: MatchedRoute, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return apiGatewayEvent({
    method: matched.route.method,
    routePath: matched.route.path,
    path: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    pathParameters: matched.pathParameters,
    body: body.toString('utf8'),
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    protocol: `HTTP/${request.httpVersion}`,
  });
}

/** A Lambda context good enough for Powertools and middy, with a generous deadline. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
