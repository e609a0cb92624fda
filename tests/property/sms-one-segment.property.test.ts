import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_IDENTIFIER_LENGTH, parseEvents, type ShipmentEvent, TEXT_LIMITS } from '../../functions/lib/domain/cloud-events.ts';
import { DELIVERED_TO } from '../../functions/lib/domain/delivered-to.ts';
import { ValidationError } from '../../functions/lib/domain/errors.ts';
import { notificationsForChange, shipmentMessage } from '../../functions/lib/domain/notification-policy.ts';
import { formatMoney, formatMoneyPlain, renderEmail, renderSms } from '../../functions/lib/domain/notification-templates.ts';
import { balanceConfirmedMessages } from '../../functions/lib/domain/reconciliation.ts';
import { firstUnsafeCharacter, MAX_TRACKING_URL_LENGTH, sanitiseText } from '../../functions/lib/domain/safe-text.ts';
import type { Customer } from '../../functions/lib/domain/shipment.ts';
import { transliterateToGsm7 } from '../../functions/lib/domain/sms-encoding.ts';
import { combinedMessages } from '../../functions/lib/domain/split-orders.ts';
import { stallMessages } from '../../functions/lib/domain/stall-alerts.ts';
import { MAX_WALLET_BALANCE_MINOR_UNITS } from '../../functions/lib/domain/wallet.ts';
import { stateAfter } from '../support/shipments.ts';

// Whatever a warehouse sends that the schemas accept, every SMS is one segment and nothing unsafe reaches a customer.
const RUNS = { numRuns: 300 };

/** Characters that push an SMS out of GSM-7 or make it long: emoji, CJK, combining marks, joiners, escapes. */
const awkward = fc.constantFrom(
  '📦',
  '中',
  '包裹',
  'é',
  'e\u0301',
  'a\u0308\u0301\u0323',
  '👩‍👩‍👧‍👦',
  '🇪🇸',
  '🏳️‍🌈',
  'œ',
  '€',
  '{',
  '`',
  'ß',
  'Я',
  'ع',
  'ก',
  'ー',
  '\u200d',
  '\u200c',
  '…',
  '"',
  '\u00a0',
  ' ',
  '\n',
);
const unit = fc.oneof(
  awkward,
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }),
);

/** At most `max` UTF-16 units, never ending inside a surrogate pair. */
function upTo(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** Text up to `max` units: short mixes, and runs of one awkward unit right up to the limit. */
const textUpTo = (max: number) =>
  fc
    .oneof(
      fc.string({ unit, minLength: 1, maxLength: Math.min(max, 80) }),
      fc.tuple(unit, fc.integer({ min: 1, max })).map(([one, count]) => one.repeat(count)),
      fc.tuple(fc.string({ unit, minLength: 1, maxLength: 20 }), unit).map(([start, one]) => start + one.repeat(max)),
    )
    .map((text) => upTo(text, max));

const identifier = textUpTo(MAX_IDENTIFIER_LENGTH).map((text) => text.trim() || 'x');

const hostLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const trackingUrl = fc
  .tuple(
    fc.array(hostLabel, { minLength: 1, maxLength: 3 }),
    fc.constantFrom('com', 'es', 'example', 'xn--p1ai'),
    fc.string({ unit: fc.constantFrom(...'abcXYZ0189-._~!$&()*+,;=:@/%?{}|^`[]'.split('')), maxLength: MAX_TRACKING_URL_LENGTH }),
  )
  .map(([labels, tld, path]) => upTo(`https://${labels.join('.')}.${tld}/${path}`, MAX_TRACKING_URL_LENGTH));

const locale = fc.oneof(
  fc.constantFrom('en', 'es-ES', 'fr-FR', 'de-DE', 'de-CH', 'ar-EG', 'fa-IR', 'he-IL', 'zh-CN', 'ja-JP', 'ko-KR', 'hi-IN', 'bn-BD'),
  fc.constantFrom('th-TH', 'my-MM', 'ru-RU', 'uk-UA', 'el-GR', 'am-ET', 'sv-SE', 'fi-FI', 'en-u-nu-arab', 'es-u-nu-deva', 'ta-IN'),
);
const timeZone = fc.constantFrom(...Intl.supportedValuesOf('timeZone'));
const currency = fc.constantFrom(...Intl.supportedValuesOf('currency'));
/** Any instant with a four-digit year in UTC: the schemas accept them all for promises and ETAs. */
const instant = fc.integer({ min: Date.UTC(0, 0, 1) + 86_400_000, max: Date.UTC(9999, 11, 30) }).map((ms) => new Date(ms).toISOString());

/** Any estimate the schemas accept: a day of a four-digit year, or a window of up to 14 days, in any zone. */
const estimatedDelivery = fc.oneof(
  fc.record({ date: instant.map((iso) => iso.slice(0, 10)), timeZone }),
  fc.tuple(instant, fc.integer({ min: 0, max: 14 * 86_400_000 }), timeZone).map(([from, span, zone]) => ({
    from,
    to: new Date(Math.min(Date.parse(from) + span, Date.UTC(9999, 11, 30))).toISOString(),
    timeZone: zone,
  })),
);

const customer = fc.record(
  {
    id: identifier,
    name: textUpTo(TEXT_LIMITS.name),
    phone: fc.constant('+34600111222'),
    email: fc.constant('ana@example.com'),
    locale,
    timeZone,
  },
  { requiredKeys: ['id', 'phone', 'email'] },
);

/** The `data` of each announced status, every optional field drawn up to its limit. */
const statusData = fc.oneof(
  fc
    .record(
      { carrier: textUpTo(TEXT_LIMITS.carrier), trackingNumber: textUpTo(TEXT_LIMITS.trackingNumber), trackingUrl, estimatedDelivery },
      { requiredKeys: [] },
    )
    .map((data) => ['shipped', data] as const),
  fc.record({ eta: instant }, { requiredKeys: [] }).map((data) => ['out_for_delivery', data] as const),
  fc
    .record(
      {
        location: textUpTo(TEXT_LIMITS.location),
        signedBy: textUpTo(TEXT_LIMITS.signedBy),
        deliveredTo: fc.constantFrom(...DELIVERED_TO),
      },
      { requiredKeys: [] },
    )
    .map((data) => ['delivered', data] as const),
  fc
    .record({ reason: textUpTo(TEXT_LIMITS.reason), nextAttemptAt: instant }, { requiredKeys: ['reason'] })
    .map((data) => ['delivery_failed', data] as const),
  fc
    .record({ nextAttemptAt: instant, reason: textUpTo(TEXT_LIMITS.reason) }, { requiredKeys: ['nextAttemptAt'] })
    .map((data) => ['attempted_delivery', data] as const),
  fc
    .record({ pickupPoint: textUpTo(TEXT_LIMITS.pickupPoint), collectBy: instant }, { requiredKeys: ['pickupPoint'] })
    .map((data) => ['available_for_pickup', data] as const),
  fc.record({ reason: textUpTo(TEXT_LIMITS.reason) }, { requiredKeys: [] }).map((data) => ['returned', data] as const),
  fc.record({ reason: textUpTo(TEXT_LIMITS.reason) }, { requiredKeys: [] }).map((data) => ['cancelled', data] as const),
  fc.record({ reason: textUpTo(TEXT_LIMITS.reason) }, { requiredKeys: [] }).map((data) => ['returned_to_sender', data] as const),
);

const createdData = fc.record(
  {
    shipmentId: identifier,
    orderId: identifier,
    customer,
    carrier: textUpTo(TEXT_LIMITS.carrier),
    trackingNumber: textUpTo(TEXT_LIMITS.trackingNumber),
    trackingUrl,
    promisedBy: instant,
    estimatedDelivery,
  },
  { requiredKeys: ['shipmentId', 'orderId', 'customer'] },
);

const envelope = (type: string, id: string, time: string, data: unknown) => ({
  specversion: '1.0',
  id,
  source: '//warehouse/ams-1',
  type,
  time,
  data,
});

/** The events as ingest would store them, or undefined when the schemas refuse them (those never reach a template). */
function accepted(events: unknown[]): ShipmentEvent[] | undefined {
  try {
    return parseEvents(events).events as ShipmentEvent[];
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}

function expectOneSafeSegment(text: string, sms: ReturnType<typeof renderSms>) {
  expect(sms.segments, text).toBe(1);
  expect(sms.units, text).toBeLessThanOrEqual(sms.encoding === 'GSM-7' ? 160 : 70);
  expect(sms.text.startsWith('Parcelcast: '), text).toBe(true);
  expect(firstUnsafeCharacter(sms.text), text).toBeUndefined();
}

describe('every SMS is one segment', () => {
  it('for any accepted shipment events, in any language, locale and time zone', () => {
    let rendered = 0;
    fc.assert(
      fc.property(createdData, statusData, (created, [status, data]) => {
        const events = accepted([
          envelope('shipment.created', 'e1', '2026-11-01T08:00:00Z', created),
          envelope(`shipment.${status}`, 'e2', '2026-11-01T09:00:00Z', { shipmentId: created.shipmentId, ...data }),
        ]);
        fc.pre(events !== undefined);
        const [first, second] = events as [ShipmentEvent, ShipmentEvent];
        const before = stateAfter([first]);
        const after = stateAfter([first, second])!;
        const messages = notificationsForChange(before, after);
        expect(messages.map((message) => message.channel)).toEqual(['sms', 'email']);
        for (const message of messages) {
          const sms = renderSms(message);
          expectOneSafeSegment(JSON.stringify(message), sms);
          // Emails keep the whole text: every detail the warehouse sent, as safe text shows it (an
          // identifier is stored exactly as sent, so a run of spaces in it is shown as one).
          const email = renderEmail(message);
          for (const line of email.text.split('\n')) expect(firstUnsafeCharacter(line)).toBeUndefined();
          const shipment = message.shipment!;
          const shown = [shipment.trackingNumber ?? shipment.shipmentId, shipment.trackingUrl];
          if (shipment.status === 'shipped') shown.push(shipment.carrier);
          if (['delivery_failed', 'returned', 'cancelled', 'returned_to_sender'].includes(shipment.status)) shown.push(shipment.reason);
          if (shipment.status === 'available_for_pickup') shown.push(shipment.pickupPoint);
          if (shipment.deliveredTo === 'neighbour' || shipment.deliveredTo === 'safe_place') shown.push(shipment.location);
          for (const detail of shown) {
            if (!detail) continue;
            // Accepted text is never only white space, so what the email shows of it is never empty.
            expect(sanitiseText(detail)).not.toBe('');
            expect(email.text).toContain(sanitiseText(detail));
          }
        }
        // The delay message of a stall at that status, with the same hostile details.
        for (const message of stallMessages(after)) {
          if (message.channel === 'sms') expectOneSafeSegment(JSON.stringify(message), renderSms(message));
          else for (const line of renderEmail(message).text.split('\n')) expect(firstUnsafeCharacter(line)).toBeUndefined();
        }
        rendered += 1;
      }),
      RUNS,
    );
    // Most generated events are accepted: the property is about them, not about refusals.
    expect(rendered).toBeGreaterThan(RUNS.numRuns / 2);
  });

  it('shows an identifier with a run of spaces as safe text folds it (a counterexample found by the property above)', () => {
    const created = { shipmentId: '!  📦', orderId: 'x', customer: { id: 'x', phone: '+34600111222', email: 'ana@example.com' } };
    const events = accepted([
      envelope('shipment.created', 'e1', '2026-11-01T08:00:00Z', created),
      envelope('shipment.attempted_delivery', 'e2', '2026-11-01T09:00:00Z', {
        shipmentId: created.shipmentId,
        nextAttemptAt: '1970-01-01T00:00:00.000Z',
      }),
    ]) as [ShipmentEvent, ShipmentEvent];
    // The key keeps both spaces; what the customer reads folds them, like any other white space run.
    expect(stateAfter(events)?.shipmentId).toBe('!  📦');
    const messages = notificationsForChange(stateAfter([events[0]]), stateAfter(events)!);
    expect(messages.map((message) => message.channel)).toEqual(['sms', 'email']);
    for (const message of messages) {
      if (message.channel === 'sms') expectOneSafeSegment(JSON.stringify(message), renderSms(message));
      else expect(renderEmail(message).text).toContain('your parcel ! 📦.');
    }
  });

  it('for any new delivery date, saying the date in the customer’s language and time zone', () => {
    let rendered = 0;
    fc.assert(
      fc.property(createdData, estimatedDelivery, (created, revised) => {
        const events = accepted([
          envelope('shipment.created', 'e1', '2026-11-01T08:00:00Z', created),
          envelope('shipment.in_transit', 'e2', '2026-11-01T09:00:00Z', { shipmentId: created.shipmentId, estimatedDelivery: revised }),
        ]);
        fc.pre(events !== undefined);
        const [first, second] = events as [ShipmentEvent, ShipmentEvent];
        const messages = notificationsForChange(stateAfter([first]), stateAfter([first, second])!);
        for (const message of messages) {
          expect(message.eventType).toBe('shipment.delivery_date_changed');
          if (message.channel === 'sms') expectOneSafeSegment(JSON.stringify(message), renderSms(message));
          else for (const line of renderEmail(message).text.split('\n')) expect(firstUnsafeCharacter(line)).toBeUndefined();
        }
        rendered += messages.length;
      }),
      RUNS,
    );
    // Most pairs of estimates are a day or more apart: the property is about those messages.
    expect(rendered).toBeGreaterThan(RUNS.numRuns / 2);
  });

  it('for any split order’s combined message, naming up to many parcels with hostile references', () => {
    let rendered = 0;
    fc.assert(
      fc.property(
        createdData,
        fc.uniqueArray(fc.tuple(identifier, textUpTo(TEXT_LIMITS.trackingNumber)), { minLength: 2, maxLength: 8, selector: ([id]) => id }),
        fc.constantFrom('out_for_delivery', 'delivered'),
        (created, parcels, status) => {
          const events = parcels.map(([shipmentId, trackingNumber], index) =>
            accepted([
              envelope('shipment.created', `c${index}`, '2026-11-01T08:00:00Z', { ...created, shipmentId, trackingNumber }),
              envelope(`shipment.${status}`, `s${index}`, '2026-11-01T09:00:00Z', { shipmentId }),
            ]),
          );
          // Parcels whose events the schemas refuse never reach a template; the rest are the order's.
          const states = events.flatMap((pair) => (pair ? [stateAfter(pair)!] : []));
          fc.pre(states.length >= 2);
          const window = { owner: states[0]!.owner, orderId: created.orderId, status };
          const messages = combinedMessages(window, states, shipmentMessage);
          expect(messages.map((message) => message.order?.parcels.length)).toEqual([states.length, states.length]);
          for (const message of messages) {
            if (message.channel === 'sms') expectOneSafeSegment(JSON.stringify(message), renderSms(message));
            else {
              const email = renderEmail(message);
              for (const line of email.text.split('\n')) expect(firstUnsafeCharacter(line)).toBeUndefined();
            }
          }
          rendered += 1;
        },
      ),
      { numRuns: 150 },
    );
    expect(rendered).toBeGreaterThan(75);
  });

  it('for any confirmed balance, never cutting the amount', () => {
    fc.assert(
      fc.property(
        customer,
        fc.integer({ min: -MAX_WALLET_BALANCE_MINOR_UNITS, max: MAX_WALLET_BALANCE_MINOR_UNITS }),
        currency,
        identifier,
        instant,
        (profile, balance, code, walletId, reconciledAt) => {
          const events = accepted([
            envelope('shipment.created', 'e1', '2026-11-01T08:00:00Z', { shipmentId: 's', orderId: 'o', customer: profile }),
          ]);
          fc.pre(events !== undefined);
          const stored = (events as [ShipmentEvent])[0].data as { customer: Customer };
          const confirmed = { walletId, owner: 'ams', customerId: stored.customer.id, balance, currency: code, reconciledAt };
          const [sms] = balanceConfirmedMessages(confirmed, stored.customer, 'rec-1');
          const rendered = renderSms(sms as never);
          expectOneSafeSegment(JSON.stringify(sms), rendered);
          const amounts = [formatMoney(balance, code, sms?.locale ?? 'en'), formatMoneyPlain(balance, code)].map((amount) =>
            transliterateToGsm7(sanitiseText(amount)),
          );
          expect(
            amounts.some((amount) => rendered.text.includes(amount)),
            `${rendered.text} / ${amounts.join(' | ')}`,
          ).toBe(true);
        },
      ),
      RUNS,
    );
  });
});

describe('safe text', () => {
  /** Code points the schemas refuse in free text: controls, bidi and other format characters, private use, noncharacters. */
  const unsafe = fc.oneof(
    fc.integer({ min: 0x00, max: 0x1f }).filter((code) => ![0x09, 0x0a, 0x0b, 0x0c, 0x0d].includes(code)),
    fc.integer({ min: 0x7f, max: 0x9f }),
    fc.constantFrom(0x061c, 0x200b, 0x200e, 0x200f, 0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0xfff9, 0xfffe, 0xffff),
    fc.integer({ min: 0x202a, max: 0x202e }),
    fc.constantFrom(0xe0001, 0xe007f),
    fc.integer({ min: 0xe0020, max: 0xe007e }),
    fc.integer({ min: 0xe000, max: 0xf8ff }),
    fc.integer({ min: 0xf0000, max: 0xffffd }),
  );

  it('refuses any free text that carries an unsafe character, naming its field', () => {
    fc.assert(
      fc.property(textUpTo(40), unsafe, fc.constantFrom('carrier', 'trackingNumber'), (around, code, field) => {
        const value = `${around}${String.fromCodePoint(code)}${around}`;
        const events = [envelope('shipment.shipped', 'e1', '2026-11-01T08:00:00Z', { shipmentId: 's', [field]: value })];
        expect(() => parseEvents(events)).toThrow(ValidationError);
        try {
          parseEvents(events);
        } catch (error) {
          expect((error as ValidationError).errors.map((e) => e.path)).toContain(`[0].data.${field}`);
        }
      }),
      RUNS,
    );
  });
});
