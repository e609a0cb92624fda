import { describe, expect, it } from 'vitest';
import { claimKeyOf } from '../../functions/lib/adapters/dynamo-notification-claims.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import { notificationsForChange, reachableChannels } from '../../functions/lib/domain/notification-policy.ts';
import { formatMoney, LANGUAGES, languageOf, renderEmail, renderSms } from '../../functions/lib/domain/notification-templates.ts';
import { isQuietHour, smsSendableAt } from '../../functions/lib/domain/quiet-hours.ts';
import { SHIPMENT_STATUSES, type ShipmentState, type ShipmentStatus } from '../../functions/lib/domain/shipment.ts';
import { isGsm7, measureSms, prepareSms } from '../../functions/lib/domain/sms-encoding.ts';
import { redactPii } from '../../functions/lib/runtime/pii-redaction.ts';
import { shippedSms } from '../support/notification-fakes.ts';

const customer = { id: 'cus-1', name: 'Ana', phone: '+34600111222', email: 'ana@example.com', locale: 'es-ES', timeZone: 'Europe/Madrid' };

function shipment(status: ShipmentStatus, overrides: Partial<ShipmentState> = {}): ShipmentState {
  const statusTime = '2026-11-01T10:00:00.000Z';
  return {
    shipmentId: 'shp-1',
    owner: 'ams',
    status,
    statusTime,
    statusDetails: {},
    customer,
    marks: { status: `${statusTime}#00#ams#s#${status}` },
    ...overrides,
  };
}

function message(overrides: Partial<NotificationMessage>): NotificationMessage {
  return shippedSms({ occurredAt: '2026-11-01T10:00:00.000Z', ...overrides });
}

const ANNOUNCED = [
  'shipped',
  'out_for_delivery',
  'delivered',
  'delivery_failed',
  'attempted_delivery',
  'available_for_pickup',
  'returned',
  'cancelled',
  'returned_to_sender',
] as const;

describe('notification policy', () => {
  it('announces every status from shipped on but in_transit', () => {
    const announced = SHIPMENT_STATUSES.filter((status) => notificationsForChange(shipment('created'), shipment(status)).length > 0);
    expect(announced).toEqual([
      'shipped',
      'out_for_delivery',
      'delivery_failed',
      'attempted_delivery',
      'available_for_pickup',
      'delivered',
      'returned',
      'cancelled',
      'returned_to_sender',
    ]);
  });

  it("carries each milestone's own details, and where a parcel was left only when it was not handed to the customer", () => {
    const details = (status: ShipmentStatus, statusDetails: Record<string, string>) =>
      notificationsForChange(shipment('in_transit'), shipment(status, { statusDetails }))[0]?.shipment;
    expect(details('available_for_pickup', { pickupPoint: 'Kiosk 12', collectBy: '2026-11-08T18:00:00.000Z' })).toMatchObject({
      pickupPoint: 'Kiosk 12',
      collectBy: '2026-11-08T18:00:00.000Z',
    });
    expect(details('attempted_delivery', { nextAttemptAt: '2026-11-02T09:00:00.000Z' })).toMatchObject({
      nextAttemptAt: '2026-11-02T09:00:00.000Z',
    });
    expect(details('delivered', { deliveredTo: 'neighbour', location: 'No. 14' })).toMatchObject({
      deliveredTo: 'neighbour',
      location: 'No. 14',
    });
    const toCustomer = details('delivered', { deliveredTo: 'recipient', location: 'Front door', signedBy: 'A. García' });
    expect([toCustomer?.deliveredTo, toCustomer?.location]).toEqual(['recipient', undefined]);
  });

  it('tells a delivery date moved by a day or more once per new estimate, in the customer’s time zone', () => {
    const day = (date: string) => ({ date, timeZone: 'Europe/Madrid' });
    const window = (from: string, to: string) => ({ from, to, timeZone: 'Europe/Madrid' });
    const revised = (before: ShipmentState, after: ShipmentState) =>
      notificationsForChange(before, after).map((m) => `${m.eventType} ${m.channel} ${claimKeyOf(m).SK}`);
    const was = shipment('in_transit', { estimatedDelivery: day('2026-11-05') });
    expect(revised(was, shipment('in_transit', { statusTime: '2026-11-01T11:00:00.000Z', estimatedDelivery: day('2026-11-07') }))).toEqual([
      'shipment.delivery_date_changed sms NOTIFICATION#revised@2026-11-07#sms',
      'shipment.delivery_date_changed email NOTIFICATION#revised@2026-11-07#email',
    ]);
    // 23:30 in Madrid is still the 5th there, though the 6th in Tokyo: no news for a customer in Madrid.
    expect(revised(was, shipment('in_transit', { estimatedDelivery: window('2026-11-05T20:00:00Z', '2026-11-05T22:30:00Z') }))).toEqual([]);
    // The day is the customer's, not the estimate's: a window ending at 11:00 UTC on the 5th ends on
    // the 6th for a customer at UTC+13 (news), and on the 5th for one in Madrid (none).
    const lateWindow = { from: '2026-11-05T09:00:00Z', to: '2026-11-05T11:00:00Z', timeZone: 'UTC' };
    const farEast = { ...customer, timeZone: 'Etc/GMT-13' };
    expect(
      revised(
        shipment('in_transit', { customer: farEast, estimatedDelivery: day('2026-11-05') }),
        shipment('in_transit', { customer: farEast, estimatedDelivery: lateWindow }),
      ),
    ).toHaveLength(2);
    expect(revised(was, shipment('in_transit', { estimatedDelivery: lateWindow }))).toEqual([]);
    // shipped says the date itself; delivered makes it moot.
    expect(revised(was, shipment('shipped', { estimatedDelivery: day('2026-11-07') }))).toEqual([
      'shipment.shipped sms NOTIFICATION#shipped@2026-11-01T10:00:00.000Z#sms',
      'shipment.shipped email NOTIFICATION#shipped@2026-11-01T10:00:00.000Z#email',
    ]);
    expect(revised(was, shipment('delivered', { estimatedDelivery: day('2026-11-07') })).filter((m) => m.includes('revised'))).toEqual([]);
  });

  it('sends one message per channel the customer allows and can be reached on', () => {
    expect(reachableChannels(customer)).toEqual(['sms', 'email']);
    expect(reachableChannels({ ...customer, channels: ['email'] })).toEqual(['email']);
    expect(reachableChannels({ id: 'c', phone: '+34600111222' })).toEqual(['sms']);
    const messages = notificationsForChange(shipment('packed'), shipment('shipped', { trackingUrl: 'https://t.example/1' }));
    expect(messages.map((m) => [m.notificationId, m.recipient, m.locale])).toEqual([
      ['shipment#shp-1#shipped@2026-11-01T10:00:00.000Z#sms', '+34600111222', 'es-ES'],
      ['shipment#shp-1#shipped@2026-11-01T10:00:00.000Z#email', 'ana@example.com', 'es-ES'],
    ]);
  });

  it("carries the shipment's owner, and the reason of the current status from its own details", () => {
    const [sms] = notificationsForChange(
      shipment('out_for_delivery'),
      shipment('delivery_failed', { statusDetails: { reason: 'nobody home' } }),
    );
    expect(sms).toMatchObject({ owner: 'ams', shipment: { status: 'delivery_failed', reason: 'nobody home' } });
  });

  it('says nothing when the status did not move (an older event, a detail)', () => {
    expect(notificationsForChange(shipment('shipped'), shipment('shipped', { carrier: 'DHL' }))).toEqual([]);
  });

  it('tells the current status on the channels that became reachable when contact details arrive late', () => {
    const before = shipment('shipped', { customer: undefined });
    expect(notificationsForChange(before, shipment('shipped')).map((m) => m.channel)).toEqual(['sms', 'email']);
  });

  it('keys a wallet message’s claim in the wallet partition by reconciliation and channel', () => {
    const wallet = message({
      notificationId: 'wallet#w-1#rec-42#email',
      eventType: 'wallet.balance_confirmed',
      channel: 'email',
      shipment: undefined,
      wallet: { walletId: 'w-1', balance: 1234, currency: 'EUR', reconciledAt: '2026-11-01T10:00:00.000Z' },
    });
    expect(claimKeyOf(wallet)).toEqual({ PK: 'WALLET#w-1', SK: 'NOTIFICATION#rec-42#email' });
  });
});

describe('templates', () => {
  it('has an SMS and an email for every announced status in every language', () => {
    for (const language of LANGUAGES) {
      for (const status of ANNOUNCED) {
        const m = message({
          locale: language,
          eventType: `shipment.${status}`,
          shipment: { shipmentId: 'shp-1', status, trackingNumber: 'JD0001' },
        });
        const sms = renderSms(m);
        expect(sms.encoding, `${language}/${status}`).toBe('GSM-7');
        expect(sms.units).toBeLessThanOrEqual(160);
        expect(renderEmail(m).text).toContain('JD0001');
      }
    }
  });

  it('says where a parcel waits or was left, and when the carrier comes again, in the customer’s language and time zone', () => {
    const render = (locale: string, shipment: NotificationMessage['shipment'] & object) =>
      renderSms(message({ locale, timeZone: 'Europe/Madrid', eventType: `shipment.${shipment.status}`, shipment })).text;
    const pickup = {
      shipmentId: 'shp-1',
      status: 'available_for_pickup',
      pickupPoint: 'Kiosk 12',
      collectBy: '2026-11-08T17:00:00Z',
    } as const;
    expect(render('en-GB', pickup)).toBe('Parcelcast: Your parcel shp-1 is ready for pickup at Kiosk 12. Collect it by 8 Nov 2026, 18:00.');
    expect(render('es-ES', pickup)).toBe(
      'Parcelcast: Tu paquete shp-1 esta listo para recoger en Kiosk 12. Recogelo antes del 8 nov 2026, 18:00.',
    );
    const attempt = { shipmentId: 'shp-1', status: 'attempted_delivery', nextAttemptAt: '2026-11-02T08:00:00Z' } as const;
    expect(render('de-DE', attempt)).toBe(
      'Parcelcast: Wir haben versucht, Ihr Paket shp-1 zuzustellen. Nächster Versuch: 02.11.2026, 09:00.',
    );
    const neighbour = { shipmentId: 'shp-1', status: 'delivered', deliveredTo: 'neighbour', location: 'No. 14' } as const;
    expect(render('fr-FR', neighbour)).toBe('Parcelcast: Votre colis shp-1 a été remis à un voisin (No. 14).');
    expect(render('en', { ...neighbour, deliveredTo: 'safe_place', location: 'behind the shed' })).toBe(
      'Parcelcast: Your parcel shp-1 has been left in a safe place (behind the shed).',
    );
    expect(render('en', { shipmentId: 'shp-1', status: 'returned_to_sender' })).toBe(
      'Parcelcast: Your parcel shp-1 is back with the sender.',
    );
  });

  it('says a new delivery date as a day, or a window in the customer’s time zone', () => {
    const revised = (locale: string, estimatedDelivery: NonNullable<NotificationMessage['shipment']>['estimatedDelivery']) =>
      renderSms(
        message({
          locale,
          timeZone: 'Europe/Madrid',
          eventType: 'shipment.delivery_date_changed',
          shipment: { shipmentId: 'shp-1', status: 'in_transit', estimatedDelivery },
        }),
      ).text;
    expect(revised('en-GB', { date: '2026-11-07', timeZone: 'Asia/Tokyo' })).toBe(
      'Parcelcast: New delivery date for your parcel shp-1: Sat 7 Nov.',
    );
    expect(revised('de-DE', { from: '2026-11-07T09:00:00Z', to: '2026-11-07T11:00:00Z', timeZone: 'UTC' })).toBe(
      'Parcelcast: Neuer Liefertermin für Ihr Paket shp-1: Sa., 7. Nov., 10:00-12:00 Uhr.',
    );
  });

  it('picks the language by the locale’s language subtag, English otherwise', () => {
    expect([languageOf('es-MX'), languageOf('fr-CA'), languageOf('de'), languageOf('pt-BR'), languageOf('not a locale')]).toEqual([
      'es',
      'fr',
      'de',
      'en',
      'en',
    ]);
    expect(renderSms(message({ locale: 'de-AT' })).text).toBe('Parcelcast: Ihr Paket shp-1 wurde versandt.');
    expect(renderSms(message({ locale: 'fr-FR' })).text).toBe('Parcelcast: Votre colis shp-1 a été expédié.');
  });

  it('adds the tracking link when known, dropping optional details to keep one segment', () => {
    const url = `https://tracking.example/${'x'.repeat(60)}`;
    const sms = renderSms(
      message({ shipment: { shipmentId: 'shp-1', status: 'shipped', carrier: 'A very long carrier name logistics', trackingUrl: url } }),
    );
    expect(sms.text).toBe(`Parcelcast: Your parcel shp-1 has shipped. Track it: ${url}`);
    expect(sms.segments).toBe(1);
  });

  it('drops the optional details, then the link, then cuts the reference, then the sentence, to keep one segment', () => {
    const shipped = (extra: Record<string, string>) =>
      renderSms(message({ shipment: { shipmentId: 'shp-1', status: 'shipped', trackingNumber: 'JD0001', ...extra } }));
    const link = `https://track.example.com/${'x'.repeat(150)}`;
    expect(shipped({ carrier: 'DHL', trackingUrl: link }).text).toBe('Parcelcast: Your parcel JD0001 has shipped with DHL.');
    expect(shipped({ trackingNumber: '📦'.repeat(32) }).text).toBe(`Parcelcast: Your parcel ${'📦'.repeat(15)}... has shipped.`);
    const failed = renderSms(
      message({
        locale: 'de',
        eventType: 'shipment.delivery_failed',
        shipment: { shipmentId: 'shp-1', status: 'delivery_failed', trackingNumber: '包裹'.repeat(10), reason: '不在家' },
      }),
    );
    expect(failed).toMatchObject({
      text: 'Parcelcast: Ihr Paket 包裹包裹包裹包裹... konnte nicht zugestellt werden. W...',
      encoding: 'UCS-2',
      segments: 1,
    });
  });

  it('writes a balance plainly when the locale’s own symbols would not fit, and never cuts it', () => {
    const wallet = (locale: string, balance: number, currency: string) =>
      renderSms(
        message({
          eventType: 'wallet.balance_confirmed',
          locale,
          shipment: undefined,
          wallet: { walletId: 'w-1', balance, currency, reconciledAt: '2026-11-01T10:00:00.000Z' },
        }),
      ).text;
    expect(wallet('fr-FR', 1_000_000_000_000_000, 'EUR')).toBe(
      'Parcelcast: Le solde de votre portefeuille est de 10 000 000 000 000,00 € (confirmé le 1 nov. 2026, 10:00).',
    );
    expect(wallet('fr-FR', -999_999_999_999_999, 'INR')).toBe(
      'Parcelcast: Le solde de votre portefeuille est de -INR 9,999,999,999,999.99.',
    );
    expect(formatMoney(999_999_999_999_999, 'EUR', 'en')).toBe('€9,999,999,999,999.99');
  });

  it('shows stored text as safe text: control and bidi characters stripped, an unsafe link left out', () => {
    const legacy = message({
      channel: 'email',
      customerName: 'Ana\u202e',
      shipment: {
        shipmentId: 'shp-1',
        status: 'shipped',
        carrier: 'DHL\u001b[2J\r\n[outbox] forged\u0007',
        trackingUrl: 'https://track.example.com@evil.example/',
      },
    });
    expect(renderSms(legacy).text).toBe('Parcelcast: Your parcel shp-1 has shipped with DHL[2J [outbox] forged.');
    const email = renderEmail(legacy);
    expect(email.text).toBe('Hello Ana,\n\nYour parcel shp-1 has shipped with DHL[2J [outbox] forged.\n\nThe Parcelcast team\n');
    expect(email.html).not.toContain('evil.example');
  });

  it('formats money in the customer’s locale and currency', () => {
    expect(formatMoney(123456, 'EUR', 'de-DE')).toBe('1.234,56\u00a0€');
    expect(formatMoney(123456, 'USD', 'en-US')).toBe('$1,234.56');
    expect(formatMoney(1500, 'JPY', 'ja-JP')).toBe('￥1,500');
    const wallet = message({
      eventType: 'wallet.balance_confirmed',
      locale: 'fr-FR',
      timeZone: 'Europe/Paris',
      shipment: undefined,
      wallet: { walletId: 'w-1', balance: 4250, currency: 'EUR', reconciledAt: '2026-11-01T10:00:00.000Z' },
    });
    expect(renderSms(wallet).text).toBe('Parcelcast: Le solde de votre portefeuille est de 42,50 € (confirmé le 1 nov. 2026, 11:00).');
    expect(renderEmail(wallet).subject).toBe('Le solde de votre portefeuille');
  });

  it('escapes customer-provided text in the HTML body', () => {
    const email = renderEmail(message({ channel: 'email', customerName: '<b>Ana</b>' }));
    expect(email.html).toContain('&lt;b&gt;Ana&lt;/b&gt;');
    expect(email.html).not.toContain('<b>Ana</b>');
  });
});

describe('GSM-7', () => {
  it('counts escape characters as two septets and splits long text into 153-septet parts', () => {
    expect(measureSms('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(measureSms('a'.repeat(161))).toMatchObject({ segments: 2 });
  });

  it('transliterates accents and typographic characters GSM-7 lacks', () => {
    expect(prepareSms('Tu envío está en camino – «pronto»').text).toBe('Tu envio esta en camino - "pronto"');
    expect(isGsm7(prepareSms('Ça coûte 42,50\u00a0€, señor Müller').text)).toBe(true);
  });

  it('falls back to UCS-2 knowingly, with its segment count, when no transliteration exists', () => {
    expect(prepareSms(`Привет ${'a'.repeat(70)}`)).toMatchObject({ encoding: 'UCS-2', units: 77, segments: 2 });
  });
});

describe('quiet hours', () => {
  it('holds an SMS between 21:00 and 08:00 local until 08:00 local', () => {
    expect(isQuietHour(new Date('2026-07-01T18:59:00Z'), 'Europe/Madrid')).toBe(false);
    expect(smsSendableAt(new Date('2026-07-01T19:00:00Z'), 'Europe/Madrid').toISOString()).toBe('2026-07-02T06:00:00.000Z');
    expect(smsSendableAt(new Date('2026-07-02T05:30:00Z'), 'Europe/Madrid').toISOString()).toBe('2026-07-02T06:00:00.000Z');
    const noon = new Date('2026-07-02T10:00:00Z');
    expect(smsSendableAt(noon, 'Europe/Madrid')).toBe(noon);
    // No time zone: the customer's night is unknown, so nothing is held (not even at 23:00 UTC).
    const lateUtc = new Date('2026-07-01T23:00:00Z');
    expect(smsSendableAt(lateUtc, undefined)).toBe(lateUtc);
  });

  it('lands on 08:00 local across a daylight-saving change in the night', () => {
    // Europe/Madrid leaves summer time in the night of 25 October 2026.
    expect(smsSendableAt(new Date('2026-10-24T22:00:00Z'), 'Europe/Madrid').toISOString()).toBe('2026-10-25T07:00:00.000Z');
  });
});

describe('PII redaction for logs', () => {
  it('masks phone numbers and email addresses by key and inside text and errors', () => {
    const redacted = redactPii({
      recipient: '+34600111222',
      detail: { email: 'ana@example.com' },
      note: 'sent to ana@example.com and +34600111222',
      error: new Error('Invalid parameter: PhoneNumber +34600111222'),
    }) as Record<string, any>;
    expect(JSON.stringify(redacted)).not.toMatch(/ana@example\.com|\+34600111222/);
    expect(redacted.recipient).toBe('+34•••••••22');
    expect(redacted.error.message).toBe('Invalid parameter: PhoneNumber +34•••••••22');
  });
});
