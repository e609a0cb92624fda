import type { CloudEvent } from './traffic.ts';

/**
 * What a hostile warehouse sends at the others (issue 12's attacks), once their own traffic has
 * created the shipments and wallets at stake. Every attack must be refused; `expect` is the status
 * that refuses it. The `ownership` ones use the hostile warehouse's own source and are refused only
 * because a shipment or wallet belongs to the warehouse that first wrote it.
 */

export interface Victim {
  id: string;
  /** A source the victim owns, that the hostile warehouse does not. */
  source: string;
  shipmentId?: string;
  walletId?: string;
}

export interface Attack {
  name: string;
  /** The warehouse whose path the request is posted to (the hostile one's own, unless the attack is the path). */
  path: string;
  body: CloudEvent | CloudEvent[];
  /** The status that refuses it. */
  expect: number;
  /** Refused by the data model's ownership of shipments and wallets rather than by the source or the key. */
  ownership: boolean;
}

const ATTACKER = { phone: '+447700900666', email: 'attacker@evil.example' };
const EVIL = 'https://evil.example/pay';

export function hostileAttacks(hostile: { id: string; source: string }, victims: readonly Victim[], end: Date, tag: string): Attack[] {
  let counter = 0;
  const at = end.getTime() - 60_000;
  const event = (type: string, source: string, data: Record<string, unknown>, time?: string): CloudEvent => {
    counter += 1;
    return {
      specversion: '1.0',
      id: `hostile-${tag}-${String(counter).padStart(4, '0')}`,
      source,
      type,
      time: time ?? new Date(at + counter).toISOString(),
      data,
    };
  };
  const attacks: Attack[] = [];
  const add = (name: string, body: Attack['body'], expect: number, options: { path?: string; ownership?: boolean } = {}) =>
    attacks.push({ name, body, expect, path: options.path ?? hostile.id, ownership: options.ownership ?? false });

  for (const victim of victims) {
    const on = `on ${victim.id}`;
    if (victim.shipmentId) {
      const shipmentId = victim.shipmentId;
      const takeover = (source: string) =>
        event('shipment.created', source, {
          shipmentId,
          orderId: `ord-${tag}-takeover`,
          customer: { id: `cus-${tag}-victim`, ...ATTACKER, channels: ['sms', 'email'] },
          trackingUrl: EVIL,
        });
      add(`takeover of a shipment under ${victim.id}'s source`, takeover(victim.source), 403);
      add(`takeover signed with its own key, ${on}'s path`, takeover(victim.source), 401, { path: victim.id });
      add(
        'shipment.created dated 9999-12-31, to win every comparison by time',
        event(
          'shipment.created',
          hostile.source,
          { shipmentId, orderId: `ord-${tag}-future`, customer: { id: 'cus-x', ...ATTACKER } },
          '9999-12-31T23:59:59Z',
        ),
        400,
      );
      const cancel = (source: string) =>
        event('shipment.cancelled', source, { shipmentId, reason: `Pay the customs fee at ${EVIL}` }, '0001-01-01T00:00:00Z');
      add(`cancelled dated 0001-01-01 under ${victim.id}'s source`, cancel(victim.source), 403);
      const flood = (source: string) =>
        Array.from({ length: 100 }, (_, index) =>
          event('shipment.in_transit', source, { shipmentId, location: `${'x'.repeat(180)}-${index}` }),
        );
      add(`100 large in_transit events under ${victim.id}'s source`, flood(victim.source), 403);
      add(`takeover of ${victim.id}'s shipment under its own source`, takeover(hostile.source), 403, { ownership: true });
      add(`cancelled dated 0001-01-01 on ${victim.id}'s shipment under its own source`, cancel(hostile.source), 403, { ownership: true });
    }
    if (victim.walletId) {
      const debit = (source: string) =>
        event('wallet.debited', source, {
          walletId: victim.walletId,
          customerId: `cus-${tag}-victim`,
          amount: { value: 4999, currency: 'EUR' },
          reference: 'fee',
        });
      add(`debit of ${victim.id}'s wallet under ${victim.id}'s source`, debit(victim.source), 403);
      add(`debit of ${victim.id}'s wallet under its own source`, debit(hostile.source), 403, { ownership: true });
    }
  }
  add('a post to a warehouse nobody registered', event('shipment.picked', hostile.source, { shipmentId: `shp-${tag}-own` }), 401, {
    path: `no-such-warehouse-${tag}`,
  });
  return attacks;
}
