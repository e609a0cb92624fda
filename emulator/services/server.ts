import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { AwsError, xmlText } from './protocol.ts';
import type { LocalScheduler } from './scheduler.ts';
import type { LocalSesV2 } from './sesv2.ts';
import type { LocalSfn } from './sfn.ts';
import type { LocalSmsVoiceV2 } from './sms-voice.ts';
import type { LocalSns } from './sns.ts';
import type { LocalSqs } from './sqs.ts';
import type { LocalSsm } from './ssm.ts';

/**
 * One loopback HTTP endpoint for the AWS services the functions call, each answered in the wire
 * protocol the AWS SDK sends it (told apart as the SDK marks them: `X-Amz-Target` for the JSON
 * protocols (SQS, Step Functions, SSM, End User Messaging SMS), the `/v2/email/` path for SES v2's
 * REST-JSON, `/schedules/` for EventBridge Scheduler's REST-JSON, a form-encoded `Action` for SNS's
 * Query). The functions reach it through `AWS_ENDPOINT_URL_<SERVICE>`, as they would any endpoint.
 *
 * Written by hand because no maintained Node library emulates these APIs (LocalStack and moto are
 * Python servers; moto stands in for AWS in the deploy rehearsal, not in `npm start`), and only the
 * operations the template's functions and the event source mappings use are implemented.
 */

export interface ServiceSet {
  sqs: LocalSqs;
  sns: LocalSns;
  sesv2: LocalSesV2;
  sfn?: LocalSfn;
  ssm?: LocalSsm;
  scheduler?: LocalScheduler;
  smsVoice?: LocalSmsVoiceV2;
}

export interface ServiceEndpoint {
  /** e.g. `http://127.0.0.1:41234`: what AWS_ENDPOINT_URL_<SERVICE> is set to. */
  url: string;
  stop(): Promise<void>;
}

const JSON_TARGETS: Record<string, { service: 'sqs' | 'sfn' | 'ssm' | 'smsVoice'; contentType: string }> = {
  AmazonSQS: { service: 'sqs', contentType: 'application/x-amz-json-1.0' },
  PinpointSMSVoiceV2: { service: 'smsVoice', contentType: 'application/x-amz-json-1.0' },
  AWSStepFunctions: { service: 'sfn', contentType: 'application/x-amz-json-1.0' },
  AmazonSSM: { service: 'ssm', contentType: 'application/x-amz-json-1.1' },
};

export async function startServiceEndpoint(services: ServiceSet, options: { host?: string; port?: number } = {}): Promise<ServiceEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    void serve(services, request, response).catch((error: unknown) => {
      console.error('local AWS endpoint error', error);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  // Long polls (ReceiveMessage) hold a request up to 20 s; keep idle connections open for the SDK's agents.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${host}:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function serve(services: ServiceSet, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString('utf8');
  const aborted = new AbortController();
  // Only a client that went away before its answer aborts the work: an abort builds a DOMException
  // (with its stack), which on every answered request was a visible share of this thread's CPU.
  response.once('close', () => {
    if (!response.writableFinished) aborted.abort();
  });
  const target = request.headers['x-amz-target'];
  const path = new URL(request.url ?? '/', 'http://local').pathname;

  if (typeof target === 'string') {
    const [prefix = '', operation = ''] = target.split('.');
    const protocol = JSON_TARGETS[prefix];
    const service = protocol ? services[protocol.service] : undefined;
    const contentType = protocol?.contentType ?? 'application/x-amz-json-1.0';
    try {
      if (!service) throw new AwsError(400, 'UnknownOperationException', `no local service answers ${target}`);
      const output = await service.handle(operation, body ? JSON.parse(body) : {}, aborted.signal);
      send(response, 200, contentType, JSON.stringify(output ?? {}));
    } catch (error) {
      const failure = asAwsError(error);
      send(response, failure.status, contentType, JSON.stringify({ __type: failure.code, message: failure.message, ...failure.details }), {
        'x-amzn-errortype': failure.code,
        ...(failure.queryCode ? { 'x-amzn-query-error': `${failure.queryCode};Sender` } : {}),
      });
    }
    return;
  }

  if (path.startsWith('/v2/email/')) {
    try {
      const output = await services.sesv2.handle(request.method ?? 'GET', path, body ? JSON.parse(body) : {});
      send(response, 200, 'application/json', JSON.stringify(output));
    } catch (error) {
      const failure = asAwsError(error);
      send(response, failure.status, 'application/json', JSON.stringify({ message: failure.message }), {
        'x-amzn-errortype': failure.code,
      });
    }
    return;
  }

  if (path.startsWith('/schedules/')) {
    try {
      if (!services.scheduler) throw new AwsError(404, 'ResourceNotFoundException', 'no local Scheduler in this emulator');
      const query = new URL(request.url ?? '/', 'http://local').searchParams;
      const output = await services.scheduler.handle(request.method ?? 'GET', path, query, body ? JSON.parse(body) : {});
      send(response, 200, 'application/json', JSON.stringify(output));
    } catch (error) {
      const failure = asAwsError(error);
      send(response, failure.status, 'application/json', JSON.stringify({ Message: failure.message }), {
        'x-amzn-errortype': failure.code,
      });
    }
    return;
  }

  const params = new URLSearchParams(body);
  if (params.has('Action')) {
    try {
      send(response, 200, 'text/xml', await services.sns.handle(params));
    } catch (error) {
      const failure = asAwsError(error);
      const xml =
        `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${xmlText(failure.code)}</Code>` +
        `<Message>${xmlText(failure.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
      send(response, failure.status, 'text/xml', xml);
    }
    return;
  }

  send(response, 400, 'application/json', JSON.stringify({ message: `no local service answers ${request.method} ${path}` }));
}

function asAwsError(error: unknown): AwsError {
  if (error instanceof AwsError) return error;
  if (error instanceof SyntaxError) return new AwsError(400, 'SerializationException', error.message);
  console.error('local AWS endpoint:', error);
  return new AwsError(500, 'InternalFailure', error instanceof Error ? error.message : String(error));
}

function send(response: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  if (response.destroyed) return;
  response.writeHead(status, { 'content-type': contentType, 'x-amzn-requestid': randomUUID(), ...headers });
  response.end(body);
}
