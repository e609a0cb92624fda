import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { parseEvents, type ShipmentEvent } from '../../functions/lib/domain/cloud-events.ts';
import { applyEvent, type Shipment } from '../../functions/lib/domain/shipment.ts';
import { postEvents, shipmentCreated, shipmentStatus } from '../support/events.ts';

// A shipment's history lives in one DynamoDB item (400 KB at most): growing past it must be the
// client's 400, not a server error on every later event of that shipment.
const dynamo = mockClient(DynamoDBDocumentClient);
let ingest: typeof import('../../functions/ingest-events.ts')['handler'];
beforeAll(async () => {
  ({ handler: ingest } = await import('../../functions/ingest-events.ts'));
});
afterEach(() => dynamo.reset());

/** A stored aggregate whose timeline is `events` in_transit scans with 200-character locations (the longest accepted). */
function storedShipment(shipmentId: string, events: number) {
  const history = [
    shipmentCreated(shipmentId, 0),
    ...Array.from({ length: events }, (_, i) =>
      shipmentStatus('in_transit', shipmentId, i + 1, { location: `${'x'.repeat(195)}-${String(i).padStart(4, '0')}` }),
    ),
  ];
  const shipment = history.reduce<Shipment | undefined>(
    (current, event) => applyEvent(current, parseEvents(event).events[0] as ShipmentEvent),
    undefined,
  );
  return { PK: `SHIPMENT#${shipmentId}`, SK: 'SHIPMENT', entity: 'shipment', ...shipment, version: events + 1 };
}

describe('a shipment whose history no longer fits in one item', () => {
  it('refuses the next event with 400 at data.shipmentId and writes nothing', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(GetCommand, { Key: { PK: 'SHIPMENT#shp-full', SK: 'SHIPMENT' } }).resolves({ Item: storedShipment('shp-full', 1500) });

    const response = await ingest(postEvents(shipmentStatus('delivered', 'shp-full', 999)), lambdaContext('IngestFunction'));

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '{}').errors).toEqual([{ path: 'data.shipmentId', message: expect.stringContaining('shp-full') }]);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('still records events of a long but fitting history', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(GetCommand, { Key: { PK: 'SHIPMENT#shp-long', SK: 'SHIPMENT' } }).resolves({ Item: storedShipment('shp-long', 100) });
    dynamo.on(TransactWriteCommand).resolves({});

    const response = await ingest(postEvents(shipmentStatus('delivered', 'shp-long', 999)), lambdaContext('IngestFunction'));

    expect(response.statusCode).toBe(202);
  });
});
