import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { createTestTable, type TestTable, useTableForHandlers } from '../support/dynamo.ts';
import { apiEvent, cloudEvent, postEvents, shipmentCreated } from '../support/events.ts';

// A shipment takes 10,000 events (issue 13 item 3): no ceiling, and no growth in what an event
// costs as its history grows, because no write touches the history that came before: the state
// an event rewrites stays small whatever the history (asserted below). Real handlers, DynamoDB
// Local. Time per event is for `npm run bench`, not for a test on a shared machine.
const SHIPMENT = 'shp-ten-thousand';
const EVENTS = 10_000;
const BATCH = 100;
const PAGE = 50;

let table: TestTable;
let ingest: typeof import('../../functions/ingest-events.ts')['handler'];
let getShipment: typeof import('../../functions/get-shipment.ts')['handler'];

beforeAll(async () => {
  table = await createTestTable();
  useTableForHandlers(table);
  ({ handler: ingest } = await import('../../functions/ingest-events.ts'));
  ({ handler: getShipment } = await import('../../functions/get-shipment.ts'));
});

async function read(query: Record<string, string>) {
  const request = apiEvent('GET', `/v1/shipments/${SHIPMENT}`, { pathParameters: { shipmentId: SHIPMENT } });
  const response = await getShipment({ ...request, queryStringParameters: query }, lambdaContext('GetShipmentFunction'));
  return { status: response.statusCode, body: JSON.parse(response.body ?? '{}') };
}

describe('a shipment with 10,000 events', () => {
  const ids: string[] = [];

  it(
    'accepts every one, in batches of 100',
    async () => {
      // Events one second apart, ending well before now (an event may not be dated in the future).
      const start = Date.now() - 4 * 60 * 60_000;
      const events = [
        { ...shipmentCreated(SHIPMENT), time: new Date(start).toISOString() },
        ...Array.from({ length: EVENTS - 1 }, (_, index) => ({
          ...cloudEvent('shipment.in_transit', { shipmentId: SHIPMENT, location: `hub ${index % 97}` }),
          time: new Date(start + (index + 1) * 1000).toISOString(),
        })),
      ];
      ids.push(...events.map((event) => event.id));
      for (let at = 0; at < EVENTS; at += BATCH) {
        const batch = events.slice(at, at + BATCH);
        const response = await ingest(
          postEvents(batch, { contentType: 'application/cloudevents-batch+json' }),
          lambdaContext('IngestFunction'),
        );
        expect(response.statusCode, response.body).toBe(202);
        expect(JSON.parse(response.body ?? '{}').results.every((result: { status: string }) => result.status === 'accepted')).toBe(true);
      }
    },
    10 * 60_000,
  );

  it('keeps a small state, whose status is the latest event', async () => {
    const state = (await table.scan()).find((item) => item.PK === `SHIPMENT#${SHIPMENT}` && item.SK === 'SHIPMENT');
    expect(state).toMatchObject({ status: 'in_transit', statusDetails: { location: `hub ${(EVENTS - 2) % 97}` } });
    expect(Buffer.byteLength(JSON.stringify(state))).toBeLessThan(1024);
  });

  it.each(['oldest', 'newest'] as const)(
    `pages through all of them %s first, ${PAGE} at a time, each once, in order`,
    async (order) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const { status, body } = await read({ order, ...(cursor ? { cursor } : {}) });
        expect(status).toBe(200);
        expect(body.timeline.length).toBeLessThanOrEqual(PAGE);
        seen.push(...body.timeline.map((entry: { id: string }) => entry.id));
        cursor = body.nextCursor ?? undefined;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(EVENTS / PAGE);
      expect(seen).toEqual(order === 'oldest' ? ids : [...ids].reverse());
    },
    5 * 60_000,
  );
});
