import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiGatewayEvent, type HttpRequestParts } from './lambda-events.ts';
import type { HttpRoute } from './template.ts';

/**
 * What `sam local start-api` does for an HTTP API: match the request against the template's
 * HttpApi routes, turn it into a payload format 2.0 event, invoke the route's function and write
 * back what it returned. Routes that exist with another method answer 405; others 404.
 */

/** API Gateway HTTP APIs take at most 10 MB; the functions enforce their own, smaller limits. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

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

export type Invoke = (functionId: string, event: unknown) => Promise<unknown>;

export class HttpApi {
  private readonly routes: readonly HttpRoute[];
  private readonly invoke: Invoke;

  constructor(routes: readonly HttpRoute[], invoke: Invoke) {
    this.routes = routes;
    this.invoke = invoke;
  }

  /** Does a route of the API serve this path (with any method)? */
  serves(method: string, path: string): boolean {
    return matchRoute(this.routes, method, path) !== undefined;
  }

  /** Answers one HTTP request as API Gateway would, through the route's function. */
  async serve(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(request);
    if (body === undefined) return write(response, problem(413, 'Request Entity Too Large'));
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    write(
      response,
      await this.request({
        method: request.method ?? 'GET',
        path: url.pathname,
        rawQueryString: url.search.replace(/^\?/, ''),
        headers,
        // Text as text; bytes that are not UTF-8 as base64, as API Gateway passes a binary body, so
        // the function sees exactly what was sent (a signature is over the bytes, not a lossy decoding).
        ...(isUtf8(body) ? { body: body.toString('utf8') } : { body: body.toString('base64'), isBase64Encoded: true }),
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        protocol: `HTTP/${request.httpVersion}`,
      }),
    );
  }

  /** One request, in process: what a client of the API would get back. */
  async request(request: Omit<HttpRequestParts, 'routePath' | 'pathParameters'>): Promise<HttpAnswer> {
    const matched = matchRoute(this.routes, request.method, request.path);
    if (matched === undefined) return problem(404, 'Not Found');
    if (matched === 'method-not-allowed') return problem(405, 'Method Not Allowed');
    const event = apiGatewayEvent({
      ...request,
      method: matched.route.method,
      routePath: matched.route.path,
      pathParameters: matched.pathParameters,
    });
    try {
      const result = (await this.invoke(matched.route.functionId, event)) as APIGatewayProxyStructuredResultV2;
      return {
        status: result.statusCode ?? 200,
        headers: (result.headers ?? {}) as Record<string, string>,
        body: result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : Buffer.from(result.body ?? ''),
      };
    } catch (error) {
      // API Gateway answers a function error with a bare 500; the function's log says why.
      console.error(`${matched.route.functionId} failed:`, error instanceof Error ? `${error.name}: ${error.message}` : error);
      return problem(500, 'Internal Server Error');
    }
  }
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
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

function problem(status: number, title: string): HttpAnswer {
  return { status, headers: { 'content-type': 'application/problem+json' }, body: Buffer.from(JSON.stringify({ title, status })) };
}

function write(response: ServerResponse, answer: HttpAnswer): void {
  response.writeHead(answer.status, answer.headers);
  response.end(answer.body);
}
