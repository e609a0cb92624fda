import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { developmentRegistry } from '../../functions/lib/adapters/warehouse-registry.ts';
import { RequestRateLimiter } from '../../functions/lib/domain/request-rate.ts';
import { ingestEventsHandler } from '../../functions/lib/handlers/ingest-events.ts';
import { loggableHeader, MAX_LOGGED_LENGTH } from '../../functions/lib/http/request.ts';
import { SignatureVerifier } from '../../functions/lib/http/webhook-signature.ts';
import { PiiRedactingLogFormatter } from '../../functions/lib/runtime/pii-redaction.ts';
import { apiEvent, postEvents, shipmentCreated, TEST_SECRET } from '../support/events.ts';

// What an unauthenticated caller can put in the ingest's logs through its headers.

describe('a header logged before the request is authenticated', () => {
  const withId = (id: string) => apiEvent('POST', '/v1/events', { headers: { 'webhook-id': id } });

  it('is kept whole up to the limit', () => {
    expect(loggableHeader(withId('msg_2Lh9XwQ'), 'webhook-id')).toBe('msg_2Lh9XwQ');
    expect(loggableHeader(withId('x'.repeat(MAX_LOGGED_LENGTH)), 'webhook-id')).toBe('x'.repeat(MAX_LOGGED_LENGTH));
    expect(loggableHeader(withId('x'), 'webhook-signature')).toBeUndefined();
  });

  it('is cut at the limit past it, between whole characters, and says so', () => {
    const cut = loggableHeader(withId('😀'.repeat(1000)), 'webhook-id');
    expect(cut).toBe(`${'😀'.repeat(MAX_LOGGED_LENGTH)}…`);
  });
});

describe('the ingest log line of a rejected request', () => {
  afterEach(() => vi.restoreAllMocks());

  it('carries the webhook-id cut to the limit, whatever its length', async () => {
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
    expect(rejected?.webhookId).toBe(`${flood.slice(0, MAX_LOGGED_LENGTH)}…`);
    expect(lines.join('').length).toBeLessThan(2000);
  });
});
