import { describe, expect, it } from 'vitest';
import { keys } from '../../functions/lib/adapters/keys.ts';
import {
  MAX_EVENT_TIME_AHEAD_MS,
  MAX_EXTENSION_VALUE_LENGTH,
  MAX_MONEY_MINOR_UNITS,
  parseEvents,
  TEXT_LIMITS,
} from '../../functions/lib/domain/cloud-events.ts';
import { ValidationError } from '../../functions/lib/domain/errors.ts';
import {
  DYNAMODB_PARTITION_KEY_MAX_BYTES,
  DYNAMODB_SORT_KEY_MAX_BYTES,
  keyPartBytes,
  keyProblem,
  MAX_IDENTIFIER_KEY_BYTES,
  MAX_SOURCE_KEY_BYTES,
  MAX_WAREHOUSE_ID_KEY_BYTES,
} from '../../functions/lib/domain/key-limits.ts';
import { SHIPMENT_STATUSES, timelineKey } from '../../functions/lib/domain/shipment.ts';
import { warehouseIdProblem } from '../../functions/lib/domain/warehouse.ts';
import { customer, shipmentCreated, shipmentStatus, walletEvent } from '../support/events.ts';

// Every hostile input of issue 13 is refused by the schemas, before anything is written, with the field that failed.

const RECEIVED = new Date('2026-11-01T12:00:00Z');

/** The field errors parseEvents reports, or [] when it accepts. */
function errorsOf(body: unknown, receivedAt = RECEIVED): { path: string; message: string }[] {
  try {
    parseEvents(body, receivedAt);
    return [];
  } catch (error) {
    if (error instanceof ValidationError) return error.errors;
    throw error;
  }
}

const accepted = (body: unknown) => parseEvents(body, RECEIVED).events[0] as any;
const created = (data: Record<string, unknown> = {}) => shipmentCreated('shp-1', 0, data);
const shipped = (data: Record<string, unknown>) => shipmentStatus('shipped', 'shp-1', 1, data);
const paths = (body: unknown) => errorsOf(body).map((error) => error.path);

describe('identifiers that become table keys', () => {
  it.each([
    ['source', MAX_SOURCE_KEY_BYTES, (value: string) => ({ ...created(), source: value })],
    ['id', MAX_IDENTIFIER_KEY_BYTES, (value: string) => ({ ...created(), id: value })],
    ['data.shipmentId', MAX_IDENTIFIER_KEY_BYTES, (value: string) => shipmentStatus('picked', value, 1)],
    ['data.orderId', MAX_IDENTIFIER_KEY_BYTES, (value: string) => created({ orderId: value })],
    ['data.customer.id', MAX_IDENTIFIER_KEY_BYTES, (value: string) => created({ customer: { ...customer, id: value } })],
    [
      'data.walletId',
      MAX_IDENTIFIER_KEY_BYTES,
      (value: string) => ({ ...walletEvent('debited', 'w', 1), data: { ...walletEvent('debited', 'w', 1).data, walletId: value } }),
    ],
    [
      'data.customerId',
      MAX_IDENTIFIER_KEY_BYTES,
      (value: string) => ({ ...walletEvent('debited', 'w', 1), data: { ...walletEvent('debited', 'w', 1).data, customerId: value } }),
    ],
  ])('bounds %s by its URI-encoded length, not its characters', (path, limit, withValue) => {
    // 中 is 9 bytes once URI-encoded: the longest run that fits, and one more.
    const fits = '中'.repeat(Math.floor(limit / 9));
    expect(errorsOf(withValue(fits))).toEqual([]);
    expect(errorsOf(withValue(`${fits}中`))).toEqual([{ path, message: expect.stringContaining(`at most ${limit} bytes`) }]);
  });

  it('refuses the 256 × 中 source of issue 13, whose key passed 2048 bytes', () => {
    expect(paths({ ...created(), source: '中'.repeat(256) })).toEqual(['source']);
  });

  it('keeps the longest accepted key parts inside DynamoDB’s key limits, with room to spare', () => {
    const source = '%'.repeat(MAX_SOURCE_KEY_BYTES / 3); // 128 characters, 384 bytes
    const id = `${'%'.repeat(85)}a`; // 86 characters, 256 bytes
    expect(errorsOf({ ...walletEvent('credited', id, 1), source, id })).toEqual([]);
    expect([keyPartBytes(source), keyPartBytes(id)]).toEqual([MAX_SOURCE_KEY_BYTES, MAX_IDENTIFIER_KEY_BYTES]);
    const warehouse = 'w'.repeat(MAX_WAREHOUSE_ID_KEY_BYTES);
    expect(warehouseIdProblem(warehouse)).toBeUndefined();
    expect(warehouseIdProblem(`${warehouse}w`)).toMatch(/at most 128 bytes/);
    const bytes = (text: string) => new TextEncoder().encode(text).length;
    const ledger = keys.ledgerEntry(id, warehouse, source, id);
    const event = keys.shipmentEvent(id, warehouse, source, id);
    const longestTimelineKey = Math.max(
      ...SHIPMENT_STATUSES.map((status) => bytes(timelineKey({ time: '9999-12-31T23:59:59.999Z', status, owner: warehouse, source, id }))),
    );
    expect(keyProblem(ledger)).toBeUndefined();
    expect(keyProblem(event)).toBeUndefined();
    expect([bytes(ledger.SK), bytes(event.SK), longestTimelineKey]).toEqual([777, 776, 798]);
    expect(longestTimelineKey).toBeLessThanOrEqual(DYNAMODB_SORT_KEY_MAX_BYTES - 200);
  });

  it('names the key DynamoDB would refuse', () => {
    expect(keyProblem({ PK: 'x'.repeat(DYNAMODB_PARTITION_KEY_MAX_BYTES + 1) })).toMatch(/partition key is 2049 bytes/);
    expect(keyProblem({ PK: 'x', SK: '中'.repeat(342) })).toMatch(/sort key is 1026 bytes/);
    expect(keyProblem({ PK: 'x'.repeat(DYNAMODB_PARTITION_KEY_MAX_BYTES), SK: 'y'.repeat(DYNAMODB_SORT_KEY_MAX_BYTES) })).toBeUndefined();
  });

  it('counts the bytes exactly as the table keys encode them', () => {
    for (const value of ['shp-1', '//warehouse/ams-1', 'é中📦#%', 'a b']) {
      expect(keys.shipment(value).PK.length - 'SHIPMENT#'.length).toBe(keyPartBytes(value));
    }
    expect(keyPartBytes('\ud800')).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    ['a right-to-left override', 'shp\u202e1', 'U+202E'],
    ['an escape sequence', 'shp\u001b[2J', 'U+001B'],
    ['a line break', 'shp\n1', 'U+000A'],
    ['a zero-width space', 'shp\u200b1', 'U+200B'],
    ['a private-use character', 'shp\ue000', 'U+E000'],
  ])('refuses an identifier with %s, naming the character', (_, value, name) => {
    expect(errorsOf(shipmentStatus('picked', value, 1))).toEqual([{ path: 'data.shipmentId', message: expect.stringContaining(name) }]);
  });

  it('refuses identifiers that would look alike: white space other than a space, text not in NFC', () => {
    expect(paths(shipmentStatus('picked', 'shp\u00a01', 1))).toEqual(['data.shipmentId']);
    expect(errorsOf({ ...created(), id: 'caf\u0065\u0301' })).toEqual([{ path: 'id', message: expect.stringContaining('NFC') }]);
    expect(accepted({ ...created(), id: 'café 1' }).id).toBe('café 1');
  });

  it('reports one problem per identifier, the first to fix', () => {
    expect(errorsOf({ ...created(), id: `\ud800${'中'.repeat(100)}` })).toHaveLength(1);
  });
});

describe('CloudEvents extension attributes', () => {
  it.each(['constructor', 'prototype'])('refuses the valid but reserved name %s with 400 at its path', (name) => {
    expect(errorsOf({ ...created(), [name]: 'x' })).toEqual([{ path: name, message: expect.stringContaining('reserved') }]);
  });

  it('refuses __proto__ and camel-case Object members, which JSON.parse makes own keys', () => {
    const body = JSON.parse(`{"__proto__": {"polluted": true}, ${JSON.stringify(created()).slice(1)}`);
    expect(paths(body)).toEqual(['__proto__']);
    expect(paths({ ...created(), toString: 'x', hasOwnProperty: 'y' })).toEqual(['toString', 'hasOwnProperty']);
    expect(paths([created(), { ...created(), valueOf: 1 }])).toEqual(['[1].valueOf']);
  });

  it('accepts string, boolean and 32-bit integer values of bounded, safe text', () => {
    const event = accepted({ ...created(), traceparent: '00-abc-01', sampled: true, priority: -2147483648 });
    expect(event).toMatchObject({ traceparent: '00-abc-01', sampled: true, priority: -2147483648 });
  });

  it.each([
    ['a fraction', 1.5],
    ['an integer beyond 32 bits', 2 ** 31],
    ['an object', { a: 1 }],
    ['text too long', 'x'.repeat(MAX_EXTENSION_VALUE_LENGTH + 1)],
    ['a control character', 'a\u0007b'],
  ])('refuses a value that is %s', (_, value) => {
    expect(paths({ ...created(), ext: value })).toEqual(['ext']);
  });
});

describe('money', () => {
  it('accepts up to 10^12 minor units per entry and refuses more, such as the MAX_SAFE_INTEGER credits of issue 13', () => {
    expect(errorsOf(walletEvent('credited', 'w', MAX_MONEY_MINOR_UNITS))).toEqual([]);
    expect(errorsOf(walletEvent('credited', 'w', MAX_MONEY_MINOR_UNITS + 1))).toEqual([
      { path: 'data.amount.value', message: `must be at most ${MAX_MONEY_MINOR_UNITS} minor units` },
    ]);
    expect(paths(walletEvent('credited', 'w', Number.MAX_SAFE_INTEGER))).toEqual(['data.amount.value']);
  });
});

describe('times', () => {
  const at = (time: string) => ({ ...created(), time });

  it.each([
    ['an offset that carries it past year 9999', '9999-12-31T23:59:59-23:59'],
    ['an offset that carries it before year 0000', '0000-01-01T00:00:00+00:01'],
    ['an expanded year', '+010000-01-01T00:00:00Z'],
    ['a two-digit year', '26-11-01T08:00:00Z'],
    ['no offset', '2026-11-01T08:00:00'],
    ['a day that does not exist', '2026-02-29T08:00:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['more than nanosecond precision', '2026-11-01T08:00:00.1234567890Z'],
  ])('refuses a time with %s, with one error at time', (_, time) => {
    expect(paths(at(time))).toEqual(['time']);
  });

  it('accepts the edges of the four-digit years in UTC, and stores them as they sort', () => {
    expect(errorsOf(at('9999-12-31T23:59:59.999999999Z'), new Date('9999-12-31T23:59:00Z'))).toEqual([]);
    expect(errorsOf(at('0000-01-01T00:00:00-00:01'))).toEqual([]);
  });

  it.each(['promisedBy', 'eta', 'nextAttemptAt'])('holds %s to the same rule', (field) => {
    const event =
      field === 'promisedBy'
        ? created({ promisedBy: '9999-12-31T23:59:59-23:59' })
        : field === 'eta'
          ? shipmentStatus('out_for_delivery', 'shp-1', 1, { eta: '9999-12-31T23:59:59-23:59' })
          : shipmentStatus('delivery_failed', 'shp-1', 1, { reason: 'x', nextAttemptAt: '9999-12-31T23:59:59-23:59' });
    expect(paths(event)).toEqual([`data.${field}`]);
  });

  it('refuses an event dated more than 5 minutes after the request was received, and only then', () => {
    const received = new Date('2026-11-01T12:00:00Z');
    const dated = (ms: number) => at(new Date(received.getTime() + ms).toISOString());
    expect(errorsOf(dated(MAX_EVENT_TIME_AHEAD_MS), received)).toEqual([]);
    expect(errorsOf(dated(MAX_EVENT_TIME_AHEAD_MS + 1), received)).toEqual([
      { path: 'time', message: expect.stringContaining('5 minutes after the request was received') },
    ]);
    expect(paths([created(), at('9999-12-31T23:59:59Z')])).toEqual(['[1].time']);
    // A promise or an ETA is about the future: only the event's own time is held to its receipt.
    expect(errorsOf(created({ promisedBy: '2027-06-01T00:00:00Z' }), received)).toEqual([]);
  });

  it('takes the receipt time from the clock when none is given', () => {
    expect(() => parseEvents(at(new Date(Date.now() + 10 * 60_000).toISOString()))).toThrow(ValidationError);
    expect(parseEvents(at(new Date(Date.now() + 60_000).toISOString())).events).toHaveLength(1);
  });
});

describe('free text', () => {
  it.each(Object.entries(TEXT_LIMITS))('bounds %s at %i characters', (field, limit) => {
    const event = (value: string) => {
      switch (field) {
        case 'name':
          return created({ customer: { ...customer, name: value } });
        case 'carrier':
        case 'trackingNumber':
          return shipped({ [field]: value });
        case 'location':
        case 'signedBy':
          return shipmentStatus('delivered', 'shp-1', 1, { [field]: value });
        case 'reason':
          return shipmentStatus('delivery_failed', 'shp-1', 1, { reason: value });
        case 'pickupPoint':
          return shipmentStatus('available_for_pickup', 'shp-1', 1, { pickupPoint: value });
        default:
          return { ...walletEvent('debited', 'w', 1), data: { ...walletEvent('debited', 'w', 1).data, reference: value } };
      }
    };
    const path = field === 'name' ? 'data.customer.name' : `data.${field}`;
    expect(errorsOf(event('x'.repeat(limit)))).toEqual([]);
    expect(paths(event('x'.repeat(limit + 1)))).toEqual([path]);
  });

  it('is stored in NFC with white space folded, so CR, LF and tabs cannot forge lines', () => {
    const event = accepted(shipped({ carrier: '  DHL\r\n[outbox] sms to\tsomeone ', trackingNumber: 'Cafe\u0301 1' }));
    expect(event.data).toMatchObject({ carrier: 'DHL [outbox] sms to someone', trackingNumber: 'Café 1' });
  });

  it.each([
    ['NUL', '\u0000'],
    ['BEL', '\u0007'],
    ['ESC', '\u001b'],
    ['DEL', '\u007f'],
    ['a C1 control', '\u0085'],
    ['a right-to-left override', '\u202e'],
    ['a left-to-right embedding', '\u202a'],
    ['a first-strong isolate', '\u2068'],
    ['a right-to-left mark', '\u200f'],
    ['an Arabic letter mark', '\u061c'],
    ['a zero-width space', '\u200b'],
    ['a tag character', '\u{e0041}'],
    ['a private-use character', '\u{f0000}'],
    ['a lone surrogate', '\udc00'],
    ['a noncharacter', '\ufffe'],
  ])('refuses %s in carrier, naming it', (_, char) => {
    const errors = errorsOf(shipped({ carrier: `DHL${char}Express` }));
    expect(errors).toEqual([
      { path: 'data.carrier', message: expect.stringMatching(/^must not contain control.*found U\+[0-9A-F]{4,5}$/) },
    ]);
  });

  it('keeps the joiners that scripts and emoji need', () => {
    expect(accepted(created({ customer: { ...customer, name: 'می‌خواهم 👩‍👩‍👧' } })).data.customer.name).toBe('می‌خواهم 👩‍👩‍👧');
  });
});

describe('tracking links', () => {
  const link = (trackingUrl: string) => shipped({ trackingUrl });

  it.each([
    ['a look-alike Unicode host (Cyrillic)', 'https://раураl.com/'],
    ['user information', 'https://track.example.com@evil.example/'],
    ['a space', 'https://track.example.com/a b'],
    ['a right-to-left override', 'https://track.example.com/\u202e'],
    ['a backslash', 'https://track.example.com\\@evil.example/'],
    ['http', 'http://track.example.com/1'],
    ['javascript:', 'javascript:alert(1)'],
    ['an IP address', 'https://192.0.2.1/track'],
    ['a single-label host', 'https://localhost/track'],
    ['more than 512 characters', `https://track.example.com/${'x'.repeat(512)}`],
    ['not a URL', 'track.example.com/1'],
  ])('refuses %s with one error', (_, url) => {
    expect(paths(link(url))).toEqual(['data.trackingUrl']);
  });

  it('accepts an IDN in its xn-- form and stores what a browser would open', () => {
    expect(accepted(link('https://xn--80ak6aa92e.com/1')).data.trackingUrl).toBe('https://xn--80ak6aa92e.com/1');
    expect(accepted(link('https://Track.Example.com:443/a/../JD1?x=1')).data.trackingUrl).toBe('https://track.example.com/JD1?x=1');
  });
});
