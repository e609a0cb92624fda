import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoOrderWindows } from '../../functions/lib/adapters/dynamo-order-windows.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';

// The split-order items on a real DynamoDB Local table: an order counts each shipment once, a
// window takes members only while open, and of concurrent joins and a close every member is
// either in the closed window's members or told `closed` (docs/alerts.md, Split orders).
let table: TestTable;
let windows: DynamoOrderWindows;

beforeAll(async () => {
  table = await createTestTable();
  windows = new DynamoOrderWindows(table.documents, table.tableName);
});

describe('DynamoOrderWindows', () => {
  it('counts each shipment of an order once, per owner', async () => {
    expect(await windows.shipmentCount('ams', 'ord-1')).toBe(0);
    expect(await windows.addShipment('ams', 'ord-1', 's-1')).toBe(1);
    expect(await windows.addShipment('ams', 'ord-1', 's-1')).toBe(1);
    expect(await windows.addShipment('ams', 'ord-1', 's-2')).toBe(2);
    expect(await windows.shipmentCount('ams', 'ord-1')).toBe(2);
    // Another warehouse's order with the same id is another order.
    expect(await windows.shipmentCount('ber', 'ord-1')).toBe(0);
    expect(await windows.addShipment('ams', 'ord#1', 's-3')).toBe(1);
  });

  it('takes members while open, closes once and answers the same members again', async () => {
    expect(await windows.join('ams', 'ord-2', 'out_for_delivery', 's-1')).toBe('joined');
    expect(await windows.join('ams', 'ord-2', 'out_for_delivery', 's-2')).toBe('joined');
    expect(await windows.join('ams', 'ord-2', 'out_for_delivery', 's-2')).toBe('joined');
    expect(await windows.close('ams', 'ord-2', 'out_for_delivery', '2026-11-01T09:00:00.000Z')).toEqual(['s-1', 's-2']);
    expect(await windows.join('ams', 'ord-2', 'out_for_delivery', 's-3')).toBe('closed');
    expect(await windows.close('ams', 'ord-2', 'out_for_delivery', '2026-11-01T09:05:00.000Z')).toEqual(['s-1', 's-2']);
    // Another status of the same order has its own window.
    expect(await windows.join('ams', 'ord-2', 'delivered', 's-1')).toBe('joined');
  });

  it('never loses a member to a close racing its join', async () => {
    const ids = Array.from({ length: 30 }, (_, index) => `r-${index}`);
    const joins = ids.map((id) => windows.join('ams', 'ord-race', 'delivered', id));
    const closing = new Promise<string[]>((resolve) => setTimeout(() => resolve(windows.close('ams', 'ord-race', 'delivered', 'now')), 5));
    const [answers, members] = await Promise.all([Promise.all(joins), closing]);
    const finalMembers = await windows.close('ams', 'ord-race', 'delivered', 'later');
    expect(finalMembers).toEqual(members);
    const joined = ids.filter((_, index) => answers[index] === 'joined').sort();
    const closed = ids.filter((_, index) => answers[index] === 'closed');
    expect(joined).toEqual([...members].sort());
    expect(joined.length + closed.length).toBe(ids.length);
  });
});
