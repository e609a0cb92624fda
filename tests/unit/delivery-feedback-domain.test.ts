import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sesEvents } from '../../emulator/services/sesv2.ts';
import { decodeDeliveryEvent } from '../../functions/lib/adapters/delivery-events.ts';
import { referenceOfTags, sesTags } from '../../functions/lib/adapters/ses-tags.ts';
import {
  advances,
  applyStatus,
  DELIVERY_STATUSES,
  type DeliveryStatus,
  isFinal,
  statusesBefore,
} from '../../functions/lib/domain/delivery-status.ts';
import { FALLBACK_STATUSES, fallbackChannel, fallbackMessage, mayFallBack } from '../../functions/lib/domain/fallback-policy.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import {
  allowedBy,
  InvalidPreferenceLinkError,
  isEssential,
  signPreferenceToken,
  verifyPreferenceToken,
} from '../../functions/lib/domain/preferences.ts';
import { SHIPMENT_STATUSES, type ShipmentStatus } from '../../functions/lib/domain/shipment.ts';
import { contactDigest, maskedContact, normaliseContact } from '../../functions/lib/domain/suppression.ts';

function message(channel: 'sms' | 'email', status: ShipmentStatus, overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    notificationId: `shipment#shp-1#${status}#${channel}`,
    eventType: `shipment.${status}`,
    channel,
    recipient: channel === 'sms' ? '+34600111222' : 'ana@example.com',
    locale: 'en',
    customerId: 'cus-1',
    owner: 'wh-ams',
    shipment: { shipmentId: 'shp-1', status },
    occurredAt: '2026-11-01T10:00:00.000Z',
    ...overrides,
  };
}

describe('the delivery status machine', () => {
  it('moves claimed → sent → delivered, and a later complaint ends it complained', () => {
    let status: DeliveryStatus = 'claimed';
    for (const next of ['sent', 'delivered', 'complained'] as const) status = applyStatus(status, next);
    expect(status).toBe('complained');
  });

  it('never moves back: a Delivery after a Complaint, or sent after delivered, changes nothing', () => {
    expect(applyStatus('complained', 'delivered')).toBe('complained');
    expect(applyStatus('delivered', 'sent')).toBe('delivered');
    expect(applyStatus('bounced', 'failed')).toBe('bounced');
    expect(advances('sent', 'sent')).toBe(false);
  });

  it('ends where the furthest report says, in whatever order and however often the reports come', () => {
    const reports = fc.array(fc.constantFrom(...DELIVERY_STATUSES), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(reports, fc.nat(), (list, seed) => {
        const shuffled = [...list, ...list].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 17 + seed) % 5));
        const inOrder = list.reduce<DeliveryStatus>(applyStatus, 'claimed');
        const anyOrder = shuffled.reduce<DeliveryStatus>(applyStatus, 'claimed');
        expect(anyOrder).toBe(inOrder);
        expect(list.every((report) => !advances(inOrder, report))).toBe(true);
      }),
    );
  });

  it('tells a conditional write which stored statuses a report may replace', () => {
    expect(statusesBefore('delivered')).toEqual(['claimed', 'sent']);
    expect(statusesBefore('complained')).toEqual(['claimed', 'sent', 'delivered', 'failed', 'bounced']);
    expect(isFinal('sent')).toBe(false);
    expect(isFinal('bounced')).toBe(true);
  });
});

describe('the fallback policy', () => {
  const permanentSmsFailure = { status: 'failed', permanent: true } as const;

  it('falls back only for out for delivery, delivered and the delivery exception', () => {
    const falling = SHIPMENT_STATUSES.filter((status) => fallbackChannel(message('sms', status), permanentSmsFailure) !== undefined);
    expect(falling).toEqual(['out_for_delivery', 'delivery_failed', 'delivered']);
    expect([...FALLBACK_STATUSES].sort()).toEqual(['delivered', 'delivery_failed', 'out_for_delivery']);
  });

  it('from SMS: a permanent failure, an opt-out, a suppressed or invalid number; never a transient failure or the customer’s preference', () => {
    const sms = message('sms', 'out_for_delivery');
    expect(fallbackChannel(sms, permanentSmsFailure)).toBe('email');
    expect(fallbackChannel(sms, { status: 'suppressed', suppressedBecause: 'opted_out' })).toBe('email');
    expect(fallbackChannel(sms, { status: 'suppressed', suppressedBecause: 'invalid_number' })).toBe('email');
    expect(fallbackChannel(sms, { status: 'failed', permanent: false })).toBeUndefined();
    expect(fallbackChannel(sms, { status: 'suppressed', suppressedBecause: 'preference' })).toBeUndefined();
    expect(fallbackChannel(sms, { status: 'delivered' })).toBeUndefined();
    expect(fallbackChannel(sms, { status: 'sent' })).toBeUndefined();
  });

  it('from email: a hard bounce, or an address that bounced before; not a complaint, a soft bounce given up on, or a delivery', () => {
    const email = message('email', 'delivered');
    expect(fallbackChannel(email, { status: 'bounced', permanent: true })).toBe('sms');
    expect(fallbackChannel(email, { status: 'suppressed', suppressedBecause: 'bounced' })).toBe('sms');
    expect(fallbackChannel(email, { status: 'complained' })).toBeUndefined();
    expect(fallbackChannel(email, { status: 'suppressed', suppressedBecause: 'complained' })).toBeUndefined();
    expect(fallbackChannel(email, { status: 'failed', permanent: false })).toBeUndefined();
  });

  it('sends the copy under the other channel’s own key, and a copy never falls back again', () => {
    const copy = fallbackMessage(message('sms', 'out_for_delivery'), 'email', 'ana@example.com');
    expect(copy).toMatchObject({
      notificationId: 'shipment#shp-1#out_for_delivery#email',
      channel: 'email',
      recipient: 'ana@example.com',
      fallbackFrom: 'sms',
    });
    expect(mayFallBack(copy)).toBe(false);
    expect(fallbackChannel(copy, { status: 'bounced', permanent: true })).toBeUndefined();
    const wallet = message('sms', 'delivered', {
      shipment: undefined,
      wallet: { walletId: 'w', balance: 1, currency: 'EUR', reconciledAt: 't' },
    });
    expect(mayFallBack(wallet)).toBe(false);
  });
});

describe('preferences', () => {
  it('lets essential messages through to customers who chose essential only: exceptions, what asks them to act, and a balance correction', () => {
    expect(isEssential({ eventType: 'shipment.delivery_failed' })).toBe(true);
    expect(
      isEssential({
        eventType: 'wallet.balance_confirmed',
        wallet: { walletId: 'w', balance: 1, currency: 'EUR', reconciledAt: 't', corrected: true },
      }),
    ).toBe(true);
    expect(
      isEssential({ eventType: 'wallet.balance_confirmed', wallet: { walletId: 'w', balance: 1, currency: 'EUR', reconciledAt: 't' } }),
    ).toBe(false);
    expect(isEssential({ eventType: 'shipment.out_for_delivery' })).toBe(false);
    expect(allowedBy('essential', { eventType: 'shipment.shipped' })).toBe(false);
    // Issue 15's messages: a missed delivery, a parcel to collect and a stall alert ask something of
    // the customer or say something went wrong; a new delivery date and a return to sender do not.
    for (const eventType of ['shipment.attempted_delivery', 'shipment.available_for_pickup', 'shipment.stalled']) {
      expect(allowedBy('essential', { eventType }), eventType).toBe(true);
    }
    for (const eventType of ['shipment.delivery_date_changed', 'shipment.returned_to_sender', 'shipment.returned']) {
      expect(allowedBy('essential', { eventType }), eventType).toBe(false);
    }
    expect(allowedBy('all', { eventType: 'shipment.shipped' })).toBe(true);
  });

  const now = new Date('2026-12-01T12:00:00Z');
  const subject = { customerId: 'cus-1', owner: 'wh-ams', channel: 'email' } as const;

  it('signs a link that names one customer and channel, accepted with any current secret until it expires', () => {
    const token = signPreferenceToken(subject, 'new-secret', now);
    expect(verifyPreferenceToken(token, ['new-secret'], now)).toEqual(subject);
    expect(verifyPreferenceToken(token, ['other', 'new-secret'], new Date('2027-02-28T12:00:00Z'))).toEqual(subject);
    expect(() => verifyPreferenceToken(token, ['new-secret'], new Date('2027-03-02T12:00:00Z'))).toThrow('the link has expired');
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('refuses a link signed with another secret, or with its customer changed', () => {
    const token = signPreferenceToken(subject, 'secret', now);
    expect(() => verifyPreferenceToken(token, ['another'], now)).toThrow(InvalidPreferenceLinkError);
    const [payload, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(Buffer.from(payload, 'base64url').toString('utf8').replace('cus-1', 'cus-2')).toString('base64url');
    expect(() => verifyPreferenceToken(`${forged}.${signature}`, ['secret'], now)).toThrow('the link is not one Parcelcast signed');
    expect(() => verifyPreferenceToken('garbage', ['secret'], now)).toThrow('the link is malformed');
  });
});

describe('the suppression list’s keys', () => {
  it('finds an address however it was written, and keeps only a masked form', () => {
    expect(contactDigest('email', ' Ana@Example.COM ')).toBe(contactDigest('email', 'ana@example.com'));
    expect(contactDigest('email', 'ana@example.com')).not.toBe(contactDigest('sms', 'ana@example.com'));
    expect(contactDigest('sms', '+34 600 111 222')).toBe(contactDigest('sms', '+34600111222'));
    expect(normaliseContact('sms', '+34 (600) 111-222')).toBe('+34600111222');
    expect(contactDigest('sms', '+34600111222')).toMatch(/^[0-9a-f]{64}$/);
    expect(maskedContact('email', 'Ana@Example.com')).toBe('a•••@example.com');
  });
});

describe('SES message tags', () => {
  it('carry the longest claim key in allowed characters, and give it back', () => {
    const reference = `SHIPMENT#${'%E2%9C%93'.repeat(28)}|NOTIFICATION#out_for_delivery#email`;
    const tags = sesTags('shipment.out_for_delivery', reference);
    for (const tag of tags) expect(`${tag.Name}=${tag.Value}`).toMatch(/^[A-Za-z0-9_-]{1,256}=[A-Za-z0-9_-]{1,256}$/);
    expect(tags[0]).toEqual({ Name: 'eventType', Value: 'shipment-out_for_delivery' });
    expect(referenceOfTags(Object.fromEntries(tags.map((tag) => [tag.Name, [tag.Value]])))).toBe(reference);
    expect(referenceOfTags({ eventType: ['x'] })).toBeUndefined();
  });
});

describe('delivery event decoders', () => {
  const email = {
    from: 'n@parcelcast.example',
    subject: 's',
    configurationSetName: 'set',
    headers: {},
    messageId: 'ses-1',
    tags: Object.fromEntries(sesTags('shipment.shipped', 'SHIPMENT#s|NOTIFICATION#shipped#email').map((tag) => [tag.Name, tag.Value])),
  };
  const ses = (to: string) =>
    sesEvents({ ...email, to: [to] }, new Date('2026-12-01T12:00:00Z')).map((event) => decodeDeliveryEvent(JSON.stringify(event.body)));

  it('reads SES events as AWS publishes them: a hard bounce suppresses, a complaint follows the delivery, Send is not final', () => {
    expect(ses('bounce@simulator.amazonses.com')).toEqual([
      { kind: 'ignored', why: 'SES Send is not a final outcome' },
      {
        kind: 'receipt',
        receipt: expect.objectContaining({
          channel: 'email',
          status: 'bounced',
          permanent: true,
          suppress: 'bounced',
          reason: 'Permanent/General',
          reference: 'SHIPMENT#s|NOTIFICATION#shipped#email',
          recipient: 'bounce@simulator.amazonses.com',
          providerMessageId: 'ses-1',
        }),
      },
    ]);
    expect(
      ses('complaint+x@simulator.amazonses.com').map((decoded) => (decoded.kind === 'receipt' ? decoded.receipt.status : decoded.kind)),
    ).toEqual(['ignored', 'delivered', 'complained']);
    expect(ses('suppressionlist@simulator.amazonses.com')[1]).toMatchObject({
      receipt: { status: 'bounced', reason: 'Permanent/Suppressed' },
    });
    expect(ses('someone@example.com')).toHaveLength(1);
  });

  it('reads End User Messaging SMS events: TEXT_INVALID is a permanent failure that suppresses the number, a queued text is not final', () => {
    const event = (eventType: string, isFinal = true) =>
      decodeDeliveryEvent(
        JSON.stringify({
          eventType,
          eventVersion: '1.0',
          eventTimestamp: 1_764_590_400_000,
          isFinal,
          messageId: 'sms-1',
          destinationPhoneNumber: '+33755512502',
          context: { claim: 'SHIPMENT#s|NOTIFICATION#delivered#sms' },
        }),
      );
    expect(event('TEXT_INVALID')).toEqual({
      kind: 'receipt',
      receipt: {
        channel: 'sms',
        status: 'failed',
        permanent: true,
        suppress: 'invalid_number',
        reason: 'TEXT_INVALID',
        at: '2025-12-01T12:00:00.000Z',
        providerMessageId: 'sms-1',
        reference: 'SHIPMENT#s|NOTIFICATION#delivered#sms',
        recipient: '+33755512502',
      },
    });
    expect(event('TEXT_DELIVERED')).toMatchObject({ receipt: { status: 'delivered' } });
    expect(event('TEXT_UNREACHABLE')).toMatchObject({ receipt: { status: 'failed', permanent: false } });
    expect(event('TEXT_SUCCESSFUL', false)).toMatchObject({ kind: 'ignored' });
    expect(event('TEXT_QUEUED')).toMatchObject({ kind: 'ignored' });
    expect(decodeDeliveryEvent('{"hello":1}')).toMatchObject({ kind: 'unreadable' });
    expect(decodeDeliveryEvent('not json')).toMatchObject({ kind: 'unreadable' });
  });
});
