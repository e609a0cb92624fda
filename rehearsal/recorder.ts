import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback proxy in front of moto that every AWS client of the rehearsal talks to
 * (AWS_ENDPOINT_URL), so each call is seen with who made it and how it ended. Requests pass
 * through unchanged (SigV4 signs the Host header the client sent, and moto checks it as sent).
 */

export interface AwsCall {
  /** Who called: the label given to its access key (a function's name, `operator`), else the key. */
  caller: string;
  service: string;
  /** `PutItem`, `Publish`, … or `METHOD /path` for REST APIs. */
  operation: string;
  status: number;
  errorCode?: string;
  errorMessage?: string;
}

export interface Recorder {
  endpoint: string;
  calls: AwsCall[];
  /** Names the caller behind an access key id in the record. */
  label(accessKeyId: string, caller: string): void;
  stop(): Promise<void>;
}

export async function startRecorder(target: string): Promise<Recorder> {
  const upstream = new URL(target);
  const labels = new Map<string, string>();
  const calls: AwsCall[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (response) => {
          const answer: Buffer[] = [];
          response.on('data', (chunk: Buffer) => answer.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(answer);
            calls.push(
              describeCall(incoming.headers, incoming.method ?? 'GET', incoming.url ?? '/', body, response.statusCode ?? 0, text, labels),
            );
            outgoing.writeHead(response.statusCode ?? 502, response.headers);
            outgoing.end(text);
          });
        },
      );
      forward.on('error', (error) => {
        outgoing.writeHead(502);
        outgoing.end(String(error));
      });
      forward.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    label: (accessKeyId, caller) => labels.set(accessKeyId, caller),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function describeCall(
  headers: IncomingHttpHeaders,
  method: string,
  url: string,
  body: Buffer,
  status: number,
  answer: Buffer,
  labels: Map<string, string>,
): AwsCall {
  const scope = /Credential=([^,]+)/.exec(String(headers.authorization ?? ''))?.[1]?.split('/') ?? [];
  const accessKeyId = scope[0] ?? 'anonymous';
  const call: AwsCall = {
    caller: labels.get(accessKeyId) ?? accessKeyId,
    service: scope[3] ?? 'unknown',
    operation: operationOf(headers, method, url, body),
    status,
  };
  if (status >= 400) Object.assign(call, errorOf(headers, answer));
  return call;
}

function operationOf(headers: IncomingHttpHeaders, method: string, url: string, body: Buffer): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  const form = new URLSearchParams(String(headers['content-type'] ?? '').includes('x-www-form-urlencoded') ? body.toString('utf8') : '');
  const action = form.get('Action') ?? new URL(url, 'http://x').searchParams.get('Action');
  return action ?? REST_OPERATIONS[`${method} ${url.split('?')[0]}`] ?? `${method} ${url.split('?')[0]}`;
}

/** REST calls the functions make, by name (their paths carry no ids). */
const REST_OPERATIONS: Record<string, string> = {
  'POST /v2/email/outbound-emails': 'SendEmail',
};

/** The error's code and message, from a JSON or an XML error body. */
function errorOf(headers: IncomingHttpHeaders, answer: Buffer): Pick<AwsCall, 'errorCode' | 'errorMessage'> {
  const text = answer.toString('utf8');
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const code = String(parsed.__type ?? parsed.code ?? parsed.Code ?? headers['x-amzn-errortype'] ?? '');
    return { errorCode: code.slice(code.lastIndexOf('#') + 1).split(':')[0], errorMessage: String(parsed.message ?? parsed.Message ?? '') };
  } catch {
    const tag = (name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(text)?.[1];
    return {
      errorCode: tag('Code') ?? String(headers['x-amzn-errortype'] ?? 'Unknown'),
      errorMessage: tag('Message') ?? text.slice(0, 300),
    };
  }
}
