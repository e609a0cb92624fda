import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { developmentRegistry } from '../../functions/lib/adapters/warehouse-registry.ts';
import { NotYoursError } from '../../functions/lib/domain/errors.ts';
import { RequestRateLimiter } from '../../functions/lib/domain/request-rate.ts';
import { ingestEventsHandler } from '../../functions/lib/handlers/ingest-events.ts';
import { forLog, loggedId, MAX_LOGGED_LENGTH } from '../../functions/lib/http/request.ts';
import { SignatureVerifier } from '../../functions/lib/http/webhook-signature.ts';
import { PiiRedactingLogFormatter } from '../../functions/lib/runtime/pii-redaction.ts';
import { signedHeaders } from '../../support/signing.ts';
import { postEvents, shipmentCreated, TEST_SECRET } from '../support/events.ts';

// What a caller can put in the ingest's logs through its headers and its event ids.

describe('a client-chosen value logged before the request is authenticated (a path part)', () => {
  it('is kept whole up to the limit', () => {
    expect(forLog('ams-1')).toBe('ams-1');
    expect(forLog('x'.repeat(MAX_LOGGED_LENGTH))).toBe('x'.repeat(MAX_LOGGED_LENGTH));
    expect(forLog(undefined)).toBeUndefined();
  });

  it('is cut at the limit past it, between whole characters, and says so', () => {
    expect(forLog('😀'.repeat(1000))).toBe(`${'😀'.repeat(MAX_LOGGED_LENGTH)}…`);
  });
});

describe('the ingest log line of a rejected request', () => {
  afterEach(() => vi.restoreAllMocks());

  it('carries the webhook-id as a short digest, whatever its length', async () => {
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
    }
    const observability = {
      logger: new Logger({ serviceName: 'test', logLevel: 'WARN', logFormatter: new PiiRedactingLogFormatter() }),
      metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
      tracer: undefined,
    };
    const unused = new Proxy({}, { get: () => expect.unreachable('nothing is read or written for a rejected request') });
    const handler = ingestEventsHandler(
      {
        shipments: unused as never,
        wallets: unused as never,
        counts: unused as never,
        warehouses: developmentRegistry(TEST_SECRET, { requestsPerSecond: 50, burst: 200, notificationsPerDay: 10_000 }, () => {}),
        signatures: new SignatureVerifier(),
        rate: new RequestRateLimiter(),
      },
      observability,
    );
    const flood = `msg_${'A'.repeat(100_000)}`;

    const response = await handler(
      postEvents(shipmentCreated('shp-log'), { secret: null, headers: { 'webhook-id': flood } }),
      lambdaContext('IngestFunction'),
    );

    expect(response.statusCode).toBe(401);
    const rejected = lines.map((line) => JSON.parse(line)).find((line) => line.message === 'request rejected');
    expect(rejected?.webhookId).toBe(loggedId(flood));
    expect(rejected?.webhookId).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(lines.join('').length).toBeLessThan(2000);
  });

  it('carries no contact detail hidden in event ids or the webhook-id, recorded or refused: each id as its digest', async () => {
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        lines.push(String(chunk));
        return true;
      });
    }
    const observability = {
      logger: new Logger({ serviceName: 'test', logLevel: 'INFO', logFormatter: new PiiRedactingLogFormatter() }),
      metrics: new Metrics({ namespace: 'test', serviceName: 'test' }),
      tracer: undefined,
    };
    // Contact details the masking cannot be sure to recognise: a full-width @, an encoded one, a number written with 00 and spaces.
    const ids = ['+447700900123', 'ana＠example.com', 'ana%40example.com', '0044 7700 900123'];
    let refuse = false;
    const shipments = {
      shipmentOwners: async () => new Map<string, string>(),
      recordShipmentEvent: async () => {
        if (refuse) throw new NotYoursError('taken');
        return 'accepted' as const;
      },
    };
    const handler = ingestEventsHandler(
      {
        shipments: shipments as never,
        wallets: {} as never,
        counts: { counted: async () => 0 } as never,
        warehouses: developmentRegistry(TEST_SECRET, { requestsPerSecond: 50, burst: 200, notificationsPerDay: 10_000 }, () => {}),
        signatures: new SignatureVerifier(),
        rate: new RequestRateLimiter(),
      },
      observability,
    );
    const batch = ids.map((id) => ({ ...shipmentCreated('shp-log-ids'), id }));
    const text = JSON.stringify(batch);
    const signed = signedHeaders(TEST_SECRET, text, { id: '+447700900456' });
    const post = () =>
      handler(
        postEvents(null, { raw: text, secret: null, contentType: 'application/cloudevents-batch+json', headers: signed }),
        lambdaContext('IngestFunction'),
      );

    expect((await post()).statusCode).toBe(202);
    refuse = true;
    expect((await post()).statusCode).toBe(403);

    const logged = lines.map((line) => JSON.parse(line));
    const recorded = logged.find((line) => line.message === 'events recorded');
    const refused = logged.find((line) => line.message === 'request refused');
    expect(recorded?.events.map((event: { id: string }) => event.id)).toEqual(ids.map((id) => loggedId(id)));
    expect(refused?.eventIds).toEqual(ids.map((id) => loggedId(id)));
    expect(refused?.webhookId).toBe(loggedId('+447700900456'));
    const output = lines.join('');
    for (const contact of [...ids, '7700900', '900123', '900456', 'ana', 'example.com']) expect(output).not.toContain(contact);
  });
});
