import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { sqsRecord } from '../../emulator/lambda-events.ts';
import { DynamoShipmentStore } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import { developmentRegistry } from '../../functions/lib/adapters/warehouse-registry.ts';
import type { ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import { NotYoursError } from '../../functions/lib/domain/errors.ts';
import { idDigest } from '../../functions/lib/domain/id-digest.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import { shipmentNotificationId } from '../../functions/lib/domain/notification-policy.ts';
import { reconciliationName, reconciliationWindow, walletNotificationId } from '../../functions/lib/domain/reconciliation.ts';
import { RequestRateLimiter } from '../../functions/lib/domain/request-rate.ts';
import type { ShipmentState } from '../../functions/lib/domain/shipment.ts';
import { orderNotificationId, splitOrderExecutionName } from '../../functions/lib/domain/split-orders.ts';
import { channelSenderHandler } from '../../functions/lib/handlers/channel-sender.ts';
import { closeOrderWindowHandler } from '../../functions/lib/handlers/close-order-window.ts';
import { ingestEventsHandler } from '../../functions/lib/handlers/ingest-events.ts';
import { reconcileWalletHandler } from '../../functions/lib/handlers/reconcile-wallet.ts';
import { stallAlertHandler } from '../../functions/lib/handlers/stall-alert.ts';
import { forLog, MAX_LOGGED_LENGTH } from '../../functions/lib/http/request.ts';
import { SignatureVerifier } from '../../functions/lib/http/webhook-signature.ts';
import { FunctionMetrics } from '../../functions/lib/runtime/observability.ts';
import { PiiRedactingLogFormatter } from '../../functions/lib/runtime/pii-redaction.ts';
import { signedHeaders } from '../../support/signing.ts';
import { customer, postEvents, shipmentCreated, shipmentStatus, TEST_SECRET } from '../support/events.ts';
import { shippedSms } from '../support/notification-fakes.ts';
import { MemoryCounts } from '../support/router-ports.ts';
import { stateAfter } from '../support/shipments.ts';
import { stallTimers } from '../support/stalls.ts';

const dynamo = mockClient(DynamoDBDocumentClient);

// What a caller can put in the logs through its headers and the ids it chooses: the ingest's, and
// every function's that logs a shipment, order, customer, wallet or notification id.

/** Every line the functions write from here on (stdout and stderr), and a Logger as theirs is built. */
function captureLogs(logLevel: 'INFO' | 'WARN') {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
  }
  const observability = {
    logger: new Logger({ serviceName: 'test', logLevel, logFormatter: new PiiRedactingLogFormatter() }),
    metrics: new FunctionMetrics({ namespace: 'test', serviceName: 'test' }),
    tracer: undefined,
  };
  return { lines, observability };
}

/** Contact details the masking cannot be sure to recognise: a full-width @, an encoded one, a number written with 00 and spaces. */
const CONTACT_SHAPED_IDS = ['+447700900123', 'ana＠example.com', 'ana%40example.com', '0044 7700 900123'];
/** What none of the ids may leave behind in a log, whole or in part. */
const CONTACT_PARTS = [...CONTACT_SHAPED_IDS, '7700900', '900123', '7700 900', 'ana＠', 'ana%40'];

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
    const { lines, observability } = captureLogs('WARN');
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
    expect(rejected?.webhookId).toBe(idDigest(flood));
    expect(rejected?.webhookId).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(lines.join('').length).toBeLessThan(2000);
  });

  it('carries no contact detail hidden in event ids or the webhook-id, recorded or refused: each id as its digest', async () => {
    const { lines, observability } = captureLogs('INFO');
    const ids = CONTACT_SHAPED_IDS;
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
    expect(recorded?.events.map((event: { id: string }) => event.id)).toEqual(ids.map((id) => idDigest(id)));
    expect(refused?.eventIds).toEqual(ids.map((id) => idDigest(id)));
    expect(refused?.webhookId).toBe(idDigest('+447700900456'));
    const output = lines.join('');
    for (const contact of [...ids, '7700900', '900123', '900456', 'ana', 'example.com']) expect(output).not.toContain(contact);
  });
});

describe('a warehouse-chosen id in the logs of the functions after the ingest', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    dynamo.reset();
  });

  /** The log lines written, parsed, after checking that no id left any part of itself in anything written. */
  function withoutContacts(lines: string[]) {
    const output = lines.join('');
    for (const contact of CONTACT_PARTS) expect(output).not.toContain(contact);
    // Powertools' own warnings (an empty metrics set) are plain text; the functions' lines are JSON.
    return lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
  }

  it('the ingest logs a server fault whose message names the shipment with the shipment as its digest', async () => {
    const { lines, observability } = captureLogs('INFO');
    // The table lost the shipment between a failed conditional write and the read after it: ContentionError, a 503.
    dynamo.on(BatchGetCommand).resolves({ Responses: {} });
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    dynamo.on(GetCommand).resolves({});
    const handler = ingestEventsHandler(
      {
        shipments: new DynamoShipmentStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'parcelcast-test'),
        wallets: {} as never,
        counts: { counted: async () => 0 } as never,
        warehouses: developmentRegistry(TEST_SECRET, { requestsPerSecond: 50, burst: 200, notificationsPerDay: 10_000 }, () => {}),
        signatures: new SignatureVerifier(),
        rate: new RequestRateLimiter(),
      },
      observability,
    );

    for (const id of CONTACT_SHAPED_IDS) {
      const event = shipmentCreated(id, 0, { orderId: id, customer: { ...customer, id } });
      expect((await handler(postEvents(event), lambdaContext('IngestFunction'))).statusCode).toBe(503);
    }

    const failed = withoutContacts(lines).filter((line) => line.message === 'request failed');
    // The fault stopped the request before anything was stored: the table's error is the cause.
    expect(failed.map((line) => line.error.cause.message)).toEqual(
      CONTACT_SHAPED_IDS.map((id) => `shipment ${idDigest(id)} vanished while it was being created`),
    );
  });

  it('CloseOrderWindowFunction logs the order id, and the execution its name, as digests', async () => {
    const { lines, observability } = captureLogs('INFO');
    const closed = { close: async () => ({ members: [], publishedAt: '2026-11-02T08:00:00.000Z' }) };
    const handler = closeOrderWindowHandler({ windows: closed, clock: () => new Date() } as never, observability);

    for (const orderId of CONTACT_SHAPED_IDS) {
      const executionName = splitOrderExecutionName('ams-1', orderId, 'out_for_delivery');
      await handler({ owner: 'ams-1', orderId, status: 'out_for_delivery', executionName }, lambdaContext('CloseOrderWindowFunction'));
    }

    const logged = withoutContacts(lines).filter((line) => line.message === 'order window closed');
    expect(logged.map((line) => line.orderId)).toEqual(CONTACT_SHAPED_IDS.map((id) => idDigest(id)));
    expect(logged.map((line) => line.owner)).toEqual(CONTACT_SHAPED_IDS.map(() => 'ams-1'));
  });

  it('the senders log the notification and the shipment, order, customer and wallet it is about as digests', async () => {
    const { lines, observability } = captureLogs('INFO');
    const handler = channelSenderHandler('sms', async () => 'sent', observability);
    const window = reconciliationWindow('2026-11-02T08:00:00.000Z', 300);
    const messages = CONTACT_SHAPED_IDS.flatMap((id): NotificationMessage[] => [
      shippedSms({
        notificationId: shipmentNotificationId(id, 'shipped', '2026-11-02T08:00:00.000Z', 'sms'),
        customerId: id,
        shipment: { shipmentId: id, status: 'shipped' },
      }),
      shippedSms({
        notificationId: orderNotificationId('ams-1', id, 'shipped', 'sms'),
        eventType: 'order.shipped',
        customerId: id,
        shipment: { shipmentId: id, status: 'shipped' },
        order: { orderId: id, parcels: [{ shipmentId: id }, { shipmentId: `${id}-2` }] },
      }),
      shippedSms({
        notificationId: walletNotificationId(id, reconciliationName(id, window), 'sms'),
        eventType: 'wallet.balance_confirmed',
        customerId: id,
        shipment: undefined,
        wallet: { walletId: id, balance: 100, currency: 'EUR', reconciledAt: '2026-11-02T08:05:00.000Z' },
      }),
    ]);

    const response = await handler(
      { Records: messages.map((message, index) => sqsRecord({ body: JSON.stringify(message), messageId: `msg-${index}` })) },
      lambdaContext('SendSmsFunction'),
    );

    expect(response.batchItemFailures).toEqual([]);
    const logged = withoutContacts(lines).filter((line) => line.message === 'sms notification');
    expect(logged.map((line) => line.notificationId)).toEqual(messages.map((message) => idDigest(message.notificationId)));
    expect(logged.map((line) => line.shipmentId)).toEqual(messages.map((message) => idDigest(message.shipment?.shipmentId)));
    expect(logged.map((line) => line.orderId)).toEqual(messages.map((message) => idDigest(message.order?.orderId)));
    expect(logged.map((line) => line.walletId)).toEqual(messages.map((message) => idDigest(message.wallet?.walletId)));
  });

  it('StallAlertFunction logs a stalled shipment and a timer that found nothing to tell with the shipment as its digest', async () => {
    const { lines, observability } = captureLogs('INFO');
    const stalled = new Map(
      CONTACT_SHAPED_IDS.map((id) => [
        id,
        stateAfter([shipmentCreated(id, 0, { customer: { ...customer, id } }), shipmentStatus('in_transit', id, 5)] as ShipmentEvent[]),
      ]),
    );
    let gone = false;
    const timers = stallTimers();
    const handler = stallAlertHandler(
      {
        states: {
          currentState: async (id: string) =>
            gone ? undefined : { state: stalled.get(id) as ShipmentState, statusReceivedAt: '2026-11-01T08:05:00.000Z' },
        } as never,
        deadlines: timers.deadlines,
        schedules: timers.schedules,
        publisher: { publish: async () => ({ failed: [] }) },
        settings: timers.settings,
        counts: new MemoryCounts(),
        capOf: async () => 1_000_000,
        suppressions: { suppress: async () => undefined },
        clock: () => new Date('2026-11-09T08:00:00.000Z'),
      },
      observability,
    );
    const timer = (shipmentId: string, index: number) =>
      sqsRecord({ body: JSON.stringify({ shipmentId, dueAt: '2026-11-03T08:05:00.000Z' }), messageId: `timer-${index}` });

    expect((await handler({ Records: CONTACT_SHAPED_IDS.map(timer) }, lambdaContext('StallAlertFunction'))).batchItemFailures).toEqual([]);
    gone = true;
    expect((await handler({ Records: CONTACT_SHAPED_IDS.map(timer) }, lambdaContext('StallAlertFunction'))).batchItemFailures).toEqual([]);

    const logged = withoutContacts(lines);
    const digests = CONTACT_SHAPED_IDS.map((id) => idDigest(id));
    expect(logged.filter((line) => line.message === 'shipment stalled').map((line) => line.shipmentId)).toEqual(digests);
    expect(logged.filter((line) => line.message === 'stall timer').map((line) => line.shipmentId)).toEqual(digests);
  });

  it('ReconcileWalletFunction logs the wallet, and the execution its name, as digests', async () => {
    const { lines, observability } = captureLogs('INFO');
    const books = {
      readWallet: async (walletId: string) => ({
        walletId,
        owner: 'ams-1',
        customerId: walletId,
        balance: 100,
        currency: 'EUR',
        version: 1,
      }),
      sumLedger: async () => ({ balance: 100, entries: 1 }),
      customerProfile: async () => undefined,
      confirmBalance: async () => true,
    };
    const handler = reconcileWalletHandler(books as never, observability);
    const window = reconciliationWindow('2026-11-02T08:00:00.000Z', 300);

    for (const walletId of CONTACT_SHAPED_IDS) {
      await handler({ walletId, executionName: reconciliationName(walletId, window) }, lambdaContext('ReconcileWalletFunction'));
    }

    const logged = withoutContacts(lines).filter((line) => line.message === 'balance confirmed');
    expect(logged.map((line) => line.walletId)).toEqual(CONTACT_SHAPED_IDS.map((id) => idDigest(id)));
  });
});
