import { MAILBOX_SIMULATOR_DOMAIN, SIMULATOR_NUMBERS } from '../../emulator/services/simulators.ts';
import { seededRandom } from '../../support/seeded-random.ts';

/**
 * A realistic day of warehouse traffic, generated from a seed: shipments moving through their
 * lifecycle (some failing a delivery attempt, some returned or cancelled, some the parcels of one
 * split order delivered together), wallet debits and
 * credits, and the mess real integrations produce: redelivered events (duplicates), events
 * arriving after later ones (out of order), and a few invalid ones. Pure: the same options
 * give the same deliveries, and it says what the API should show afterwards, worked out from the
 * story it tells (each shipment ends in the status of its last event, every event on its timeline)
 * rather than by the product's own code, so the simulator checks the product instead of repeating it.
 */

/** The statuses the shipment lifecycle goes through (docs/openapi.json). */
export type ShipmentStatus = string;

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  subject?: string;
  data: Record<string, unknown>;
}

export type DeliveryKind = 'new' | 'duplicate' | 'out-of-order' | 'invalid';

export interface Delivery {
  event: CloudEvent;
  /** What this delivery exercises; `duplicate` resends an event already in the list. */
  kind: DeliveryKind;
  /** The warehouse that posts it, to its own path; none: POST /v1/events. */
  warehouse?: string;
}

export interface ExpectedShipment {
  status: ShipmentStatus;
  /** Distinct valid events recorded for the shipment. */
  timelineLength: number;
}

export interface Traffic {
  deliveries: Delivery[];
  expected: {
    accepted: number;
    duplicates: number;
    /** Status code → count. */
    rejected: Record<string, number>;
    shipments: Record<string, ExpectedShipment>;
    /** Wallet id → balance in minor units after every debit and credit. */
    wallets: Record<string, { balance: number; currency: string; entries: number }>;
  };
}

export interface TrafficOptions {
  seed: number;
  shipments: number;
  wallets?: number;
  /** Share of events sent twice. */
  duplicateRate?: number;
  /** Share of events that arrive after the next event of their shipment. */
  outOfOrderRate?: number;
  /** Share of shipments whose first delivery attempt fails. */
  failureRate?: number;
  /** Extra invalid events (schema violations), as a share of valid ones. */
  invalidRate?: number;
  /**
   * Share of orders shipped as two or three parcels to one customer (split orders), which go out
   * for delivery and are delivered a few minutes apart; half of them say their `parcelCount`.
   */
  splitOrderRate?: number;
  /** Every customer in this IANA time zone instead of their country's (SMS keep quiet hours there). */
  timeZone?: string;
  /**
   * Share of customers given the contacts AWS reserves for testing (SES's mailbox simulator, End User
   * Messaging's destination simulator numbers), so their deliveries, bounces, complaints and failed
   * texts come back as on AWS. Chosen by position, not by the random sequence, so a seed's traffic is
   * otherwise the same whatever the share.
   */
  simulatorShare?: number;
  /** The day ends here: every event happened before it. */
  end: Date;
  source?: string;
}

const CUSTOMERS = [
  { name: 'Ana García', locale: 'es-ES', timeZone: 'Europe/Madrid', phone: '+3460011', domain: 'example.es', country: 'ES' },
  { name: 'Oliver Smith', locale: 'en-GB', timeZone: 'Europe/London', phone: '+4477009', domain: 'example.co.uk', country: 'GB' },
  { name: 'Lena Müller', locale: 'de-DE', timeZone: 'Europe/Berlin', phone: '+4915155', domain: 'example.de', country: 'DE' },
  { name: 'Chloé Martin', locale: 'fr-FR', timeZone: 'Europe/Paris', phone: '+3361234', domain: 'example.fr', country: 'FR' },
  { name: 'Daan de Vries', locale: 'nl-NL', timeZone: 'Europe/Amsterdam', phone: '+3161234', domain: 'example.nl', country: 'NL' },
  { name: 'Олена Коваленко', locale: 'uk-UA', timeZone: 'Europe/Kyiv', phone: '+3805012', domain: 'example.com.ua', country: 'UA' },
  { name: 'Sofia Rossi', locale: 'it-IT', timeZone: 'Europe/Rome', phone: '+3934712', domain: 'example.it', country: 'IT' },
];
/** What the simulated customers' contacts do, in turn: mostly arrive, sometimes bounce, complain or fail. */
const SIMULATED_MAILBOXES = ['success', 'bounce', 'success', 'complaint', 'ooto', 'suppressionlist'];
const SIMULATED_NUMBERS = ['success', 'failure', 'success'] as const;
const CARRIERS = ['DHL', 'PostNL', 'UPS', 'DPD', 'GLS'];
const HUBS = ['Amsterdam hub', 'Venlo sorting centre', 'Cologne hub', 'Paris Nord depot', 'Madrid Coslada', 'local depot'];
const FAILURES = ['Nobody at home', 'Address not found', 'Recipient refused the parcel', 'Access code missing'];
const CHANNEL_CHOICES = [['sms', 'email'], ['sms', 'email'], ['sms', 'email'], ['email'], ['sms']];
const MINUTE = 60_000;

/** The calendar day `days` after `from` (UTC), as an estimated delivery names it. */
const dayAfter = (from: Date, days: number) => new Date(from.getTime() + days * 86_400_000).toISOString().slice(0, 10);

export function generateTraffic(options: TrafficOptions): Traffic {
  const next = seededRandom(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const chance = (rate = 0) => next() < rate;
  const between = (low: number, high: number) => low + Math.floor(next() * (high - low + 1));
  const source = options.source ?? `//warehouse/sim-${options.seed.toString(36)}`;
  const tag = options.seed.toString(36).padStart(4, '0');
  const dayStart = options.end.getTime() - 14 * 60 * MINUTE;
  let counter = 0;
  const event = (type: string, at: number, subject: string, data: Record<string, unknown>): CloudEvent => {
    counter += 1;
    return {
      specversion: '1.0',
      id: `sim-${tag}-${String(counter).padStart(5, '0')}`,
      source,
      type,
      time: new Date(Math.min(at, options.end.getTime() - 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      subject,
      data,
    };
  };

  const valid: CloudEvent[] = [];
  const shipments: Record<string, ExpectedShipment> = {};
  const customers: { id: string }[] = [];
  /** The split order being shipped: its first parcel's story, which the others follow a few minutes behind. */
  let order: { left: number; lead: CloudEvent[] } | undefined;
  for (let index = 1; index <= options.shipments; index += 1) {
    const shipmentId = `shp-${tag}-${String(index).padStart(3, '0')}`;
    if (order && order.left > 0) {
      order.left -= 1;
      // Less than the shortest step of a story (5 minutes), so each parcel's own events stay in order.
      const behind = between(1, 4) * MINUTE;
      const trackingNumber = `${String(order.lead[0]?.data.carrier ?? 'XX')
        .slice(0, 2)
        .toUpperCase()}${String(between(10_000_000, 99_999_999))}`;
      const parcel = order.lead.map((lead) =>
        event(lead.type, Date.parse(lead.time) + behind, shipmentId, {
          ...lead.data,
          shipmentId,
          ...('trackingNumber' in lead.data ? { trackingNumber, trackingUrl: `https://track.example.com/${trackingNumber}` } : {}),
        }),
      );
      valid.push(...parcel);
      shipments[shipmentId] = { status: (parcel.at(-1) as CloudEvent).type.slice('shipment.'.length), timelineLength: parcel.length };
      continue;
    }
    // The first parcel of a split order goes the whole way (no stall, cancellation or failed attempt), as its siblings do.
    const split = index < options.shipments && chance(options.splitOrderRate ?? 0.12);
    const parcels = split ? Math.min(between(2, 3), options.shipments - index + 1) : 1;
    const saysCount = split && chance(0.5);
    const person = pick(CUSTOMERS);
    const customerId = `cus-${tag}-${String(index).padStart(3, '0')}`;
    customers.push({ id: customerId });
    const carrier = pick(CARRIERS);
    const trackingNumber = `${carrier.slice(0, 2).toUpperCase()}${String(between(10_000_000, 99_999_999))}`;
    const trackingUrl = `https://track.example.com/${trackingNumber}`;
    let at = dayStart + between(0, 240) * MINUTE;
    const step = () => (at += between(5, 45) * MINUTE);
    const email = `${
      person.name
        .split(' ')[0]
        ?.normalize('NFD')
        .replace(/[^A-Za-z]/g, '')
        .toLowerCase() || 'customer'
    }.${index}@${person.domain}`;
    const share = options.simulatorShare ?? 0;
    const simulated = Math.floor(index * share) !== Math.floor((index - 1) * share);
    const turn = Math.floor(index * share);
    // The destination simulator has no number in some countries (Germany, Ukraine): those get the UK's.
    const numbers = SIMULATOR_NUMBERS[person.country] ?? (SIMULATOR_NUMBERS.GB as { success: string; failure: string });
    const contact = simulated
      ? {
          phone: numbers[SIMULATED_NUMBERS[turn % SIMULATED_NUMBERS.length] as 'success' | 'failure'],
          email: `${SIMULATED_MAILBOXES[turn % SIMULATED_MAILBOXES.length]}+${customerId}@${MAILBOX_SIMULATOR_DOMAIN}`,
        }
      : undefined;
    const lifecycle: CloudEvent[] = [
      event('shipment.created', at, shipmentId, {
        shipmentId,
        orderId: `ord-${tag}-${String(index).padStart(3, '0')}`,
        ...(saysCount ? { parcelCount: parcels } : {}),
        customer: {
          id: customerId,
          name: person.name,
          phone: `${person.phone}${String(between(10_000, 99_999))}`,
          email,
          ...contact,
          locale: person.locale,
          timeZone: options.timeZone ?? person.timeZone,
          channels: pick(CHANNEL_CHOICES),
        },
        carrier,
        trackingNumber,
        trackingUrl,
        promisedBy: new Date(options.end.getTime() + 2 * 24 * 60 * MINUTE).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        estimatedDelivery: { date: dayAfter(options.end, 2), timeZone: options.timeZone ?? person.timeZone },
      }),
      event('shipment.picked', step(), shipmentId, { shipmentId }),
      event('shipment.packed', step(), shipmentId, { shipmentId }),
    ];
    if (!split && chance(0.05)) {
      lifecycle.push(event('shipment.cancelled', step(), shipmentId, { shipmentId, reason: 'Customer cancelled the order' }));
    } else {
      lifecycle.push(event('shipment.shipped', step(), shipmentId, { shipmentId, carrier, trackingNumber, trackingUrl }));
      // Some shipments go quiet after shipping: a stall alert follows once StallAlertHours pass.
      const stalls = !split && chance(0.08);
      // Some carriers revise the date on the way: the customer hears the new one.
      const revised = chance(0.15);
      for (let hop = stalls ? 0 : between(1, 2); hop > 0; hop -= 1) {
        lifecycle.push(
          event('shipment.in_transit', step(), shipmentId, {
            shipmentId,
            location: pick(HUBS),
            ...(revised && hop === 1
              ? { estimatedDelivery: { date: dayAfter(options.end, 3), timeZone: options.timeZone ?? person.timeZone } }
              : {}),
          }),
        );
      }
      if (stalls) {
        valid.push(...lifecycle);
        shipments[shipmentId] = { status: 'shipped', timelineLength: lifecycle.length };
        continue;
      }
      const attempt = () =>
        event('shipment.out_for_delivery', step(), shipmentId, { shipmentId, eta: new Date(at + 3 * 60 * MINUTE).toISOString() });
      lifecycle.push(attempt());
      if (!split && chance(options.failureRate ?? 0.15)) {
        lifecycle.push(
          chance(0.5)
            ? event('shipment.attempted_delivery', step(), shipmentId, {
                shipmentId,
                nextAttemptAt: new Date(at + 60 * MINUTE).toISOString(),
              })
            : event('shipment.delivery_failed', step(), shipmentId, {
                shipmentId,
                reason: pick(FAILURES),
                nextAttemptAt: new Date(at + 60 * MINUTE).toISOString(),
              }),
        );
        if (chance(0.3)) {
          lifecycle.push(event('shipment.returned', step(), shipmentId, { shipmentId, reason: 'Undeliverable after a failed attempt' }));
        } else {
          lifecycle.push(attempt());
          lifecycle.push(event('shipment.delivered', step(), shipmentId, { shipmentId, location: 'Front door', signedBy: person.name }));
        }
      } else {
        const handover = chance(0.3)
          ? pick([
              { deliveredTo: 'neighbour', location: 'Next door, number 12' },
              { deliveredTo: 'safe_place', location: 'Behind the garden gate' },
            ])
          : { location: 'Front door', signedBy: person.name };
        lifecycle.push(event('shipment.delivered', step(), shipmentId, { shipmentId, ...handover }));
      }
    }
    valid.push(...lifecycle);
    // Every step is later than the one before, so the last event's status is where the shipment ends.
    shipments[shipmentId] = { status: (lifecycle.at(-1) as CloudEvent).type.slice('shipment.'.length), timelineLength: lifecycle.length };
    order = split ? { left: parcels - 1, lead: lifecycle } : undefined;
  }

  for (let index = 1; index <= (options.wallets ?? 0); index += 1) {
    const walletId = `wal-${tag}-${String(index).padStart(3, '0')}`;
    const customerId = customers[(index - 1) % Math.max(1, customers.length)]?.id ?? `cus-${tag}-w${index}`;
    let at = dayStart + between(0, 600) * MINUTE;
    const entries = between(1, 3);
    for (let entry = 0; entry < entries; entry += 1) {
      const debit = entry === 0 || chance(0.6);
      valid.push(
        event(debit ? 'wallet.debited' : 'wallet.credited', at, walletId, {
          walletId,
          customerId,
          amount: { value: between(199, 9_999), currency: 'EUR' },
          reference: debit ? `order ord-${tag}-${index}-${entry}` : `refund ${tag}-${index}-${entry}`,
        }),
      );
      at += between(1, 30) * MINUTE;
    }
  }

  // The warehouse sends each event when it happens; then the network has its say.
  valid.sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
  const deliveries: Delivery[] = valid.map((item) => ({ event: item, kind: 'new' }));
  const subjectOf = (delivery: Delivery) => delivery.event.subject;
  for (let index = deliveries.length - 1; index >= 0; index -= 1) {
    const delivery = deliveries[index] as Delivery;
    if (delivery.kind !== 'new' || !chance(options.outOfOrderRate ?? 0.08)) continue;
    const later = deliveries.findIndex((other, position) => position > index && subjectOf(other) === subjectOf(delivery));
    if (later < 0) continue;
    deliveries.splice(index, 1);
    deliveries.splice(later, 0, { ...delivery, kind: 'out-of-order' });
  }
  const originals = [...deliveries];
  for (const original of originals) {
    if (!chance(options.duplicateRate ?? 0.08)) continue;
    const position = deliveries.indexOf(original) + between(1, 6);
    deliveries.splice(Math.min(position, deliveries.length), 0, { event: structuredClone(original.event), kind: 'duplicate' });
  }
  const invalidCount = Math.round(valid.length * (options.invalidRate ?? 0));
  for (let index = 0; index < invalidCount; index += 1) {
    const base = pick(valid);
    const broken: CloudEvent = { ...event(base.type, Date.parse(base.time), base.subject ?? '', { ...base.data }) };
    // Schema violations a real integration produces: a missing id, a malformed amount, a local phone number.
    if (broken.type === 'shipment.created') {
      broken.data.customer = { ...(broken.data.customer as object), phone: '0612345678' };
    } else if (broken.type.startsWith('wallet.')) {
      broken.data.amount = { value: 12.5, currency: 'EUR' };
    } else {
      delete broken.data.shipmentId;
    }
    deliveries.splice(between(0, deliveries.length), 0, { event: broken, kind: 'invalid' });
  }

  const wallets: Traffic['expected']['wallets'] = {};
  for (const item of valid) {
    if (item.type.startsWith('wallet.')) {
      const id = String(item.data.walletId);
      const amount = item.data.amount as { value: number; currency: string };
      const wallet = wallets[id] ?? { balance: 0, currency: amount.currency, entries: 0 };
      wallets[id] = wallet;
      wallet.balance += item.type === 'wallet.credited' ? amount.value : -amount.value;
      wallet.entries += 1;
    }
  }
  return {
    deliveries,
    expected: {
      accepted: valid.length,
      duplicates: deliveries.filter((delivery) => delivery.kind === 'duplicate').length,
      rejected: invalidCount > 0 ? { 400: invalidCount } : {},
      shipments,
      wallets,
    },
  };
}
