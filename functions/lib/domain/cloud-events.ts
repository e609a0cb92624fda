import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { CHANNELS } from './channels.ts';
import { type FieldError, ValidationError } from './errors.ts';

// zod/mini has no messages of its own: the same English locale classic zod installs on first use, and only
// if nothing else configured one, so every issue reads exactly as it did with classic zod.
if (!z.config().localeError) z.config(en());

/**
 * The CloudEvents 1.0 contract warehouses post (docs/events.md; docs/openapi.json is generated from these schemas).
 * Every `data` object is strict: an unknown field is an error, not something silently dropped.
 */

export const MAX_BATCH_EVENTS = 100;
export const MAX_BODY_BYTES = 256 * 1024;

/** A lone UTF-16 surrogate (a JSON `\ud800` escape) cannot be URI-encoded into a table key. */
const wellFormed = (value: string) => !/\p{Cs}/u.test(value);
const WELL_FORMED = 'must be well-formed Unicode text (no lone surrogates)';

// Identifiers are keys: checked, never rewritten. Trimming ' e1 ' to 'e1' would merge two events.
const id = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(128),
    z.regex(/^\S(.*\S)?$/s, 'must not start or end with white space'),
    z.refine(wellFormed, WELL_FORMED),
  );
const text = z.string().check(z.trim(), z.minLength(1), z.maxLength(500));
const rfc3339 = z.iso.datetime({ offset: true });

const locale = z.string().check(
  z.maxLength(35),
  z.refine((value: string) => {
    try {
      return Intl.getCanonicalLocales(value).length === 1;
    } catch {
      return false;
    }
  }, 'must be a BCP 47 language tag such as "es-ES"'),
);

const timeZone = z.string().check(
  z.regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, 'must be an IANA time zone such as "Europe/Madrid"'),
  z.refine((value: string) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone such as "Europe/Madrid"'),
);

const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));
const currency = z
  .string()
  .check(z.refine((value: string) => knownCurrencies.has(value), 'must be an ISO 4217 currency code such as "EUR"'));

/** Money is always integer minor units, so no rounding ever happens in the ledger. */
export const moneySchema = z.strictObject({
  value: z.number().check(z.int('must be an integer number of minor units'), z.positive(), z.maximum(Number.MAX_SAFE_INTEGER)),
  currency,
});

export { CHANNELS, type Channel } from './channels.ts';

const customer = z.strictObject({
  id,
  name: z.optional(text),
  phone: z.optional(z.e164('must be an E.164 phone number such as "+34600000000"')),
  email: z.optional(z.email().check(z.maxLength(254))),
  locale: z.optional(locale),
  timeZone: z.optional(timeZone),
  channels: z.optional(
    z.array(z.enum(CHANNELS)).check(
      z.maxLength(CHANNELS.length),
      z.refine((list: string[]) => new Set(list).size === list.length, 'must not repeat a channel'),
    ),
  ),
});

const shipmentRef = { shipmentId: id };
const tracking = {
  carrier: z.optional(text),
  trackingNumber: z.optional(text),
  trackingUrl: z.optional(z.url({ protocol: /^https?$/ }).check(z.maxLength(2048))),
};

/** `data` schema per event type: the table in docs/events.md, field for field (a test holds them together). */
export const eventDataSchemas = {
  'shipment.created': z.strictObject({
    ...shipmentRef,
    orderId: id,
    customer,
    ...tracking,
    promisedBy: z.optional(rfc3339),
  }),
  'shipment.picked': z.strictObject(shipmentRef),
  'shipment.packed': z.strictObject(shipmentRef),
  'shipment.shipped': z.strictObject({ ...shipmentRef, ...tracking }),
  'shipment.in_transit': z.strictObject({ ...shipmentRef, location: z.optional(text) }),
  'shipment.out_for_delivery': z.strictObject({ ...shipmentRef, eta: z.optional(rfc3339) }),
  'shipment.delivered': z.strictObject({ ...shipmentRef, location: z.optional(text), signedBy: z.optional(text) }),
  'shipment.delivery_failed': z.strictObject({ ...shipmentRef, reason: text, nextAttemptAt: z.optional(rfc3339) }),
  'shipment.returned': z.strictObject({ ...shipmentRef, reason: z.optional(text) }),
  'shipment.cancelled': z.strictObject({ ...shipmentRef, reason: z.optional(text) }),
  'wallet.debited': z.strictObject({ walletId: id, customerId: id, amount: moneySchema, reference: text }),
  'wallet.credited': z.strictObject({ walletId: id, customerId: id, amount: moneySchema, reference: text }),
} as const;

export type EventType = keyof typeof eventDataSchemas;
export const EVENT_TYPES = Object.keys(eventDataSchemas) as EventType[];

/** CloudEvents extension attribute names: lower-case letters and digits (spec §3.1.1). */
const extensionName = /^[a-z0-9]{1,20}$/;
const CORE_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'time', 'subject', 'datacontenttype', 'dataschema', 'data']);

const envelope = {
  specversion: z.literal('1.0'),
  id,
  source: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(256),
      z.regex(/^[^\s]+$/, 'must be a URI-reference such as "//warehouse/ams-1"'),
      z.refine(wellFormed, WELL_FORMED),
    ),
  time: rfc3339,
  subject: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  datacontenttype: z.optional(z.literal('application/json')),
  dataschema: z.optional(z.url()),
};

function eventSchemaFor<T extends EventType>(type: T) {
  return z
    .catchall(
      z.object({ ...envelope, type: z.literal(type), data: eventDataSchemas[type] }),
      z.union([z.string(), z.number(), z.boolean()]),
    )
    .check(
      z.superRefine((event: object, ctx) => {
        for (const key of Object.keys(event)) {
          if (!CORE_ATTRIBUTES.has(key) && !extensionName.test(key)) {
            ctx.addIssue({ code: 'custom', path: [key], message: 'is not a CloudEvents attribute' });
          }
        }
      }),
    );
}

/** The full CloudEvent schema of each type (docs/openapi.json is generated from these). */
export const cloudEventSchemas = Object.fromEntries(EVENT_TYPES.map((type) => [type, eventSchemaFor(type)])) as {
  [T in EventType]: ReturnType<typeof eventSchemaFor<T>>;
};

const cloudEventSchema = z.discriminatedUnion(
  'type',
  Object.values(cloudEventSchemas) as unknown as [
    ReturnType<typeof eventSchemaFor<'shipment.created'>>,
    ...ReturnType<typeof eventSchemaFor<EventType>>[],
  ],
);

type EventOf<T extends EventType> = {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time: string;
  subject?: string;
  data: z.infer<(typeof eventDataSchemas)[T]>;
};

/** A validated warehouse event, discriminated by `type`. */
export type ParcelEvent = { [T in EventType]: EventOf<T> }[EventType];
export type ShipmentEvent = Extract<ParcelEvent, { type: `shipment.${string}` }>;
export type WalletEvent = Extract<ParcelEvent, { type: `wallet.${string}` }>;

export function isWalletEvent(event: ParcelEvent): event is WalletEvent {
  return event.type === 'wallet.debited' || event.type === 'wallet.credited';
}

/** `[3].data.customer.phone` for batches, `data.customer.phone` for a single event. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? '$' : out;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator') {
    return `unknown event type; expected one of ${EVENT_TYPES.join(', ')}`;
  }
  if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
  return issue.message;
}

export interface ParsedBody {
  /** True when the body was a JSON array (a batch), even a batch of one. */
  batch: boolean;
  events: ParcelEvent[];
}

/**
 * Validates a parsed JSON body, single event or batch, all or nothing: either every event
 * is valid or a ValidationError lists every failing field of every event.
 */
export function parseEvents(body: unknown): ParsedBody {
  const batch = Array.isArray(body);
  const items: unknown[] = batch ? (body as unknown[]) : [body];
  if (batch && items.length === 0) {
    throw new ValidationError([{ path: '$', message: 'a batch must hold at least one event' }]);
  }
  const events: ParcelEvent[] = [];
  const errors: FieldError[] = [];
  items.forEach((item, index) => {
    const result = cloudEventSchema.safeParse(item);
    if (result.success) {
      events.push(result.data as ParcelEvent);
      return;
    }
    for (const issue of result.error.issues) {
      const path = batch ? [index, ...issue.path] : issue.path;
      errors.push({ path: formatPath(path), message: issueMessage(issue) });
    }
  });
  if (errors.length > 0) throw new ValidationError(errors);
  return { batch, events };
}
