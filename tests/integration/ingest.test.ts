import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { createTestTable, type TestTable, useTableForHandlers } from '../support/dynamo.ts';
import { apiEvent, cloudEvent, postEvents, shipmentCreated, shipmentStatus, walletEvent } from '../support/events.ts';

// Real handlers against a real DynamoDB Local table created from template.yaml; no mocks.
let table: TestTable;
let ingest: typeof import('../../functions/ingest-events.ts')['handler'];
let getShipment: typeof import('../../functions/get-shipment.ts')['handler'];

beforeAll(async () => {
  table = await createTestTable();
  useTableForHandlers(table);
  ({ handler: ingest } = await import('../../functions/ingest-events.ts'));
  ({ handler: getShipment } = await import('../../functions/get-shipment.ts'));
});

async function post(body: unknown, contentType?: string) {
  const response = await ingest(postEvents(body, { contentType }), lambdaContext('IngestFunction'));
  return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') };
}

async function read(shipmentId: string) {
  const response = await getShipment(
    apiEvent('GET', `/v1/shipments/${shipmentId}`, { pathParameters: { shipmentId } }),
    lambdaContext('GetShipmentFunction'),
  );
  return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') };
}

describe('ingest against DynamoDB Local', () => {
  it('answers 20 concurrent posts of one event with exactly one accepted and stores it once', async () => {
    const event = shipmentCreated('shp-concurrent');
    const responses = await Promise.all(Array.from({ length: 20 }, () => post(event)));

    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(202));
    const statuses = responses.map((response) => response.body.results[0].status);
    expect(statuses.filter((status) => status === 'accepted')).toHaveLength(1);
    expect(statuses.filter((status) => status === 'duplicate')).toHaveLength(19);
    const shipment = await read('shp-concurrent');
    expect(shipment.body.timeline).toHaveLength(1);
  });

  it('keeps concurrent different events of one shipment, losing none', async () => {
    const events = [
      shipmentCreated('shp-race', 0),
      ...['picked', 'packed', 'shipped', 'in_transit'].map((status, index) => shipmentStatus(status, 'shp-race', index + 1)),
    ];
    const responses = await Promise.all(events.map((event) => post(event)));

    expect(responses.every((response) => response.body.results[0].status === 'accepted')).toBe(true);
    const shipment = await read('shp-race');
    expect(shipment.body.timeline.map((entry: { status: string }) => entry.status)).toEqual([
      'created',
      'picked',
      'packed',
      'shipped',
      'in_transit',
    ]);
    expect(shipment.body.status).toBe('in_transit');
  });

  it('keeps an event that arrives before shipment.created and fills in the customer later', async () => {
    await post(shipmentStatus('shipped', 'shp-early', 10, { carrier: 'DHL', trackingNumber: 'JD0001' }));
    expect((await read('shp-early')).body).toMatchObject({ status: 'shipped', carrier: 'DHL' });
    expect((await read('shp-early')).body.customer).toBeUndefined();

    await post(shipmentCreated('shp-early', 0));

    const shipment = (await read('shp-early')).body;
    expect(shipment.status).toBe('shipped');
    expect(shipment.customer).toMatchObject({ id: 'cus-1', phone: '+34•••••••22', email: 'a•••@example.com' });
    expect(shipment.timeline.map((entry: { status: string }) => entry.status)).toEqual(['created', 'shipped']);
  });

  it('never moves the status back for an older event, but keeps it in the timeline', async () => {
    await post(shipmentCreated('shp-late', 0));
    await post(shipmentStatus('out_for_delivery', 'shp-late', 30));
    await post(shipmentStatus('in_transit', 'shp-late', 20));
    await post(shipmentStatus('picked', 'shp-late', 40));

    const shipment = (await read('shp-late')).body;
    expect(shipment.status).toBe('out_for_delivery');
    expect(shipment.timeline.map((entry: { status: string }) => entry.status)).toEqual([
      'created',
      'in_transit',
      'out_for_delivery',
      'picked',
    ]);
  });

  it('stores nothing of a batch when one event is invalid', async () => {
    const before = await table.scan();
    const batch = [
      shipmentCreated('shp-batch-1'),
      shipmentCreated('shp-batch-2'),
      shipmentStatus('shipped', 'shp-batch-1', 5, { carrier: 7 }),
    ];

    const response = await post(batch, 'application/cloudevents-batch+json');

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ path: '[2].data.carrier', message: expect.any(String) }]);
    expect(await table.scan()).toHaveLength(before.length);
  });

  it('answers a valid batch in request order, marking repeats inside it as duplicates', async () => {
    const created = shipmentCreated('shp-batch-ok');
    const shipped = shipmentStatus('shipped', 'shp-batch-ok', 3);
    const response = await post([created, shipped, created], 'application/cloudevents-batch+json');

    expect(response.status).toBe(202);
    expect(response.body.results).toEqual([
      { id: created.id, status: 'accepted' },
      { id: shipped.id, status: 'accepted' },
      { id: created.id, status: 'duplicate' },
    ]);
  });

  it('answers an id reused for other content 409 at the id, and an identical resend duplicate, without storing the other content', async () => {
    const shipped = shipmentStatus('shipped', 'shp-id-reuse', 3, { carrier: 'DHL' });
    expect((await post(shipmentCreated('shp-id-reuse'))).status).toBe(202);
    expect((await post(shipped)).body.results).toEqual([{ id: shipped.id, status: 'accepted' }]);
    const before = await table.scan();

    const sameId = { ...shipped, data: { ...shipped.data, carrier: 'UPS' } };
    const single = await post(sameId);
    expect(single.status).toBe(409);
    expect(single.body).toMatchObject({ type: 'urn:parcelcast:problem:id-reused', status: 409, errors: [{ path: 'id' }] });
    expect((await post({ ...shipped, type: 'shipment.out_for_delivery', data: { shipmentId: 'shp-id-reuse' } })).status).toBe(409);
    expect((await post({ ...shipped, time: new Date(Date.parse(shipped.time) + 60_000).toISOString() })).status).toBe(409);

    // In a batch, the events before it are stored and said so; the reused one and the rest are not.
    const next = shipmentStatus('out_for_delivery', 'shp-id-reuse', 4);
    const batch = await post([next, sameId, shipmentStatus('delivered', 'shp-id-reuse', 5)], 'application/cloudevents-batch+json');
    expect(batch.status).toBe(409);
    expect(batch.body.errors).toEqual([{ path: '[1].id', message: expect.any(String) }]);
    expect(batch.body.results.map((result: { status: string }) => result.status)).toEqual(['accepted', 'not_stored', 'not_stored']);

    // Identical resends stay idempotent, and the carrier stored is the first content's.
    expect((await post(shipped)).body.results).toEqual([{ id: shipped.id, status: 'duplicate' }]);
    expect((await read('shp-id-reuse')).body.carrier).toBe('DHL');
    expect(await table.scan()).toHaveLength(before.length + 1);
  });

  it('answers a ledger entry id reused for another amount 409, and its identical resend duplicate', async () => {
    const credit = walletEvent('credited', 'wal-id-reuse', 1000, 'EUR');
    expect((await post(credit)).status).toBe(202);

    const response = await post({ ...credit, data: { ...credit.data, amount: { value: 5000, currency: 'EUR' } } });

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ type: 'urn:parcelcast:problem:id-reused', errors: [{ path: 'id' }] });
    expect((await post(credit)).body.results).toEqual([{ id: credit.id, status: 'duplicate' }]);
  });

  it('rejects an entry in another currency than its wallet holds, storing nothing of the batch', async () => {
    expect((await post(walletEvent('credited', 'wal-ccy', 1000, 'EUR'))).status).toBe(202);
    const before = await table.scan();

    const response = await post(
      [walletEvent('debited', 'wal-ccy', 100, 'EUR'), walletEvent('debited', 'wal-ccy', 100, 'USD')],
      'application/json',
    );

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ path: '[1].data.amount.currency', message: expect.stringContaining('EUR') }]);
    expect(await table.scan()).toHaveLength(before.length);
  });

  it('moves the running balance of a wallet once per entry, however often the entry is posted', async () => {
    const credit = walletEvent('credited', 'wal-sum', 2500);
    const debit = walletEvent('debited', 'wal-sum', 700);
    await Promise.all([post(credit), post(credit), post(debit), post(debit), post(debit)]);

    const items = await table.scan();
    const wallet = items.find((item) => item.PK === 'WALLET#wal-sum' && item.SK === 'WALLET');
    expect(wallet).toMatchObject({ balance: 1800, currency: 'EUR', entryCount: 2 });
    expect(items.filter((item) => item.PK === 'WALLET#wal-sum' && String(item.SK).startsWith('LEDGER#'))).toHaveLength(2);
  });

  it('answers 404 problem+json for an unknown shipment', async () => {
    const response = await read('shp-nobody');
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ status: 404, title: 'Not found' });
  });

  it('treats the same id from another source as a different event', async () => {
    const first = cloudEvent('shipment.picked', { shipmentId: 'shp-sources' }, { id: 'same-id', source: '//warehouse/ams-1', minute: 1 });
    const second = cloudEvent('shipment.packed', { shipmentId: 'shp-sources' }, { id: 'same-id', source: '//warehouse/mad-2', minute: 2 });
    expect((await post(first)).body.results[0].status).toBe('accepted');
    expect((await post(second)).body.results[0].status).toBe('accepted');
  });
});
