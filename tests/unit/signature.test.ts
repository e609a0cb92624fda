import { createHmac } from 'node:crypto';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { SignatureError } from '../../functions/lib/domain/errors.ts';
import { SignatureVerifier } from '../../functions/lib/http/webhook-signature.ts';
import { OTHER_SECRET, postEvents, shipmentCreated, TEST_SECRET } from '../support/events.ts';

// Standard Webhooks signatures: the verifier on its own, then through the ingest handler.

/** The verifier holding one warehouse's keys. */
function keysVerifier(secrets: string[]) {
  const verifier = new SignatureVerifier();
  const keys = secrets.map((secret) => ({ secret }));
  return { verify: (body: string | Buffer, headers: Record<string, string | undefined>) => verifier.verify(keys, body, headers) };
}
const NOW = new Date('2026-11-01T09:00:00.000Z');
const THIRD_SECRET = 'whsec_dGhpcmQtc2VjcmV0LW5ldmVyLWFjdGl2ZQ==';
const BODY = '{"specversion":"1.0","id":"evt-1"}';

/** Signs like a warehouse would, with the reference implementation. */
function sign(secret: string, body: string, options: { id?: string; at?: Date } = {}) {
  const id = options.id ?? 'msg_2mYx3aQ';
  const at = options.at ?? NOW;
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

const secondsFromNow = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

beforeEach(() => {
  // Only Date is faked: the tolerance is exactly 5 minutes either way of this instant.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('SignatureVerifier', () => {
  const verifier = keysVerifier([TEST_SECRET]);

  it('accepts a body signed with the active secret', () => {
    expect(() => verifier.verify(BODY, sign(TEST_SECRET, BODY))).not.toThrow();
  });

  it('verifies the bytes sent: UTF-8 bodies as the reference implementation signs them, and bytes that are not UTF-8 as they are', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(() => verifier.verify(Buffer.from(text), sign(TEST_SECRET, text))).not.toThrow();
      }),
    );
    // 0xFF is no UTF-8; the reference implementation would sign its U+FFFD replacement, the specification the byte.
    const bytes = Buffer.concat([Buffer.from(BODY.slice(0, -1)), Buffer.from([0xff, 0x7d])]);
    const id = 'msg_bytes';
    const key = Buffer.from(TEST_SECRET.slice('whsec_'.length), 'base64');
    const overBytes = createHmac('sha256', key)
      .update(`${id}.${Math.floor(NOW.getTime() / 1000)}.`)
      .update(bytes)
      .digest('base64');
    const headers = { ...sign(TEST_SECRET, '', { id }), 'webhook-signature': `v1,${overBytes}` };
    expect(() => verifier.verify(bytes, headers)).not.toThrow();
    expect(() => verifier.verify(bytes, sign(TEST_SECRET, bytes.toString('utf8'), { id }))).toThrow(SignatureError);
    expect(() => keysVerifier([OTHER_SECRET]).verify(bytes, headers)).toThrow(SignatureError);
  });

  it('rejects a body signed with a secret that is not active', () => {
    expect(() => verifier.verify(BODY, sign(OTHER_SECRET, BODY))).toThrow(SignatureError);
  });

  it.each([
    ['the old', TEST_SECRET],
    ['the new', OTHER_SECRET],
  ])('accepts a body signed with %s of two active secrets during a rotation', (_, secret) => {
    const rotating = keysVerifier([TEST_SECRET, OTHER_SECRET]);
    expect(() => rotating.verify(BODY, sign(secret, BODY))).not.toThrow();
  });

  it('rejects a body signed with neither of two active secrets', () => {
    const rotating = keysVerifier([TEST_SECRET, OTHER_SECRET]);
    expect(() => rotating.verify(BODY, sign(THIRD_SECRET, BODY))).toThrow(SignatureError);
  });

  it('rejects a timestamp more than 5 minutes old', () => {
    expect(() => verifier.verify(BODY, sign(TEST_SECRET, BODY, { at: secondsFromNow(-301) }))).toThrow(SignatureError);
  });

  it('rejects a timestamp more than 5 minutes ahead', () => {
    expect(() => verifier.verify(BODY, sign(TEST_SECRET, BODY, { at: secondsFromNow(301) }))).toThrow(SignatureError);
  });

  it.each([
    ['exactly 5 minutes old', -300],
    ['exactly 5 minutes ahead', 300],
  ])('accepts a timestamp %s', (_, seconds) => {
    expect(() => verifier.verify(BODY, sign(TEST_SECRET, BODY, { at: secondsFromNow(seconds) }))).not.toThrow();
  });

  it('rejects a timestamp that is not a number', () => {
    const headers = { ...sign(TEST_SECRET, BODY), 'webhook-timestamp': 'yesterday' };
    expect(() => verifier.verify(BODY, headers)).toThrow(SignatureError);
  });

  it('rejects a body changed after signing', () => {
    const headers = sign(TEST_SECRET, BODY);
    expect(() => verifier.verify(BODY.replace('evt-1', 'evt-2'), headers)).toThrow(SignatureError);
  });

  it('rejects a webhook-id changed after signing', () => {
    const headers = { ...sign(TEST_SECRET, BODY), 'webhook-id': 'msg_other' };
    expect(() => verifier.verify(BODY, headers)).toThrow(SignatureError);
  });

  it('rejects a timestamp changed after signing, even one within tolerance', () => {
    const headers = { ...sign(TEST_SECRET, BODY), 'webhook-timestamp': String(NOW.getTime() / 1000 - 1) };
    expect(() => verifier.verify(BODY, headers)).toThrow(SignatureError);
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('rejects a request without the %s header', (name) => {
    const headers: Record<string, string | undefined> = sign(TEST_SECRET, BODY);
    delete headers[name];
    expect(() => verifier.verify(BODY, headers)).toThrow(SignatureError);
  });

  it('accepts several space-separated signatures when one of them is valid', () => {
    const headers = sign(TEST_SECRET, BODY);
    const valid = headers['webhook-signature'];
    const others = [sign(OTHER_SECRET, BODY)['webhook-signature'], 'v1,bm90LWEtc2lnbmF0dXJl', 'v2,whatever'];
    expect(() => verifier.verify(BODY, { ...headers, 'webhook-signature': [...others, valid].join(' ') })).not.toThrow();
  });

  it('rejects several space-separated signatures when none of them is valid', () => {
    const headers = sign(TEST_SECRET, BODY);
    const others = [sign(OTHER_SECRET, BODY)['webhook-signature'], 'v1,bm90LWEtc2lnbmF0dXJl'];
    expect(() => verifier.verify(BODY, { ...headers, 'webhook-signature': others.join(' ') })).toThrow(SignatureError);
  });

  it('rejects a valid digest under a version other than v1', () => {
    const headers = sign(TEST_SECRET, BODY);
    const digest = headers['webhook-signature'].slice('v1,'.length);
    expect(() => verifier.verify(BODY, { ...headers, 'webhook-signature': `v1a,${digest}` })).toThrow(SignatureError);
  });

  it('accepts whatever the standardwebhooks reference signs with an active secret', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.string({ unit: 'binary' }),
        fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme-ascii' }),
        fc.integer({ min: -300, max: 300 }),
        (key, body, id, seconds) => {
          const secret = `whsec_${Buffer.from(key).toString('base64')}`;
          const at = secondsFromNow(seconds);
          const headers = {
            'webhook-id': id,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': new Webhook(secret).sign(id, at, body),
          };
          keysVerifier([secret]).verify(body, headers);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects what the standardwebhooks reference signs with a secret that is not active', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.string({ unit: 'binary' }), (key, body) => {
        const secret = `whsec_${Buffer.from(key).toString('base64')}`;
        fc.pre(secret !== TEST_SECRET);
        expect(() => verifier.verify(body, sign(secret, body))).toThrow(SignatureError);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ingest handler signatures', () => {
  const dynamo = mockClient(DynamoDBDocumentClient);
  const activeSecrets = process.env.WEBHOOK_SECRETS;
  type Handler = typeof import('../../functions/ingest-events.ts')['handler'];
  let ingest: Handler;

  async function loadHandler(secrets: string): Promise<Handler> {
    process.env.WEBHOOK_SECRETS = secrets;
    vi.resetModules();
    return (await import('../../functions/ingest-events.ts')).handler;
  }

  async function send(request: APIGatewayProxyEventV2, handler = ingest) {
    const response = await handler(request, lambdaContext('IngestFunction'));
    return { status: response.statusCode, contentType: response.headers?.['content-type'], body: response.body ?? '' };
  }

  function withoutHeader(request: APIGatewayProxyEventV2, name: string): APIGatewayProxyEventV2 {
    const { [name]: _removed, ...headers } = request.headers;
    return { ...request, headers };
  }

  function tampered(request: APIGatewayProxyEventV2): APIGatewayProxyEventV2 {
    return { ...request, body: request.body?.replace('shp-sig', 'shp-sog') };
  }

  beforeAll(async () => {
    ingest = await loadHandler(TEST_SECRET);
  });

  beforeEach(() => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(BatchGetCommand).resolves({ Responses: {} });
    dynamo.on(PutCommand).resolves({});
  });

  afterEach(() => {
    dynamo.reset();
  });

  afterAll(() => {
    process.env.WEBHOOK_SECRETS = activeSecrets;
  });

  it('accepts an event signed with the active secret', async () => {
    const response = await send(postEvents(shipmentCreated('shp-sig')));
    expect(response.status).toBe(202);
  });

  it('accepts an event signed just within the 5-minute tolerance', async () => {
    const response = await send(postEvents(shipmentCreated('shp-sig'), { timestamp: secondsFromNow(-299) }));
    expect(response.status).toBe(202);
  });

  it.each<[string, () => APIGatewayProxyEventV2]>([
    ['unsigned', () => postEvents(shipmentCreated('shp-sig'), { secret: null })],
    ['signed with a secret that is not active', () => postEvents(shipmentCreated('shp-sig'), { secret: OTHER_SECRET })],
    ['signed more than 5 minutes ago', () => postEvents(shipmentCreated('shp-sig'), { timestamp: secondsFromNow(-301) })],
    ['signed more than 5 minutes ahead', () => postEvents(shipmentCreated('shp-sig'), { timestamp: secondsFromNow(301) })],
    ['changed after signing', () => tampered(postEvents(shipmentCreated('shp-sig')))],
    ['without webhook-id', () => withoutHeader(postEvents(shipmentCreated('shp-sig')), 'webhook-id')],
    ['without webhook-timestamp', () => withoutHeader(postEvents(shipmentCreated('shp-sig')), 'webhook-timestamp')],
    ['without webhook-signature', () => withoutHeader(postEvents(shipmentCreated('shp-sig')), 'webhook-signature')],
  ])('answers 401 problem+json to a request %s and writes nothing', async (_, request) => {
    const response = await send(request());

    expect({ status: response.status, contentType: response.contentType, writes: dynamo.calls().length }).toEqual({
      status: 401,
      contentType: 'application/problem+json',
      writes: 0,
    });
  });

  it('answers every signature failure with the same body, naming neither the secret nor the check that failed', async () => {
    const failures = [
      postEvents(shipmentCreated('shp-sig'), { secret: null }),
      postEvents(shipmentCreated('shp-sig'), { secret: OTHER_SECRET }),
      postEvents(shipmentCreated('shp-sig'), { timestamp: secondsFromNow(-3600) }),
      tampered(postEvents(shipmentCreated('shp-sig'))),
    ];

    const bodies = new Set(await Promise.all(failures.map(async (request) => (await send(request)).body)));

    expect(bodies.size).toBe(1);
  });

  it('answers a signature failure with an RFC 9457 problem that mentions no secret', async () => {
    const response = await send(postEvents(shipmentCreated('shp-sig'), { secret: OTHER_SECRET }));

    const problem = JSON.parse(response.body);
    expect({ problem, mentionsSecret: /whsec_|secret/i.test(response.body) }).toEqual({
      problem: { type: expect.any(String), title: expect.any(String), status: 401, detail: expect.any(String) },
      mentionsSecret: false,
    });
  });

  describe('with two active secrets', () => {
    let rotating: Handler;

    beforeAll(async () => {
      rotating = await loadHandler(`${TEST_SECRET}, ${OTHER_SECRET}`);
    });

    it.each([
      ['the old', TEST_SECRET],
      ['the new', OTHER_SECRET],
    ])('accepts an event signed with %s secret', async (_, secret) => {
      const response = await send(postEvents(shipmentCreated('shp-rotate'), { secret }), rotating);
      expect(response.status).toBe(202);
    });

    it('answers 401 to an event signed with neither', async () => {
      const response = await send(postEvents(shipmentCreated('shp-rotate'), { secret: THIRD_SECRET }), rotating);
      expect(response.status).toBe(401);
    });
  });
});
