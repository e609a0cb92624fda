import type { NotificationMessage } from './notification-message.ts';
import { DEFAULT_LOCALE } from './notification-policy.ts';
import { DEFAULT_TIME_ZONE } from './quiet-hours.ts';
import type { ShipmentStatus } from './shipment.ts';
import { GSM7_SINGLE_SEGMENT, prepareSms, type SmsText } from './sms-encoding.ts';

/**
 * The words customers read: one SMS and one email per announced shipment status and for a
 * confirmed wallet balance, in English, Spanish, French and German, chosen by the language
 * subtag of the customer's locale (English otherwise). Dates and money are formatted for the
 * full locale with Intl, in the customer's time zone.
 */

export const LANGUAGES = ['en', 'es', 'fr', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

type AnnouncedStatus = Extract<ShipmentStatus, 'shipped' | 'out_for_delivery' | 'delivered' | 'delivery_failed' | 'returned' | 'cancelled'>;
type Topic = AnnouncedStatus | 'wallet.balance_confirmed';

interface Details {
  ref: string;
  carrier?: string;
  eta?: string;
  reason?: string;
  amount?: string;
  date?: string;
}

interface Wording {
  hello: (name?: string) => string;
  track: string;
  signOff: string;
  subject: Record<Topic, string>;
  sentence: Record<Topic, (details: Details) => string>;
}

const opt = (value: string | undefined, render: (value: string) => string) => (value ? render(value) : '');

const WORDING: Record<Language, Wording> = {
  en: {
    hello: (name) => (name ? `Hello ${name},` : 'Hello,'),
    track: 'Track it',
    signOff: 'The Parcelcast team',
    subject: {
      shipped: 'Your parcel is on its way',
      out_for_delivery: 'Your parcel is out for delivery',
      delivered: 'Your parcel has been delivered',
      delivery_failed: 'We could not deliver your parcel',
      returned: 'Your parcel is being returned',
      cancelled: 'Your shipment has been cancelled',
      'wallet.balance_confirmed': 'Your wallet balance',
    },
    sentence: {
      shipped: (d) => `Your parcel ${d.ref} has shipped${opt(d.carrier, (c) => ` with ${c}`)}.`,
      out_for_delivery: (d) => `Your parcel ${d.ref} is out for delivery${opt(d.eta, (e) => `, expected ${e}`)}.`,
      delivered: (d) => `Your parcel ${d.ref} has been delivered.`,
      delivery_failed: (d) => `We could not deliver your parcel ${d.ref}${opt(d.reason, (r) => ` (${r})`)}. We will try again.`,
      returned: (d) => `Your parcel ${d.ref} is being returned to the sender${opt(d.reason, (r) => ` (${r})`)}.`,
      cancelled: (d) => `Your shipment ${d.ref} has been cancelled${opt(d.reason, (r) => ` (${r})`)}.`,
      'wallet.balance_confirmed': (d) => `Your wallet balance is ${d.amount}${opt(d.date, (t) => ` (confirmed ${t})`)}.`,
    },
  },
  es: {
    hello: (name) => (name ? `Hola ${name}:` : 'Hola:'),
    track: 'Seguimiento',
    signOff: 'El equipo de Parcelcast',
    subject: {
      shipped: 'Tu paquete está en camino',
      out_for_delivery: 'Tu paquete está en reparto',
      delivered: 'Tu paquete ha sido entregado',
      delivery_failed: 'No hemos podido entregar tu paquete',
      returned: 'Tu paquete vuelve al remitente',
      cancelled: 'Tu envío ha sido cancelado',
      'wallet.balance_confirmed': 'El saldo de tu monedero',
    },
    sentence: {
      shipped: (d) => `Tu paquete ${d.ref} ha sido enviado${opt(d.carrier, (c) => ` con ${c}`)}.`,
      out_for_delivery: (d) => `Tu paquete ${d.ref} está en reparto${opt(d.eta, (e) => `, llegada prevista ${e}`)}.`,
      delivered: (d) => `Tu paquete ${d.ref} ha sido entregado.`,
      delivery_failed: (d) => `No hemos podido entregar tu paquete ${d.ref}${opt(d.reason, (r) => ` (${r})`)}. Lo intentaremos de nuevo.`,
      returned: (d) => `Tu paquete ${d.ref} vuelve al remitente${opt(d.reason, (r) => ` (${r})`)}.`,
      cancelled: (d) => `Tu envío ${d.ref} ha sido cancelado${opt(d.reason, (r) => ` (${r})`)}.`,
      'wallet.balance_confirmed': (d) => `El saldo de tu monedero es ${d.amount}${opt(d.date, (t) => ` (confirmado el ${t})`)}.`,
    },
  },
  fr: {
    hello: (name) => (name ? `Bonjour ${name},` : 'Bonjour,'),
    track: 'Suivi',
    signOff: "L'équipe Parcelcast",
    subject: {
      shipped: 'Votre colis est en route',
      out_for_delivery: 'Votre colis est en cours de livraison',
      delivered: 'Votre colis a été livré',
      delivery_failed: "Votre colis n'a pas pu être livré",
      returned: "Votre colis est renvoyé à l'expéditeur",
      cancelled: 'Votre envoi a été annulé',
      'wallet.balance_confirmed': 'Le solde de votre portefeuille',
    },
    sentence: {
      shipped: (d) => `Votre colis ${d.ref} a été expédié${opt(d.carrier, (c) => ` avec ${c}`)}.`,
      out_for_delivery: (d) => `Votre colis ${d.ref} est en cours de livraison${opt(d.eta, (e) => `, arrivée prévue ${e}`)}.`,
      delivered: (d) => `Votre colis ${d.ref} a été livré.`,
      delivery_failed: (d) => `Votre colis ${d.ref} n'a pas pu être livré${opt(d.reason, (r) => ` (${r})`)}. Nous réessaierons.`,
      returned: (d) => `Votre colis ${d.ref} est renvoyé à l'expéditeur${opt(d.reason, (r) => ` (${r})`)}.`,
      cancelled: (d) => `Votre envoi ${d.ref} a été annulé${opt(d.reason, (r) => ` (${r})`)}.`,
      'wallet.balance_confirmed': (d) => `Le solde de votre portefeuille est de ${d.amount}${opt(d.date, (t) => ` (confirmé le ${t})`)}.`,
    },
  },
  de: {
    hello: (name) => (name ? `Hallo ${name},` : 'Hallo,'),
    track: 'Sendungsverfolgung',
    signOff: 'Ihr Parcelcast-Team',
    subject: {
      shipped: 'Ihr Paket ist unterwegs',
      out_for_delivery: 'Ihr Paket wird heute zugestellt',
      delivered: 'Ihr Paket wurde zugestellt',
      delivery_failed: 'Ihr Paket konnte nicht zugestellt werden',
      returned: 'Ihr Paket geht an den Absender zurück',
      cancelled: 'Ihre Sendung wurde storniert',
      'wallet.balance_confirmed': 'Ihr Guthaben',
    },
    sentence: {
      shipped: (d) => `Ihr Paket ${d.ref} wurde versandt${opt(d.carrier, (c) => ` mit ${c}`)}.`,
      out_for_delivery: (d) => `Ihr Paket ${d.ref} ist in der Zustellung${opt(d.eta, (e) => `, voraussichtlich ${e}`)}.`,
      delivered: (d) => `Ihr Paket ${d.ref} wurde zugestellt.`,
      delivery_failed: (d) =>
        `Ihr Paket ${d.ref} konnte nicht zugestellt werden${opt(d.reason, (r) => ` (${r})`)}. Wir versuchen es erneut.`,
      returned: (d) => `Ihr Paket ${d.ref} geht an den Absender zurück${opt(d.reason, (r) => ` (${r})`)}.`,
      cancelled: (d) => `Ihre Sendung ${d.ref} wurde storniert${opt(d.reason, (r) => ` (${r})`)}.`,
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
    const language = new Intl.Locale(locale ?? DEFAULT_LOCALE).language;
    return (LANGUAGES as readonly string[]).includes(language) ? (language as Language) : 'en';
  } catch {
    return 'en';
  }
}

/** A locale Intl accepts: the customer's, or English when theirs is malformed. */
function formattingLocale(locale: string | undefined): string {
  try {
    return Intl.getCanonicalLocales(locale ?? DEFAULT_LOCALE)[0] ?? DEFAULT_LOCALE;
  } catch {
    return DEFAULT_LOCALE;
  }
}

function validTimeZone(timeZone: string | undefined): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timeZone ?? DEFAULT_TIME_ZONE });
    return timeZone ?? DEFAULT_TIME_ZONE;
  } catch {
    return DEFAULT_TIME_ZONE;
  }
}

/** Integer minor units as the locale writes the currency, e.g. 123456 EUR → "1.234,56 €" in de. */
export function formatMoney(minorUnits: number, currency: string, locale: string): string {
  const format = new Intl.NumberFormat(formattingLocale(locale), { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** digits);
}

function formatWhen(iso: string | undefined, locale: string, timeZone: string, style: 'short' | 'long'): string | undefined {
  if (!iso) return undefined;
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) return undefined;
  const options: Intl.DateTimeFormatOptions =
    style === 'short' ? { weekday: 'short', hour: '2-digit', minute: '2-digit' } : { dateStyle: 'medium', timeStyle: 'short' };
  return new Intl.DateTimeFormat(formattingLocale(locale), { ...options, timeZone }).format(instant);
}

interface Prepared {
  wording: Wording;
  topic: Topic;
  full: Details;
  /** The same facts without the optional details, for an SMS that must be short. */
  minimal: Details;
  link?: string;
  name?: string;
}

function prepare(message: NotificationMessage): Prepared {
  const wording = WORDING[languageOf(message.locale)];
  const timeZone = validTimeZone(message.timeZone);
  if (message.eventType === 'wallet.balance_confirmed' && message.wallet) {
    const { balance, currency, reconciledAt } = message.wallet;
    const amount = formatMoney(balance, currency, message.locale);
    const full = { ref: message.wallet.walletId, amount, date: formatWhen(reconciledAt, message.locale, timeZone, 'long') };
    return { wording, topic: 'wallet.balance_confirmed', full, minimal: { ref: full.ref, amount }, name: message.customerName };
  }
  const shipment = message.shipment;
  const topic = shipment?.status;
  if (!shipment || !topic || !(topic in wording.sentence) || message.eventType !== `shipment.${topic}`) {
    throw new UnknownNotificationError(`no template for ${message.eventType}`);
  }
  const ref = shipment.trackingNumber ?? shipment.shipmentId;
  const full: Details = {
    ref,
    carrier: shipment.carrier,
    eta: formatWhen(shipment.eta, message.locale, timeZone, 'short'),
    reason: shipment.reason,
  };
  return { wording, topic: topic as AnnouncedStatus, full, minimal: { ref }, link: shipment.trackingUrl, name: message.customerName };
}

/**
 * The SMS text: the full sentence with the tracking link when it fits one GSM-7 segment, else
 * without the optional details; when even that does not fit (a very long link, a non-Latin
 * name) it is sent as measured, its segments counted, never cut.
 */
export function renderSms(message: NotificationMessage): SmsText {
  const { wording, topic, full, minimal, link } = prepare(message);
  const compose = (details: Details) => `Parcelcast: ${wording.sentence[topic](details)}${link ? ` ${wording.track}: ${link}` : ''}`;
  const candidates = [prepareSms(compose(full)), prepareSms(compose(minimal))];
  return candidates.find((sms) => sms.segments === 1 && sms.units <= GSM7_SINGLE_SEGMENT) ?? (candidates[1] as SmsText);
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string);

export function renderEmail(message: NotificationMessage): RenderedEmail {
  const { wording, topic, full, link, name } = prepare(message);
  const language = languageOf(message.locale);
  const subject = wording.subject[topic];
  const sentence = wording.sentence[topic](full);
  const greeting = wording.hello(name);
  const text = [greeting, '', sentence, ...(link ? ['', `${wording.track}: ${link}`] : []), '', wording.signOff, ''].join('\n');
  const html = [
    '<!doctype html>',
    `<html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>`,
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>${escapeHtml(sentence)}</p>`,
    ...(link ? [`<p><a href="${escapeHtml(link)}">${escapeHtml(wording.track)}</a></p>`] : []),
    `<p>${escapeHtml(wording.signOff)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
