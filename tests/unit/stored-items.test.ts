import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { stateItem } from '../../functions/lib/adapters/dynamo-shipment-store.ts';
import {
  decodeClaimState,
  decodeCustomer,
  decodeNotificationRecord,
  decodeShipmentEntry,
  decodeShipmentState,
  decodeWallet,
  ENTRY_SLOTS,
  encodeStatusEntries,
  UnreadableItemError,
} from '../../functions/lib/adapters/stored-items.ts';
import { shipmentChangeOf, walletChangeOf } from '../../functions/lib/adapters/stream-images.ts';
import { SHIPMENT_STATUSES, type ShipmentState } from '../../functions/lib/domain/shipment.ts';

// Items read back from the table and stream images are parsed, not cast: a wrong shape fails at
// the edge, naming where, and keys and bookkeeping attributes never reach the domain.

const CREATED = '2026-11-01T08:00:00.000Z#00#ams#%2F%2Fw#e0';
const SHIPPED = '2026-11-01T09:00:00.000Z#30#ams#%2F%2Fw#e1';
const RECEIPT = '2026-11-01T09:00:01.000Z#000#%2F%2Fw#e0';

/** A state item as the store writes it: each mark stored once, registers pointing at it. */
const aggregate = {
  PK: 'SHIPMENT#shp-1',
  SK: 'SHIPMENT',
  version: 3,
  shipmentId: 'shp-1',
  owner: 'ams',
  orderId: 'ord-1',
  status: 'shipped',
  customer: { id: 'cus-1', phone: '+34600111222', channels: ['sms'] },
  carrier: 'DHL',
  marks: [SHIPPED, CREATED, RECEIPT],
  // One character per register (status, customer, orderId, carrier, trackingNumber, trackingUrl, promisedBy, eta).
  markOf: '0210----',
};

const state = {
  shipmentId: 'shp-1',
  owner: 'ams',
  orderId: 'ord-1',
  status: 'shipped',
  statusTime: '2026-11-01T09:00:00.000Z',
  statusDetails: {},
  customer: { id: 'cus-1', phone: '+34600111222', channels: ['sms'] },
  carrier: 'DHL',
  marks: { status: SHIPPED, customer: RECEIPT, orderId: CREATED, carrier: SHIPPED },
};

function streamRecord(
  sequence: string,
  after: object | undefined,
  before?: object,
  eventName: DynamoDBRecord['eventName'] = 'MODIFY',
): DynamoDBRecord {
  return {
    eventName,
    dynamodb: {
      SequenceNumber: sequence,
      ...(after ? { NewImage: marshall(after) as never } : {}),
      ...(before ? { OldImage: marshall(before) as never } : {}),
    },
  };
}

describe('stored items', () => {
  it('reads a shipment state without its keys and bookkeeping, each register with its mark', () => {
    expect(decodeShipmentState(aggregate)).toEqual(state);
  });

  it('reads the current and original estimates, and an item written before they existed as without them', () => {
    const later = { date: '2026-11-07', timeZone: 'Europe/Madrid' };
    const first = { from: '2026-11-05T09:00:00Z', to: '2026-11-05T11:00:00Z', timeZone: 'UTC' };
    const withEstimates = { ...aggregate, estimatedDelivery: later, originalEstimatedDelivery: first, markOf: '0210----01' };
    expect(decodeShipmentState(withEstimates)).toEqual({
      ...state,
      estimatedDelivery: later,
      originalEstimatedDelivery: first,
      marks: { ...state.marks, estimatedDelivery: SHIPPED, originalEstimatedDelivery: CREATED },
    });
    // aggregate's markOf has the 8 registers items had before the estimates: they read as empty.
    expect(decodeShipmentState(aggregate).marks).not.toHaveProperty('estimatedDelivery');
    expect(() => decodeShipmentState({ ...aggregate, markOf: '0210---' })).toThrow(UnreadableItemError);
  });

  it.each([
    ['a status it does not know', { ...aggregate, status: 'lost' }, 'status'],
    ['no marks', { ...aggregate, marks: undefined }, 'marks'],
    ['a register pointing past its marks', { ...aggregate, markOf: '0213----' }, 'markOf.carrier'],
    ['no mark for its status', { ...aggregate, markOf: '-210----' }, 'markOf.status'],
    ['a mark index that is not a digit', { ...aggregate, markOf: '0210---x' }, 'markOf'],
    ['a channel it does not know', { ...aggregate, customer: { id: 'c', channels: ['fax'] } }, 'customer.channels.0'],
  ])('refuses a shipment state with %s, naming where', (_, item, path) => {
    expect(() => decodeShipmentState(item)).toThrow(new UnreadableItemError(`shipment item is not readable at ${path}`));
  });

  it('stores the entries into each status as one short text in slot order, reads it back, and refuses one it cannot read', () => {
    const entries = { created: 1, shipped: 1, in_transit: 12, out_for_delivery: 13, returned_to_sender: 1 };
    const stored = stateItem({ ...(state as ShipmentState), statusEntries: entries }, 3);
    expect(stored.statusEntries).toBe('1.0.0.1.12.13.0.0.0.0.0.0.1');
    expect(decodeShipmentState(stored).statusEntries).toEqual(entries);
    expect(ENTRY_SLOTS).toEqual(expect.arrayContaining([...SHIPMENT_STATUSES]));
    expect(ENTRY_SLOTS).toHaveLength(SHIPMENT_STATUSES.length);
    // Written before the tally: none, and none is written for a state that has none.
    expect(decodeShipmentState(aggregate)).not.toHaveProperty('statusEntries');
    expect(stateItem(state as ShipmentState, 3)).not.toHaveProperty('statusEntries');
    expect(() => encodeStatusEntries({ ['lost' as 'created']: 1 })).toThrow(/no slot/);
    for (const unreadable of ['1..2', '1.a', '-1', '01', `1${'.1'.repeat(13)}`]) {
      expect(() => decodeShipmentState({ ...aggregate, statusEntries: unreadable })).toThrow(/statusEntries/);
    }
  });

  it('reads an event of a history as merged and listed, and refuses one whose event is not a shipment event', () => {
    const item = {
      PK: 'SHIPMENT#shp-1',
      SK: 'EVENT#ams#%2F%2Fw#e1',
      owner: 'ams',
      timelineKey: SHIPPED,
      receivedAt: '2026-11-01T09:00:01.000Z',
      position: 2,
      event: {
        specversion: '1.0',
        id: 'e1',
        source: '//w',
        type: 'shipment.shipped',
        time: '2026-11-01T10:00:00+01:00',
        data: { shipmentId: 'shp-1' },
      },
    };
    expect(decodeShipmentEntry(item)).toEqual({
      owner: 'ams',
      source: '//w',
      id: 'e1',
      status: 'shipped',
      time: '2026-11-01T09:00:00.000Z',
      data: { shipmentId: 'shp-1' },
      receivedAt: '2026-11-01T09:00:01.000Z',
      position: 2,
    });
    expect(() => decodeShipmentEntry({ ...item, event: { ...item.event, type: 'wallet.debited' } })).toThrow(
      'shipment event item is not readable at event.type',
    );
  });

  it('reads a wallet, counting what it has not got yet as 0', () => {
    expect(
      decodeWallet({ PK: 'WALLET#w', SK: 'WALLET', walletId: 'w', owner: 'ams', customerId: 'c', currency: 'EUR', balance: -250 }),
    ).toEqual({
      walletId: 'w',
      owner: 'ams',
      customerId: 'c',
      currency: 'EUR',
      balance: -250,
      version: 0,
      entryCount: 0,
      reconciliationPending: false,
    });
    expect(() => decodeWallet({ walletId: 'w', customerId: 'c', balance: '12' })).toThrow(
      'wallet item is not readable at owner, currency, balance',
    );
  });

  it('reads a customer profile, a notification record and a claim outcome', () => {
    expect(
      decodeCustomer({ PK: 'CUSTOMER#ams#c', SK: 'PROFILE', entity: 'customer', owner: 'ams', id: 'c', email: 'a@b.example', mark: 't' }),
    ).toEqual({
      id: 'c',
      email: 'a@b.example',
    });
    expect(decodeNotificationRecord({ status: 'shipped', channel: 'sms', outcome: 'sent', updatedAt: 't', leaseUntil: 0 })).toEqual({
      status: 'shipped',
      channel: 'sms',
      outcome: 'sent',
      at: 't',
    });
    expect(decodeClaimState({ outcome: 'bounced', permanent: true })).toEqual({ status: 'bounced', permanent: true });
    // Claims written before delivery receipts: `pending` is claimed, `opted_out` is suppressed because the number opted out.
    expect(decodeClaimState({ outcome: 'pending' })).toEqual({ status: 'claimed' });
    expect(decodeNotificationRecord({ status: 'shipped', channel: 'sms', outcome: 'opted_out', updatedAt: 't' })).toEqual({
      status: 'shipped',
      channel: 'sms',
      outcome: 'suppressed',
      at: 't',
      reason: 'opted_out',
    });
    expect(() => decodeClaimState({ outcome: 'maybe' })).toThrow(UnreadableItemError);
  });
});

describe('stream images', () => {
  it('decodes a shipment change, with no state before the first event', () => {
    const change = shipmentChangeOf(streamRecord('7', aggregate, undefined, 'INSERT'));
    expect(change).toEqual({ sequenceNumber: '7', before: undefined, after: state });
  });

  it('reads of the state before a write its status and its details, and customer with its mark, what deciding whom to tell and whether to hold it for its order needs', () => {
    const before = { ...aggregate, status: 'packed', marks: ['2026-11-01T08:30:00.000Z#20#ams#%2F%2Fw#e2', CREATED, RECEIPT] };
    expect(shipmentChangeOf(streamRecord('14', aggregate, before))?.before).toEqual({
      status: 'packed',
      statusTime: '2026-11-01T08:30:00.000Z',
      // Whether the same status again is news (a new attempt's nextAttemptAt).
      statusDetails: {},
      customer: { id: 'cus-1', phone: '+34600111222', channels: ['sms'] },
      customerMark: RECEIPT,
      // Whether the order already counted this shipment (docs/alerts.md, Split orders).
      orderId: 'ord-1',
    });
  });

  it('is no shipment change for a removal or another kind of item', () => {
    expect(shipmentChangeOf(streamRecord('8', aggregate, aggregate, 'REMOVE'))).toBeUndefined();
    expect(shipmentChangeOf(streamRecord('9', { PK: 'SHIPMENT#shp-1', SK: 'NOTIFICATION#shipped#sms' }))).toBeUndefined();
  });

  it('names the sequence number of a record it cannot read', () => {
    expect(() => shipmentChangeOf(streamRecord('10', { ...aggregate, marks: 'none' }))).toThrow(
      new UnreadableItemError('stream record 10: shipment item is not readable at marks'),
    );
  });

  it('decodes a wallet change with the version before it', () => {
    const wallet = { PK: 'WALLET#w', SK: 'WALLET', walletId: 'w', version: 4, lastEntryAt: 't', reconciliationPending: true, balance: 5 };
    expect(walletChangeOf(streamRecord('11', wallet, { ...wallet, version: 3 }))).toEqual({
      sequenceNumber: '11',
      walletId: 'w',
      version: 4,
      previousVersion: 3,
      lastEntryAt: 't',
      reconciliationPending: true,
    });
    expect(walletChangeOf(streamRecord('12', aggregate))).toBeUndefined();
    expect(() => walletChangeOf(streamRecord('13', { ...wallet, version: 'four' }))).toThrow(
      'stream record 13: wallet item is not readable at version',
    );
  });
});
