import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';

/**
 * A loopback stand-in for the AWS operations the senders and the stream router send: SNS
 * PublishBatch (Query protocol, XML), SQS SendMessage and End User Messaging SendTextMessage
 * (JSON 1.0) and SES v2 SendEmail (REST-JSON), each answered in its service's own wire format, successes and
 * errors alike. The functions' real clients reach it through AWS_ENDPOINT_URL_<SERVICE>, so the
 * SDK's retry strategy (runtime/aws-clients.ts) runs exactly as it would against AWS; faults are
 * injected per operation. aws-sdk-client-mock cannot do this: it replaces `send`, retries and all.
 */

export type Operation = 'Publish' | 'PublishBatch' | 'SendMessage' | 'SendEmail' | 'SendTextMessage';

export interface Fault {
  status: number;
  /** The service's error code, e.g. Throttling, TooManyRequestsException, InvalidParameter. */
  code: string;
  message?: string;
}

export const THROTTLED = {
  sns: { status: 400, code: 'Throttling', message: 'Rate exceeded' },
  sms: { status: 400, code: 'ThrottlingException', message: 'Rate exceeded' },
  sqs: { status: 400, code: 'RequestThrottled', message: 'Request is throttled.' },
  ses: { status: 429, code: 'TooManyRequestsException', message: 'Maximum sending rate exceeded.' },
} satisfies Record<string, Fault>;

export const UNAVAILABLE = {
  sns: { status: 503, code: 'ServiceUnavailable', message: 'Service Unavailable' },
  ses: { status: 503, code: 'ServiceUnavailableException', message: 'Service Unavailable' },
} satisfies Record<string, Fault>;

export interface Received {
  operation: Operation;
  /** Form fields (SNS) or the JSON body (SQS, SES). */
  input: Record<string, unknown>;
  /** The HTTP status it was answered with. */
  status: number;
  /** PublishBatch: the entry ids reported failed inside a 200. */
  failedEntries?: string[];
}

export interface FakeAwsEndpoint {
  url: string;
  /** Every request, in order, faulted or not. */
  received: Received[];
  count(operation: Operation): number;
  /** The Message of every PublishBatch entry SNS accepted, in order. */
  published(): string[];
  /** Answers the next `times` requests of `operation` with `fault` (Infinity: all of them). */
  fail(operation: Operation, times: number, fault: Fault): void;
  /** Makes the next PublishBatch report these entry ids failed inside a 200 response. */
  failEntries(ids: string[], code: string, senderFault: boolean): void;
  /** Numbers SendTextMessage refuses as opted out (ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT). */
  optedOut: Set<string>;
  reset(): void;
  close(): Promise<void>;
}

const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

export async function startFakeAwsEndpoint(): Promise<FakeAwsEndpoint> {
  const received: Received[] = [];
  const faults: { operation: Operation; remaining: number; fault: Fault }[] = [];
  const entryFailures: { ids: string[]; code: string; senderFault: boolean }[] = [];
  const optedOut = new Set<string>();

  const server: Server = createServer(async (request, response) => {
    const body = await readAll(request);
    const { operation, input, protocol } = identify(request, body);
    const answer: Received = { operation, input, status: 200 };
    received.push(answer);
    const requestId = randomUUID();
    const fault = faults.find((candidate) => candidate.operation === operation && candidate.remaining > 0);
    if (fault) {
      fault.remaining -= 1;
      answer.status = fault.fault.status;
      const { status, code, message = code } = fault.fault;
      if (protocol === 'query') {
        const type = status >= 500 ? 'Receiver' : 'Sender';
        response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
        response.end(
          `<ErrorResponse xmlns="${SNS_XMLNS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
      } else if (protocol === 'json') {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId });
        const namespace = operation === 'SendTextMessage' ? 'com.amazonaws.pinpointsmsvoicev2' : 'com.amazonaws.sqs';
        response.end(JSON.stringify({ __type: `${namespace}#${code}`, message }));
      } else {
        response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': requestId });
        response.end(JSON.stringify({ message }));
      }
      return;
    }
    const xml = (name: string, result: string) => {
      response.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      response.end(
        `<${name}Response xmlns="${SNS_XMLNS}"><${name}Result>${result}</${name}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${name}Response>`,
      );
    };
    switch (operation) {
      case 'Publish':
        return xml('Publish', `<MessageId>${randomUUID()}</MessageId>`);
      case 'PublishBatch': {
        const ids = Object.entries(input)
          .filter(([key]) => /^PublishBatchRequestEntries\.member\.\d+\.Id$/.test(key))
          .map(([, value]) => String(value));
        const failing = entryFailures.shift();
        const failed = ids.filter((id) => failing?.ids.includes(id));
        answer.failedEntries = failed;
        const successful = ids.filter((id) => !failed.includes(id));
        return xml(
          'PublishBatch',
          `<Successful>${successful.map((id) => `<member><Id>${id}</Id><MessageId>${randomUUID()}</MessageId></member>`).join('')}</Successful>` +
            `<Failed>${failed.map((id) => `<member><Id>${id}</Id><Code>${failing?.code}</Code><SenderFault>${failing?.senderFault}</SenderFault></member>`).join('')}</Failed>`,
        );
      }
      case 'SendMessage': {
        // The SQS client checks the body's MD5, as it does against the real service.
        const md5 = createHash('md5')
          .update(String(input.MessageBody ?? ''))
          .digest('hex');
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId });
        return void response.end(JSON.stringify({ MessageId: randomUUID(), MD5OfMessageBody: md5 }));
      }
      case 'SendEmail':
        response.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId });
        return void response.end(JSON.stringify({ MessageId: randomUUID() }));
      case 'SendTextMessage': {
        response.writeHead(optedOut.has(String(input.DestinationPhoneNumber)) ? 400 : 200, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': requestId,
        });
        if (optedOut.has(String(input.DestinationPhoneNumber))) {
          answer.status = 400;
          return void response.end(
            JSON.stringify({
              __type: 'com.amazonaws.pinpointsmsvoicev2#ConflictException',
              Message: 'The destination phone number is opted out.',
              Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT',
            }),
          );
        }
        return void response.end(JSON.stringify({ MessageId: randomUUID() }));
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    count: (operation) => received.filter((request) => request.operation === operation).length,
    published: () =>
      received
        .filter((request) => request.operation === 'PublishBatch' && request.status === 200)
        .flatMap((request) =>
          Object.entries(request.input)
            .filter(
              ([key, id]) => /^PublishBatchRequestEntries\.member\.\d+\.Id$/.test(key) && !request.failedEntries?.includes(String(id)),
            )
            .map(([key]) => String(request.input[key.replace(/\.Id$/, '.Message')])),
        ),
    fail: (operation, times, fault) => void faults.push({ operation, remaining: times, fault }),
    failEntries: (ids, code, senderFault) => void entryFailures.push({ ids, code, senderFault }),
    optedOut,
    reset() {
      received.length = 0;
      faults.length = 0;
      entryFailures.length = 0;
      optedOut.clear();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function identify(
  request: IncomingMessage,
  body: string,
): { operation: Operation; input: Record<string, unknown>; protocol: 'query' | 'json' | 'rest' } {
  const target = String(request.headers['x-amz-target'] ?? '');
  if (target.startsWith('AmazonSQS.') || target.startsWith('PinpointSMSVoiceV2.')) {
    return { operation: target.slice(target.indexOf('.') + 1) as Operation, input: JSON.parse(body || '{}'), protocol: 'json' };
  }
  if (request.url?.startsWith('/v2/email/outbound-emails'))
    return { operation: 'SendEmail', input: JSON.parse(body || '{}'), protocol: 'rest' };
  const input = Object.fromEntries(new URLSearchParams(body));
  return { operation: input.Action as Operation, input, protocol: 'query' };
}

async function readAll(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
