import type { DeliveredTo } from './delivered-to.ts';
import type { EstimatedDelivery } from './estimated-delivery.ts';
import { canonicalLocale, dateTimeFormat, isKnownTimeZone, localeLanguage, numberFormat } from './intl-formats.ts';
import type { NotificationMessage } from './notification-message.ts';
import { DEFAULT_LOCALE } from './notification-policy.ts';
import { DEFAULT_TIME_ZONE } from './quiet-hours.ts';
import { safeTrackingUrl, sanitiseText } from './safe-text.ts';
import type { ShipmentStatus } from './shipment.ts';
import { prepareSms, type SmsText } from './sms-encoding.ts';

/**
 * The words customers read: one SMS and one email per announced shipment status and for a
 * confirmed wallet balance, in English, Spanish, French and German, chosen by the language
 * subtag of the customer's locale (English otherwise). Dates and money are formatted for the
 * full locale with Intl, in the customer's time zone. Every text that came from a warehouse is
 * shown as safe text (safe-text.ts), and every SMS is one segment (renderSms).
 */

export const LANGUAGES = ['en', 'es', 'fr', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

type AnnouncedStatus = Extract<
  ShipmentStatus,
  | 'shipped'
  | 'out_for_delivery'
  | 'delivered'
  | 'delivery_failed'
  | 'attempted_delivery'
  | 'available_for_pickup'
  | 'returned'
  | 'cancelled'
  | 'returned_to_sender'
>;
/** A split order's combined message (split-orders.ts): one per channel naming every parcel. */
type OrderTopic = 'order.out_for_delivery' | 'order.delivered';
type Topic = AnnouncedStatus | OrderTopic | 'stalled' | 'delivery_date_changed' | 'wallet.balance_confirmed';

interface Details {
  ref: string;
  carrier?: string;
  eta?: string;
  reason?: string;
  amount?: string;
  /** A formatted date: a balance's confirmation, a pickup's deadline, the next delivery attempt. */
  date?: string;
  /** Where the parcel is: its pickup point, or the neighbour or safe place it was left at. */
  place?: string;
  /** Kept in every step: it changes what the sentence says, not only how much. */
  deliveredTo?: DeliveredTo;
  /** When the parcel is expected (its estimated day or window); kept in every step of a new-date message. */
  delivery?: string;
  /** A combined message: how many parcels, and their references (left out when the SMS is short of room). */
  count?: number;
  parcels?: string;
}

interface Wording {
  hello: (name?: string) => string;
  track: string;
  signOff: string;
  /** The footer link to the customer's notification preferences. */
  manage: string;
  subject: Record<Topic, string>;
  sentence: Record<Topic, (details: Details) => string>;
}

const opt = (value: string | undefined, render: (value: string) => string) => (value ? render(value) : '');

const WORDING: Record<Language, Wording> = {
  en: {
    hello: (name) => (name ? `Hello ${name},` : 'Hello,'),
    track: 'Track it',
    signOff: 'The Parcelcast team',
    manage: 'Choose which messages you get',
    subject: {
      shipped: 'Your parcel is on its way',
      out_for_delivery: 'Your parcel is out for delivery',
      delivered: 'Your parcel has been delivered',
      delivery_failed: 'We could not deliver your parcel',
      attempted_delivery: 'We tried to deliver your parcel',
      available_for_pickup: 'Your parcel is ready for pickup',
      returned: 'Your parcel is being returned',
      cancelled: 'Your shipment has been cancelled',
      returned_to_sender: 'Your parcel is back with the sender',
      stalled: 'Your parcel is delayed',
      delivery_date_changed: 'Your parcel has a new delivery date',
      'wallet.balance_confirmed': 'Your wallet balance',
      'order.out_for_delivery': 'Your parcels are out for delivery',
      'order.delivered': 'Your parcels have been delivered',
    },
    sentence: {
      shipped: (d) => `Your parcel ${d.ref} has shipped${opt(d.carrier, (c) => ` with ${c}`)}${opt(d.delivery, (e) => `, expected ${e}`)}.`,
      out_for_delivery: (d) => `Your parcel ${d.ref} is out for delivery${opt(d.eta, (e) => `, expected ${e}`)}.`,
      delivered: (d) =>
        d.deliveredTo === 'neighbour'
          ? `Your parcel ${d.ref} has been left with a neighbour${opt(d.place, (p) => ` (${p})`)}.`
          : d.deliveredTo === 'safe_place'
            ? `Your parcel ${d.ref} has been left in a safe place${opt(d.place, (p) => ` (${p})`)}.`
            : `Your parcel ${d.ref} has been delivered.`,
      delivery_failed: (d) => `We could not deliver your parcel ${d.ref}${opt(d.reason, (r) => ` (${r})`)}. We will try again.`,
      attempted_delivery: (d) => `We tried to deliver your parcel ${d.ref}${opt(d.date, (t) => `. Next attempt: ${t}`)}.`,
      available_for_pickup: (d) =>
        `Your parcel ${d.ref} is ready for pickup${opt(d.place, (p) => ` at ${p}`)}${opt(d.date, (t) => `. Collect it by ${t}`)}.`,
      returned: (d) => `Your parcel ${d.ref} is being returned to the sender${opt(d.reason, (r) => ` (${r})`)}.`,
      cancelled: (d) => `Your shipment ${d.ref} has been cancelled${opt(d.reason, (r) => ` (${r})`)}.`,
      returned_to_sender: (d) => `Your parcel ${d.ref} is back with the sender${opt(d.reason, (r) => ` (${r})`)}.`,
      stalled: (d) => `Your parcel ${d.ref} is delayed. We are on it.`,
      delivery_date_changed: (d) => `New delivery date for your parcel ${d.ref}: ${d.delivery}.`,
      'order.out_for_delivery': (d) => `${d.count} parcels of your order ${d.ref} are out for delivery${opt(d.parcels, (p) => `: ${p}`)}.`,
      'order.delivered': (d) => `${d.count} parcels of your order ${d.ref} have been delivered${opt(d.parcels, (p) => `: ${p}`)}.`,
      'wallet.balance_confirmed': (d) => `Your wallet balance is ${d.amount}${opt(d.date, (t) => ` (confirmed ${t})`)}.`,
    },
  },
  es: {
    hello: (name) => (name ? `Hola ${name}:` : 'Hola:'),
    track: 'Seguimiento',
    signOff: 'El equipo de Parcelcast',
    manage: 'Elige qué mensajes recibes',
    subject: {
      shipped: 'Tu paquete está en camino',
      out_for_delivery: 'Tu paquete está en reparto',
      delivered: 'Tu paquete ha sido entregado',
      delivery_failed: 'No hemos podido entregar tu paquete',
      attempted_delivery: 'Hemos intentado entregar tu paquete',
      available_for_pickup: 'Tu paquete está listo para recoger',
      returned: 'Tu paquete vuelve al remitente',
      cancelled: 'Tu envío ha sido cancelado',
      returned_to_sender: 'Tu paquete ha vuelto al remitente',
      stalled: 'Tu paquete lleva retraso',
      delivery_date_changed: 'Tu paquete tiene una nueva fecha de entrega',
      'wallet.balance_confirmed': 'El saldo de tu monedero',
      'order.out_for_delivery': 'Tus paquetes están en reparto',
      'order.delivered': 'Tus paquetes han sido entregados',
    },
    sentence: {
      shipped: (d) =>
        `Tu paquete ${d.ref} ha sido enviado${opt(d.carrier, (c) => ` con ${c}`)}${opt(d.delivery, (e) => `, llegada prevista ${e}`)}.`,
      out_for_delivery: (d) => `Tu paquete ${d.ref} está en reparto${opt(d.eta, (e) => `, llegada prevista ${e}`)}.`,
      delivered: (d) =>
        d.deliveredTo === 'neighbour'
          ? `Tu paquete ${d.ref} se ha entregado a un vecino${opt(d.place, (p) => ` (${p})`)}.`
          : d.deliveredTo === 'safe_place'
            ? `Tu paquete ${d.ref} se ha dejado en un lugar seguro${opt(d.place, (p) => ` (${p})`)}.`
            : `Tu paquete ${d.ref} ha sido entregado.`,
      delivery_failed: (d) => `No hemos podido entregar tu paquete ${d.ref}${opt(d.reason, (r) => ` (${r})`)}. Lo intentaremos de nuevo.`,
      attempted_delivery: (d) => `Hemos intentado entregar tu paquete ${d.ref}${opt(d.date, (t) => `. Próximo intento: ${t}`)}.`,
      available_for_pickup: (d) =>
        `Tu paquete ${d.ref} está listo para recoger${opt(d.place, (p) => ` en ${p}`)}${opt(d.date, (t) => `. Recógelo antes del ${t}`)}.`,
      returned: (d) => `Tu paquete ${d.ref} vuelve al remitente${opt(d.reason, (r) => ` (${r})`)}.`,
      cancelled: (d) => `Tu envío ${d.ref} ha sido cancelado${opt(d.reason, (r) => ` (${r})`)}.`,
      returned_to_sender: (d) => `Tu paquete ${d.ref} ha vuelto al remitente${opt(d.reason, (r) => ` (${r})`)}.`,
      stalled: (d) => `Tu paquete ${d.ref} lleva retraso. Ya nos estamos ocupando.`,
      delivery_date_changed: (d) => `Nueva fecha de entrega de tu paquete ${d.ref}: ${d.delivery}.`,
      'order.out_for_delivery': (d) => `${d.count} paquetes de tu pedido ${d.ref} están en reparto${opt(d.parcels, (p) => `: ${p}`)}.`,
      'order.delivered': (d) => `${d.count} paquetes de tu pedido ${d.ref} han sido entregados${opt(d.parcels, (p) => `: ${p}`)}.`,
      'wallet.balance_confirmed': (d) => `El saldo de tu monedero es ${d.amount}${opt(d.date, (t) => ` (confirmado el ${t})`)}.`,
    },
  },
  fr: {
    hello: (name) => (name ? `Bonjour ${name},` : 'Bonjour,'),
    track: 'Suivi',
    signOff: "L'équipe Parcelcast",
    manage: 'Choisissez les messages que vous recevez',
    subject: {
      shipped: 'Votre colis est en route',
      out_for_delivery: 'Votre colis est en cours de livraison',
      delivered: 'Votre colis a été livré',
      delivery_failed: "Votre colis n'a pas pu être livré",
      attempted_delivery: 'Nous avons tenté de livrer votre colis',
      available_for_pickup: 'Votre colis est prêt à être retiré',
      returned: "Votre colis est renvoyé à l'expéditeur",
      cancelled: 'Votre envoi a été annulé',
      returned_to_sender: "Votre colis est revenu chez l'expéditeur",
      stalled: 'Votre colis a du retard',
      delivery_date_changed: 'Votre colis a une nouvelle date de livraison',
      'wallet.balance_confirmed': 'Le solde de votre portefeuille',
      'order.out_for_delivery': 'Vos colis sont en cours de livraison',
      'order.delivered': 'Vos colis ont été livrés',
    },
    sentence: {
      shipped: (d) =>
        `Votre colis ${d.ref} a été expédié${opt(d.carrier, (c) => ` avec ${c}`)}${opt(d.delivery, (e) => `, livraison prévue ${e}`)}.`,
      out_for_delivery: (d) => `Votre colis ${d.ref} est en cours de livraison${opt(d.eta, (e) => `, arrivée prévue ${e}`)}.`,
      delivered: (d) =>
        d.deliveredTo === 'neighbour'
          ? `Votre colis ${d.ref} a été remis à un voisin${opt(d.place, (p) => ` (${p})`)}.`
          : d.deliveredTo === 'safe_place'
            ? `Votre colis ${d.ref} a été déposé en lieu sûr${opt(d.place, (p) => ` (${p})`)}.`
            : `Votre colis ${d.ref} a été livré.`,
      delivery_failed: (d) => `Votre colis ${d.ref} n'a pas pu être livré${opt(d.reason, (r) => ` (${r})`)}. Nous réessaierons.`,
      attempted_delivery: (d) => `Nous avons tenté de livrer votre colis ${d.ref}${opt(d.date, (t) => `. Prochain passage : ${t}`)}.`,
      available_for_pickup: (d) =>
        `Votre colis ${d.ref} est prêt à être retiré${opt(d.place, (p) => ` à ${p}`)}${opt(d.date, (t) => `, avant le ${t}`)}.`,
      returned: (d) => `Votre colis ${d.ref} est renvoyé à l'expéditeur${opt(d.reason, (r) => ` (${r})`)}.`,
      cancelled: (d) => `Votre envoi ${d.ref} a été annulé${opt(d.reason, (r) => ` (${r})`)}.`,
      returned_to_sender: (d) => `Votre colis ${d.ref} est revenu chez l'expéditeur${opt(d.reason, (r) => ` (${r})`)}.`,
      stalled: (d) => `Votre colis ${d.ref} a du retard. Nous nous en occupons.`,
      delivery_date_changed: (d) => `Nouvelle date de livraison pour votre colis ${d.ref} : ${d.delivery}.`,
      'order.out_for_delivery': (d) =>
        `${d.count} colis de votre commande ${d.ref} sont en cours de livraison${opt(d.parcels, (p) => ` : ${p}`)}.`,
      'order.delivered': (d) => `${d.count} colis de votre commande ${d.ref} ont été livrés${opt(d.parcels, (p) => ` : ${p}`)}.`,
      'wallet.balance_confirmed': (d) => `Le solde de votre portefeuille est de ${d.amount}${opt(d.date, (t) => ` (confirmé le ${t})`)}.`,
    },
  },
  de: {
    hello: (name) => (name ? `Hallo ${name},` : 'Hallo,'),
    track: 'Sendungsverfolgung',
    signOff: 'Ihr Parcelcast-Team',
    manage: 'Wählen Sie, welche Nachrichten Sie erhalten',
    subject: {
      shipped: 'Ihr Paket ist unterwegs',
      out_for_delivery: 'Ihr Paket wird heute zugestellt',
      delivered: 'Ihr Paket wurde zugestellt',
      delivery_failed: 'Ihr Paket konnte nicht zugestellt werden',
      attempted_delivery: 'Wir haben versucht, Ihr Paket zuzustellen',
      available_for_pickup: 'Ihr Paket liegt zur Abholung bereit',
      returned: 'Ihr Paket geht an den Absender zurück',
      cancelled: 'Ihre Sendung wurde storniert',
      returned_to_sender: 'Ihr Paket ist beim Absender angekommen',
      stalled: 'Ihr Paket verspätet sich',
      delivery_date_changed: 'Ihr Paket hat einen neuen Liefertermin',
      'wallet.balance_confirmed': 'Ihr Guthaben',
      'order.out_for_delivery': 'Ihre Pakete werden heute zugestellt',
      'order.delivered': 'Ihre Pakete wurden zugestellt',
    },
    sentence: {
      shipped: (d) =>
        `Ihr Paket ${d.ref} wurde versandt${opt(d.carrier, (c) => ` mit ${c}`)}${opt(d.delivery, (e) => `, voraussichtlich ${e}`)}.`,
      out_for_delivery: (d) => `Ihr Paket ${d.ref} ist in der Zustellung${opt(d.eta, (e) => `, voraussichtlich ${e}`)}.`,
      delivered: (d) =>
        d.deliveredTo === 'neighbour'
          ? `Ihr Paket ${d.ref} wurde bei einem Nachbarn abgegeben${opt(d.place, (p) => ` (${p})`)}.`
          : d.deliveredTo === 'safe_place'
            ? `Ihr Paket ${d.ref} wurde an einem sicheren Ort abgelegt${opt(d.place, (p) => ` (${p})`)}.`
            : `Ihr Paket ${d.ref} wurde zugestellt.`,
      delivery_failed: (d) =>
        `Ihr Paket ${d.ref} konnte nicht zugestellt werden${opt(d.reason, (r) => ` (${r})`)}. Wir versuchen es erneut.`,
      attempted_delivery: (d) => `Wir haben versucht, Ihr Paket ${d.ref} zuzustellen${opt(d.date, (t) => `. Nächster Versuch: ${t}`)}.`,
      available_for_pickup: (d) =>
        `Ihr Paket ${d.ref} liegt zur Abholung bereit${opt(d.place, (p) => `: ${p}`)}${opt(d.date, (t) => `. Abholen bis ${t}`)}.`,
      returned: (d) => `Ihr Paket ${d.ref} geht an den Absender zurück${opt(d.reason, (r) => ` (${r})`)}.`,
      cancelled: (d) => `Ihre Sendung ${d.ref} wurde storniert${opt(d.reason, (r) => ` (${r})`)}.`,
      returned_to_sender: (d) => `Ihr Paket ${d.ref} ist beim Absender angekommen${opt(d.reason, (r) => ` (${r})`)}.`,
      stalled: (d) => `Ihr Paket ${d.ref} verspätet sich. Wir kümmern uns darum.`,
      delivery_date_changed: (d) => `Neuer Liefertermin für Ihr Paket ${d.ref}: ${d.delivery}.`,
      'order.out_for_delivery': (d) =>
        `${d.count} Pakete Ihrer Bestellung ${d.ref} sind in der Zustellung${opt(d.parcels, (p) => `: ${p}`)}.`,
      'order.delivered': (d) => `${d.count} Pakete Ihrer Bestellung ${d.ref} wurden zugestellt${opt(d.parcels, (p) => `: ${p}`)}.`,
      'wallet.balance_confirmed': (d) => `Ihr Guthaben beträgt ${d.amount}${opt(d.date, (t) => ` (bestätigt am ${t})`)}.`,
    },
  },
};

export class UnknownNotificationError extends Error {
  override readonly name = 'UnknownNotificationError';
}

/** The language subtag of a BCP 47 locale when we have words for it, English otherwise. */
export function languageOf(locale: string | undefined): Language {
  try {
    const language = localeLanguage(locale ?? DEFAULT_LOCALE);
    return (LANGUAGES as readonly string[]).includes(language) ? (language as Language) : 'en';
  } catch {
    return 'en';
  }
}

/** A locale Intl accepts: the customer's, or English when theirs is malformed. */
function formattingLocale(locale: string | undefined): string {
  try {
    return canonicalLocale(locale ?? DEFAULT_LOCALE) ?? DEFAULT_LOCALE;
  } catch {
    return DEFAULT_LOCALE;
  }
}

function validTimeZone(timeZone: string | undefined): string {
  return timeZone !== undefined && isKnownTimeZone(timeZone) ? timeZone : DEFAULT_TIME_ZONE;
}

/** Integer minor units as an exact decimal string: 123456 with 2 digits → "1234.56" (no float division). */
function decimalOf(minorUnits: number, digits: number): string {
  const sign = minorUnits < 0 ? '-' : '';
  const magnitude = String(Math.abs(minorUnits)).padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${magnitude}` : `${sign}${magnitude.slice(0, -digits)}.${magnitude.slice(-digits)}`;
}

function formatCurrency(minorUnits: number, format: Intl.NumberFormat): string {
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  // Intl formats a decimal string exactly; the cast is for TypeScript's ES2023 typings, which predate that overload.
  return format.format(decimalOf(minorUnits, digits) as unknown as number);
}

/** Integer minor units as the locale writes the currency, e.g. 123456 EUR → "1.234,56 €" in de. */
export function formatMoney(minorUnits: number, currency: string, locale: string): string {
  return formatCurrency(minorUnits, numberFormat(formattingLocale(locale), { style: 'currency', currency }));
}

/**
 * The amount with its ISO code and Latin digits, "EUR 1,234.56": the SMS fallback when the
 * locale's own symbols or digits (₹, ￥, ٤٢) would make the message UCS-2 and too long.
 */
export function formatMoneyPlain(minorUnits: number, currency: string): string {
  return formatCurrency(minorUnits, numberFormat('en', { style: 'currency', currency, currencyDisplay: 'code' }));
}

function formatWhen(iso: string | undefined, locale: string, timeZone: string, style: 'short' | 'long'): string | undefined {
  if (!iso) return undefined;
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) return undefined;
  const options: Intl.DateTimeFormatOptions =
    style === 'short' ? { weekday: 'short', hour: '2-digit', minute: '2-digit' } : { dateStyle: 'medium', timeStyle: 'short' };
  return dateTimeFormat(formattingLocale(locale), { ...options, timeZone }).format(instant);
}

/** Message types that are not a status of their own, and their words. */
const SPECIAL_TOPICS: Record<string, 'stalled' | 'delivery_date_changed'> = {
  'shipment.stalled': 'stalled',
  'shipment.delivery_date_changed': 'delivery_date_changed',
};

/**
 * When the parcel is expected, as the customer reads it: a day as the warehouse named it (no time
 * zone can move a calendar day), a window in the customer's time zone (the estimate's own when
 * theirs is unknown), both in their locale.
 */
function formatEstimate(estimate: EstimatedDelivery | undefined, locale: string, customerTimeZone: string | undefined): string | undefined {
  if (!estimate) return undefined;
  const day: Intl.DateTimeFormatOptions = { weekday: 'short', day: 'numeric', month: 'short' };
  try {
    if ('date' in estimate) {
      return dateTimeFormat(formattingLocale(locale), { ...day, timeZone: 'UTC' }).format(new Date(`${estimate.date}T12:00:00Z`));
    }
    const zone = validTimeZone(customerTimeZone ?? estimate.timeZone);
    const format = dateTimeFormat(formattingLocale(locale), { ...day, hour: '2-digit', minute: '2-digit', timeZone: zone });
    return format.formatRange(new Date(estimate.from), new Date(estimate.to));
  } catch {
    return undefined;
  }
}

/** Warehouse text as customers may see it (stored text predates some ingest rules), or undefined when nothing is left. */
function shown(text: string | undefined): string | undefined {
  const safe = text === undefined ? '' : sanitiseText(text);
  return safe === '' ? undefined : safe;
}

interface Prepared {
  wording: Wording;
  topic: Topic;
  /**
   * The facts, most detailed first: every detail; then only what the sentence needs (no
   * carrier, ETA, reason or confirmation date); for a balance, then its amount written plainly.
   */
  steps: [Details, ...Details[]];
  link?: string;
  name?: string;
}

function prepare(message: NotificationMessage): Prepared {
  const wording = WORDING[languageOf(message.locale)];
  const timeZone = validTimeZone(message.timeZone);
  const name = shown(message.customerName);
  if (message.eventType === 'wallet.balance_confirmed' && message.wallet) {
    const { balance, currency, reconciledAt } = message.wallet;
    // Intl output is text too: bidi marks of right-to-left locales included, so it is shown as safe text as well.
    const amount = sanitiseText(formatMoney(balance, currency, message.locale));
    const ref = shown(message.wallet.walletId) ?? '';
    const full = { ref, amount, date: shown(formatWhen(reconciledAt, message.locale, timeZone, 'long')) };
    const plain = { ref, amount: sanitiseText(formatMoneyPlain(balance, currency)) };
    return { wording, topic: 'wallet.balance_confirmed', steps: [full, { ref, amount }, plain], name };
  }
  if (message.order && message.shipment) return prepareOrder(message, wording, name);
  const shipment = message.shipment;
  const topic = SPECIAL_TOPICS[message.eventType] ?? shipment?.status;
  const special = message.eventType in SPECIAL_TOPICS;
  if (!shipment || !topic || !(topic in wording.sentence) || (!special && message.eventType !== `shipment.${topic}`)) {
    throw new UnknownNotificationError(`no template for ${message.eventType}`);
  }
  const ref = shown(shipment.trackingNumber) ?? shown(shipment.shipmentId) ?? '';
  const deliveredTo = topic === 'delivered' ? shipment.deliveredTo : undefined;
  const full: Details = {
    ref,
    carrier: shown(shipment.carrier),
    eta: shown(formatWhen(shipment.eta, message.locale, timeZone, 'short')),
    reason: shown(shipment.reason),
    date: shown(formatWhen(shipment.nextAttemptAt ?? shipment.collectBy, message.locale, timeZone, 'long')),
    place: shown(shipment.pickupPoint ?? shipment.location),
    deliveredTo,
    delivery: shown(formatEstimate(shipment.estimatedDelivery, message.locale, message.timeZone)),
  };
  // The new date is what a new-date message is for: it stays when the optional details go.
  const essential = topic === 'delivery_date_changed' ? { ref, deliveredTo, delivery: full.delivery ?? '' } : { ref, deliveredTo };
  if (topic === 'delivery_date_changed' && !full.delivery) throw new UnknownNotificationError('a new delivery date message without a date');
  return {
    wording,
    topic: topic as Exclude<Topic, 'wallet.balance_confirmed'>,
    steps: [full, essential],
    link: safeTrackingUrl(shipment.trackingUrl),
    name,
  };
}

/**
 * A combined message of a split order: the order's id is its reference (cut like a parcel's when
 * the SMS is short of room), the parcels' references are the detail left out first. No tracking
 * link: each parcel has its own.
 */
function prepareOrder(message: NotificationMessage, wording: Wording, name: string | undefined): Prepared {
  const { order, shipment } = message as Required<Pick<NotificationMessage, 'order' | 'shipment'>>;
  const topic = `order.${shipment.status}`;
  if (!(topic in wording.sentence) || message.eventType !== topic)
    throw new UnknownNotificationError(`no template for ${message.eventType}`);
  const ref = shown(order.orderId) ?? '';
  const count = order.parcels.length;
  const parcels = order.parcels.map((parcel) => shown(parcel.trackingNumber) ?? shown(parcel.shipmentId) ?? '').join(', ');
  return {
    wording,
    topic: topic as OrderTopic,
    steps: [
      { ref, count, parcels },
      { ref, count },
    ],
    name,
  };
}

const SMS_PREFIX = 'Parcelcast: ';
const ELLIPSIS = '…';
/** A reference is cut no shorter than this before the sentence itself is cut. */
const MIN_REFERENCE_GRAPHEMES = 8;

const oneSegment = (text: string) => {
  const sms = prepareSms(text);
  return sms.segments === 1 ? sms : undefined;
};

const graphemeSegmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
/** User-perceived characters: cutting between them never splits an emoji, a flag or an accent from its letter. */
const graphemesOf = (text: string) => Array.from(graphemeSegmenter.segment(text), (part) => part.segment);

/** The text of `parts` whole, or its first `count` graphemes and an ellipsis. */
function cutGraphemes(parts: readonly string[], count: number): string {
  return count >= parts.length ? parts.join('') : `${parts.slice(0, count).join('').trimEnd()}${ELLIPSIS}`;
}

/**
 * The longest cut of a text (whole, or at least `minimum` of its graphemes and an ellipsis)
 * whose message `compose` makes fits one segment, or undefined when none does. A longer cut never
 * fits where a shorter one did not, so a binary search finds it.
 */
function longestFitting(parts: readonly string[], minimum: number, compose: (cut: string) => string): SmsText | undefined {
  let low = Math.min(minimum, parts.length);
  let best = oneSegment(compose(cutGraphemes(parts, low)));
  if (!best) return undefined;
  let high = parts.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    const sms = oneSegment(compose(cutGraphemes(parts, middle)));
    if (sms) {
      best = sms;
      low = middle;
    } else high = middle - 1;
  }
  return best;
}

/**
 * The SMS: always one segment (160 GSM-7 septets, or 70 UCS-2 units when a character has no
 * GSM-7 spelling), whatever the warehouse sent. The richest message that fits wins, in order:
 * 1. the sentence with every detail and the tracking link;
 * 2. the link without the optional details (carrier, ETA, reason, pickup point, the next attempt's
 *    or a pickup's date, where a neighbour or safe place is; a balance's confirmation date);
 * 3. the details without the link; 4. neither;
 * 5. a balance written plainly ("EUR 1,234.56") where the locale's symbols or digits need UCS-2;
 * 6. the parcel's reference (tracking number or shipment id) cut with an ellipsis, down to 8 characters;
 * 7. the sentence cut at its end with an ellipsis.
 * Amounts are never cut: steps 1–5 always fit a balance.
 */
export function renderSms(message: NotificationMessage): SmsText {
  const { wording, topic, steps, link } = prepare(message);
  const sentence = (details: Details) => `${SMS_PREFIX}${wording.sentence[topic](details)}`;
  const withLink = (details: Details) => (link ? `${sentence(details)} ${wording.track}: ${link}` : sentence(details));
  const candidates = [...(link ? steps.map(withLink) : []), ...steps.map(sentence)];
  for (const candidate of candidates) {
    const sms = oneSegment(candidate);
    if (sms) return sms;
  }
  const last = steps[steps.length - 1] as Details;
  const reference = graphemesOf(last.ref);
  const shortened = longestFitting(reference, MIN_REFERENCE_GRAPHEMES, (ref) => sentence({ ...last, ref }));
  if (shortened) return shortened;
  const shortest = sentence({ ...last, ref: cutGraphemes(reference, MIN_REFERENCE_GRAPHEMES) });
  const cut = longestFitting(graphemesOf(shortest), 0, (text) => text);
  // Unreachable: an ellipsis alone is one segment.
  if (!cut) throw new RangeError('no cut of the message fits one SMS segment');
  return cut;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string);

/**
 * The email: greeting, sentence, tracking link, sign-off and, when given, the link to the customer's
 * preferences (the same signed link as the List-Unsubscribe header: not every mail client shows that).
 */
export function renderEmail(message: NotificationMessage, options: { preferencesUrl?: string } = {}): RenderedEmail {
  const { wording, topic, steps, link, name } = prepare(message);
  const language = languageOf(message.locale);
  const subject = wording.subject[topic];
  const sentence = wording.sentence[topic](steps[0]);
  const greeting = wording.hello(name);
  const manage = options.preferencesUrl;
  const text = [
    greeting,
    '',
    sentence,
    ...(link ? ['', `${wording.track}: ${link}`] : []),
    '',
    wording.signOff,
    ...(manage ? ['', `${wording.manage}: ${manage}`] : []),
    '',
  ].join('\n');
  const html = [
    '<!doctype html>',
    `<html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>`,
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>${escapeHtml(sentence)}</p>`,
    ...(link ? [`<p><a href="${escapeHtml(link)}">${escapeHtml(wording.track)}</a></p>`] : []),
    `<p>${escapeHtml(wording.signOff)}</p>`,
    ...(manage ? [`<p><small><a href="${escapeHtml(manage)}">${escapeHtml(wording.manage)}</a></small></p>`] : []),
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
