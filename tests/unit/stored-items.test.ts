import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  decodeClaimState,
  decodeCustomer,
  decodeNotificationRecord,
  decodeShipment,
  decodeWallet,
  UnreadableItemError,
} from '../../functions/lib/adapters/stored-items.ts';
import { shipmentChangeOf, walletChangeOf } from '../../functions/lib/adapters/stream-images.ts';

// Items read back from the table and stream images are parsed, not cast: a wrong shape fails at
// the edge, naming where, and keys and bookkeeping attributes never reach the domain.

const aggregate = {
  PK: 'SHIPMENT#shp-1',
  SK: 'SHIPMENT',
  entity: 'shipment',
  version: 3,
  updatedAt: '2026-11-01T10:00:00.000Z',
  shipmentId: 'shp-1',
  orderId: 'ord-1',
  status: 'shipped',
  statusTime: '2026-11-01T09:00:00.000Z',
  customer: { id: 'cus-1', phone: '+34600111222', channels: ['sms'], profileTime: '2026-11-01T08:00:00.000Z' },
  carrier: 'DHL',
  timeline: [
    { source: '//w', id: 'e1', status: 'shipped', time: '2026-11-01T09:00:00.000Z', data: { shipmentId: 'shp-1', carrier: 'DHL' } },
  ],
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
  it('reads a shipment aggregate without its keys and bookkeeping', () => {
    const { PK: _pk, SK: _sk, entity: _entity, version: _version, updatedAt: _updatedAt, ...shipment } = aggregate;
    const { profileTime: _time, ...customer } = shipment.customer;
    expect(decodeShipment(aggregate)).toEqual({ ...shipment, customer });
  });

  it.each([
    ['a status it does not know', { ...aggregate, status: 'lost' }, 'status'],
    ['no timeline', { ...aggregate, timeline: undefined }, 'timeline'],
    ['a timeline entry without time', { ...aggregate, timeline: [{ ...aggregate.timeline[0], time: undefined }] }, 'timeline.0.time'],
    ['a channel it does not know', { ...aggregate, customer: { id: 'c', channels: ['fax'] } }, 'customer.channels.0'],
  ])('refuses a shipment with %s, naming where', (_, item, path) => {
    expect(() => decodeShipment(item)).toThrow(new UnreadableItemError(`shipment item is not readable at ${path}`));
  });

  it('reads a wallet, counting what it has not got yet as 0', () => {
    expect(decodeWallet({ PK: 'WALLET#w', SK: 'WALLET', walletId: 'w', customerId: 'c', currency: 'EUR', balance: -250 })).toEqual({
      walletId: 'w',
      customerId: 'c',
      currency: 'EUR',
      balance: -250,
      version: 0,
      entryCount: 0,
      reconciliationPending: false,
    });
    expect(() => decodeWallet({ walletId: 'w', customerId: 'c', balance: '12' })).toThrow(
      'wallet item is not readable at currency, balance',
    );
  });

  it('reads a customer profile, a notification record and a claim outcome', () => {
    expect(
      decodeCustomer({ PK: 'CUSTOMER#c', SK: 'PROFILE', entity: 'customer', id: 'c', email: 'a@b.example', profileTime: 't' }),
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
  it('decodes a shipment change, with no aggregate before the first event', () => {
    const change = shipmentChangeOf(streamRecord('7', aggregate, undefined, 'INSERT'));
    expect(change).toEqual({ sequenceNumber: '7', before: undefined, after: decodeShipment(aggregate) });
  });

  it('reads of the aggregate before a write only its status and customer, what deciding whom to tell needs', () => {
    const before = { ...aggregate, status: 'packed', statusTime: '2026-11-01T08:30:00.000Z', timeline: 'not read' };
    expect(shipmentChangeOf(streamRecord('14', aggregate, before))?.before).toEqual({
      status: 'packed',
      statusTime: '2026-11-01T08:30:00.000Z',
      customer: { id: 'cus-1', phone: '+34600111222', channels: ['sms'] },
    });
  });

  it('is no shipment change for a removal or another kind of item', () => {
    expect(shipmentChangeOf(streamRecord('8', aggregate, aggregate, 'REMOVE'))).toBeUndefined();
    expect(shipmentChangeOf(streamRecord('9', { PK: 'SHIPMENT#shp-1', SK: 'NOTIFICATION#shipped#sms' }))).toBeUndefined();
  });

  it('names the sequence number of a record it cannot read', () => {
    expect(() => shipmentChangeOf(streamRecord('10', { ...aggregate, timeline: 'none' }))).toThrow(
      new UnreadableItemError('stream record 10: shipment item is not readable at timeline'),
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
