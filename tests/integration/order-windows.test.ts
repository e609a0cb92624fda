import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoOrderWindows } from '../../functions/lib/adapters/dynamo-order-windows.ts';
import { keys } from '../../functions/lib/adapters/keys.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';

// The split-order items on a real DynamoDB Local table: an order counts each shipment once, a
// window takes members only while open, and of concurrent joins and a close every member is
// either in the closed window's members or told `closed` (docs/alerts.md, Split orders).
const EP = '2026-11-01T08:10:00.000Z';
let table: TestTable;
let windows: DynamoOrderWindows;

beforeAll(async () => {
  table = await createTestTable();
  windows = new DynamoOrderWindows(table.documents, table.tableName);
});

describe('DynamoOrderWindows', () => {
  it('counts each shipment of an order once, per owner', async () => {
    expect(await windows.size('ams', 'ord-1')).toEqual({ shipments: 0 });
    expect(await windows.addShipment('ams', 'ord-1', 's-1')).toBe(1);
    expect(await windows.addShipment('ams', 'ord-1', 's-1')).toBe(1);
    expect(await windows.addShipment('ams', 'ord-1', 's-2')).toBe(2);
    expect(await windows.size('ams', 'ord-1')).toEqual({ shipments: 2 });
    // Another warehouse's order with the same id is another order.
    expect(await windows.size('ber', 'ord-1')).toEqual({ shipments: 0 });
    expect(await windows.addShipment('ams', 'ord#1', 's-3')).toBe(1);
  });

  it('keeps the largest parcel count given, and still counts a shipment that gave a smaller one', async () => {
    expect(await windows.addShipment('ams', 'ord-n', 's-1', 3)).toBe(1);
    expect(await windows.size('ams', 'ord-n')).toEqual({ shipments: 1, parcelCount: 3 });
    expect(await windows.addShipment('ams', 'ord-n', 's-2', 2)).toBe(2);
    expect(await windows.addShipment('ams', 'ord-n', 's-3')).toBe(3);
    expect(await windows.size('ams', 'ord-n')).toEqual({ shipments: 3, parcelCount: 3 });
    expect(await windows.addShipment('ams', 'ord-n', 's-3', 4)).toBe(3);
    expect(await windows.size('ams', 'ord-n')).toEqual({ shipments: 3, parcelCount: 4 });
  });

  it('takes members while open, closes once and answers the same members again', async () => {
    expect(await windows.join('ams', 'ord-2', 'out_for_delivery', 's-1', EP)).toEqual({ joined: true, members: 1 });
    expect(await windows.join('ams', 'ord-2', 'out_for_delivery', 's-2', EP)).toEqual({ joined: true, members: 2 });
    expect(await windows.join('ams', 'ord-2', 'out_for_delivery', 's-2', EP)).toEqual({ joined: true, members: 2 });
    expect(await windows.close('ams', 'ord-2', 'out_for_delivery', '2026-11-01T09:00:00.000Z')).toEqual({ members: ['s-1', 's-2'] });
    expect(await windows.join('ams', 'ord-2', 'out_for_delivery', 's-3', EP)).toEqual({ joined: false });
    // A member's replayed join after the close: still a member, named by the combined message.
    expect(await windows.join('ams', 'ord-2', 'out_for_delivery', 's-1', EP)).toEqual({ joined: true, members: 2 });
    expect(await windows.close('ams', 'ord-2', 'out_for_delivery', '2026-11-01T09:05:00.000Z')).toEqual({ members: ['s-1', 's-2'] });
    // Another status of the same order has its own window.
    expect(await windows.join('ams', 'ord-2', 'delivered', 's-1', EP)).toEqual({ joined: true, members: 1 });
    // The window says which it is, for whoever lists them.
    const item = await table.documents.send(
      new GetCommand({ TableName: table.tableName, Key: keys.orderWindow('ams', 'ord-2', 'delivered') }),
    );
    expect(item.Item).toMatchObject({ entity: 'order-window', owner: 'ams', orderId: 'ord-2', status: 'delivered' });
  });

  it('takes a member entering the status again after the close as a new episode, not a replay', async () => {
    const next = '2026-11-02T08:00:00.000Z';
    expect(await windows.join('ams', 'ord-e', 'out_for_delivery', 's-1', EP)).toEqual({ joined: true, members: 1 });
    // While open, the member's new episode joins too: the combined message names its current state.
    expect(await windows.join('ams', 'ord-e', 'out_for_delivery', 's-2', EP)).toEqual({ joined: true, members: 2 });
    expect(await windows.join('ams', 'ord-e', 'out_for_delivery', 's-2', '2026-11-01T08:20:00.000Z')).toEqual({ joined: true, members: 2 });
    await windows.close('ams', 'ord-e', 'out_for_delivery', '2026-11-01T09:00:00.000Z');
    expect(await windows.join('ams', 'ord-e', 'out_for_delivery', 's-1', EP)).toEqual({ joined: true, members: 2 });
    expect(await windows.join('ams', 'ord-e', 'out_for_delivery', 's-2', '2026-11-01T08:20:00.000Z')).toEqual({ joined: true, members: 2 });
    expect(await windows.join('ams', 'ord-e', 'out_for_delivery', 's-1', next)).toEqual({ joined: false });
  });

  it('still holds a member replayed into a window closed before episodes were kept', async () => {
    const key = keys.orderWindow('ams', 'ord-old', 'delivered');
    await table.documents.send(
      new PutCommand({ TableName: table.tableName, Item: { ...key, entity: 'order-window', members: new Set(['s-1']), closedAt: 'then' } }),
    );
    expect(await windows.join('ams', 'ord-old', 'delivered', 's-1', EP)).toEqual({ joined: true, members: 1 });
    expect(await windows.join('ams', 'ord-old', 'delivered', 's-2', EP)).toEqual({ joined: false });
  });

  it('marks a closed window published once, and answers it to every later closing', async () => {
    await windows.join('ams', 'ord-p', 'delivered', 's-1', EP);
    await expect(windows.markPublished('ams', 'ord-p', 'delivered', '2026-11-01T09:00:00.000Z')).rejects.toThrow(/conditional/i);
    expect(await windows.close('ams', 'ord-p', 'delivered', '2026-11-01T09:01:00.000Z')).toEqual({ members: ['s-1'] });
    await windows.markPublished('ams', 'ord-p', 'delivered', '2026-11-01T09:02:00.000Z');
    await windows.markPublished('ams', 'ord-p', 'delivered', '2026-11-01T09:03:00.000Z');
    expect(await windows.close('ams', 'ord-p', 'delivered', '2026-11-01T09:10:00.000Z')).toEqual({
      members: ['s-1'],
      publishedAt: '2026-11-01T09:02:00.000Z',
    });
  });

  it('never loses a member to a close racing its join', async () => {
    const ids = Array.from({ length: 30 }, (_, index) => `r-${index}`);
    const joins = ids.map((id) => windows.join('ams', 'ord-race', 'delivered', id, EP));
    const closing = new Promise<string[]>((resolve) =>
      setTimeout(async () => resolve((await windows.close('ams', 'ord-race', 'delivered', 'now')).members), 5),
    );
    const [answers, members] = await Promise.all([Promise.all(joins), closing]);
    const finalMembers = (await windows.close('ams', 'ord-race', 'delivered', 'later')).members;
    expect(finalMembers).toEqual(members);
    const joined = ids.filter((_, index) => answers[index]?.joined).sort();
    const closed = ids.filter((_, index) => answers[index]?.joined === false);
    expect(joined).toEqual([...members].sort());
    expect(joined.length + closed.length).toBe(ids.length);
  });
});
