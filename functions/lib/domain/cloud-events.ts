import { createHash } from 'node:crypto';
import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { CHANNELS } from './channels.ts';
import { DELIVERED_TO } from './delivered-to.ts';
import { type FieldError, ValidationError } from './errors.ts';
import { isKnownTimeZone } from './intl-formats.ts';
import { keyPartBytes, keyPartMessage, MAX_IDENTIFIER_KEY_BYTES, MAX_SOURCE_KEY_BYTES } from './key-limits.ts';
import {
  codePointName,
  firstUnsafeCharacter,
  MAX_TRACKING_URL_LENGTH,
  normaliseText,
  normaliseUrl,
  trackingUrlProblem,
  UNSAFE_TEXT_MESSAGE,
} from './safe-text.ts';

// zod/mini has no messages of its own: the same English locale classic zod installs on first use, and only
// if nothing else configured one, so every issue reads exactly as it did with classic zod.
if (!z.config().localeError) z.config(en());

/**
 * The CloudEvents 1.0 contract warehouses post (docs/events.md); docs/openapi.json is generated
 * from it and docs/problems.md lists the rules in words.
 * Every `data` object is strict: an unknown field is an error, not something silently dropped.
 */

export const MAX_BATCH_EVENTS = 100;
export const MAX_BODY_BYTES = 256 * 1024;

/** A lone UTF-16 surrogate (a JSON `\ud800` escape) cannot be URI-encoded into a table key. */
const wellFormed = (value: string) => !/\p{Cs}/u.test(value);
const WELL_FORMED = 'must be well-formed Unicode text (no lone surrogates)';

/** Checks that report one problem (the first) per field, in the order a client would fix them. */
const firstProblem = (problem: (value: string) => string | undefined) =>
  z.superRefine((value: string, ctx) => {
    const message = problem(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
  });

const unsafeProblem = (value: string) => {
  const unsafe = firstUnsafeCharacter(value);
  return unsafe === undefined ? undefined : `${UNSAFE_TEXT_MESSAGE}; found ${codePointName(unsafe)}`;
};

export const MAX_IDENTIFIER_LENGTH = 128;
const EDGES = /^\S(.*\S)?$/s;

/** The key-part rules shared by identifiers and `source`; length and edges are zod's own checks. */
function keyPartProblem(value: string, maxKeyBytes: number): string | undefined {
  if (!wellFormed(value)) return WELL_FORMED;
  const unsafe = unsafeProblem(value);
  if (unsafe) return unsafe;
  if (/[^\S ]/u.test(value)) return 'must not contain white space other than the space character';
  if (value !== value.normalize('NFC')) return 'must be in Unicode normalisation form C (NFC)';
  if (keyPartBytes(value) > maxKeyBytes) return keyPartMessage(maxKeyBytes);
  return undefined;
}

/**
 * Identifiers are keys: checked, never rewritten. Trimming ' e1 ' to 'e1' would merge two events,
 * and so would normalising 'e\u0301' to 'é', so a text that is not already NFC is refused.
 * Exported for routes whose path names one (`GET /v1/wallets/{walletId}`): an id that fails it
 * cannot have been stored.
 */
export const identifierSchema = z.string().check(
  z.minLength(1),
  z.maxLength(MAX_IDENTIFIER_LENGTH),
  z.regex(EDGES, 'must not start or end with white space'),
  firstProblem((value) => (EDGES.test(value) ? keyPartProblem(value, MAX_IDENTIFIER_KEY_BYTES) : undefined)),
  z.describe(
    `An identifier: no control, formatting (bidi) or private-use characters, NFC, and at most ${MAX_IDENTIFIER_KEY_BYTES} bytes once URI-encoded.`,
  ),
);
const id = identifierSchema;

/** Longest free text per field, in UTF-16 code units after normalisation. */
export const TEXT_LIMITS = {
  name: 200,
  carrier: 100,
  trackingNumber: 64,
  location: 200,
  signedBy: 200,
  reason: 500,
  reference: 200,
  pickupPoint: 200,
} as const;

/**
 * Free text a customer or a terminal may see: normalised (NFC, white space runs folded into one
 * space, trimmed), then refused if it still holds a control, formatting or private-use character.
 */
const text = (max: number) =>
  z
    .string()
    .check(
      z.overwrite(normaliseText),
      z.minLength(1),
      z.maxLength(max),
      firstProblem(unsafeProblem),
      z.describe('Safe text: stored as NFC with white space folded; no control, formatting (bidi) or private-use characters.'),
    );

/** How far ahead of its receipt an event's `time` may be: the same 5 minutes as the signature's clock tolerance. */
export const MAX_EVENT_TIME_AHEAD_MS = 5 * 60_000;
const INSTANT_MESSAGE = 'must be an RFC 3339 date-time with a four-digit year and an offset, such as "2026-11-01T08:00:00Z"';
/** The shape zod's date-time format checks; anything else is left to report to it alone. */
const INSTANT_SHAPE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d+))?(?:Z|[+-]\d\d:\d\d)$/;

/**
 * At most nanoseconds, and years 0000–9999 in UTC, so every stored time is a 24-character ISO
 * string that sorts as text: `9999-12-31T23:59:59-23:59` is a valid RFC 3339 string, but in UTC it
 * is in year 10000.
 */
function instantProblem(value: string): string | undefined {
  const shape = INSTANT_SHAPE.exec(value);
  const epochMs = Date.parse(value);
  if (!shape || Number.isNaN(epochMs)) return undefined;
  if ((shape[1]?.length ?? 0) > 9) return `${INSTANT_MESSAGE}, to the nanosecond at most`;
  const year = new Date(epochMs).getUTCFullYear();
  return year < 0 || year > 9999 ? 'must fall within the years 0000 to 9999 once converted to UTC' : undefined;
}

const instant = (description: string) =>
  z.iso.datetime({ offset: true, error: INSTANT_MESSAGE }).check(firstProblem(instantProblem), z.describe(description));
const rfc3339 = instant('An RFC 3339 date-time with an offset, within the years 0000 to 9999 once converted to UTC.');

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

const timeZone = z
  .string()
  .check(
    z.maxLength(64),
    z.regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, 'must be an IANA time zone such as "Europe/Madrid"'),
    z.refine(isKnownTimeZone, 'must be an IANA time zone such as "Europe/Madrid"'),
  );

const knownCurrencies = new Set(Intl.supportedValuesOf('currency'));
const currency = z
  .string()
  .check(z.refine((value: string) => knownCurrencies.has(value), 'must be an ISO 4217 currency code such as "EUR"'));

/**
 * The largest amount one ledger entry may move: 10^12 minor units (ten billion euros in cents).
 * With wallet balances kept within MAX_WALLET_BALANCE_MINOR_UNITS (wallet.ts) every running total
 * stays far below Number.MAX_SAFE_INTEGER (docs/wallet-reconciliation.md, "Money limits").
 */
export const MAX_MONEY_MINOR_UNITS = 1_000_000_000_000;

/** Money is always integer minor units, so no rounding ever happens in the ledger. */
export const moneySchema = z.strictObject({
  value: z
    .number()
    .check(
      z.int('must be an integer number of minor units'),
      z.positive(),
      z.maximum(MAX_MONEY_MINOR_UNITS, `must be at most ${MAX_MONEY_MINOR_UNITS} minor units`),
    ),
  currency,
});

export { CHANNELS, type Channel } from './channels.ts';

const customer = z.strictObject({
  id,
  name: z.optional(text(TEXT_LIMITS.name)),
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

/** A link customers are sent: https, a DNS host name in ASCII, no user information (safe-text.ts). */
const trackingUrl = z.string().check(
  z.maxLength(MAX_TRACKING_URL_LENGTH),
  firstProblem((value) => (value.length > MAX_TRACKING_URL_LENGTH ? undefined : trackingUrlProblem(value))),
  z.overwrite(normaliseUrl),
  z.meta({
    format: 'uri',
    description:
      'An https URL of printable ASCII (an international host name in its xn-- form) naming a DNS host, without user information; stored as browsers serialise it.',
  }),
);

/** A calendar day, `YYYY-MM-DD`, that exists. */
const calendarDate = z.string().check(
  z.regex(/^\d{4}-\d\d-\d\d$/, 'must be a date such as "2026-11-05"'),
  z.refine((value: string) => new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), 'must be a date that exists'),
);
/** The longest window an estimate may span. */
export const MAX_ESTIMATE_WINDOW_DAYS = 14;

/**
 * When the parcel is expected: a day (`date`) or a window (`from`, `to`), in the time zone it was
 * promised in. Customers are told it in their own language and time zone.
 */
const estimatedDelivery = z
  .strictObject({ date: z.optional(calendarDate), from: z.optional(rfc3339), to: z.optional(rfc3339), timeZone })
  .check(
    z.superRefine((value, ctx) => {
      const window = value.from !== undefined || value.to !== undefined;
      if (value.date !== undefined && window)
        ctx.addIssue({ code: 'custom', message: 'give either date or from and to, not both', input: value });
      else if (value.date === undefined && (value.from === undefined || value.to === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'must have a date, or both from and to', input: value });
      } else if (window) {
        const span = Date.parse(value.to as string) - Date.parse(value.from as string);
        if (span < 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from', input: value });
        else if (span > MAX_ESTIMATE_WINDOW_DAYS * 86_400_000) {
          ctx.addIssue({
            code: 'custom',
            path: ['to'],
            message: `must be at most ${MAX_ESTIMATE_WINDOW_DAYS} days after from`,
            input: value,
          });
        }
      }
    }),
  );
const estimate = { estimatedDelivery: z.optional(estimatedDelivery) };

/** The most parcels one order may be announced to ship in (docs/alerts.md, "Known parcel count"). */
export const MAX_PARCEL_COUNT = 50;

/**
 * How many parcels the order ships in, when the warehouse knows it: the order's members are then
 * held for its window even before the other parcels exist, and the window closes as soon as all
 * of them have joined.
 */
const parcelCount = z
  .number()
  .check(
    z.int('must be a whole number of parcels'),
    z.minimum(1, 'must be at least 1'),
    z.maximum(MAX_PARCEL_COUNT, `must be at most ${MAX_PARCEL_COUNT}`),
  );

const shipmentRef = { shipmentId: id };
const tracking = {
  carrier: z.optional(text(TEXT_LIMITS.carrier)),
  trackingNumber: z.optional(text(TEXT_LIMITS.trackingNumber)),
  trackingUrl: z.optional(trackingUrl),
};
const location = z.optional(text(TEXT_LIMITS.location));
const reason = text(TEXT_LIMITS.reason);
const walletEntry = { walletId: id, customerId: id, amount: moneySchema, reference: text(TEXT_LIMITS.reference) };

/** `data` schema per event type: the table in docs/events.md, field for field (a test holds them together). */
export const eventDataSchemas = {
  'shipment.created': z.strictObject({
    ...shipmentRef,
    orderId: id,
    parcelCount: z.optional(parcelCount),
    customer,
    ...tracking,
    promisedBy: z.optional(rfc3339),
    ...estimate,
  }),
  'shipment.picked': z.strictObject(shipmentRef),
  'shipment.packed': z.strictObject(shipmentRef),
  'shipment.shipped': z.strictObject({ ...shipmentRef, ...tracking, ...estimate }),
  'shipment.in_transit': z.strictObject({ ...shipmentRef, location, ...estimate }),
  'shipment.out_for_delivery': z.strictObject({ ...shipmentRef, eta: z.optional(rfc3339), ...estimate }),
  'shipment.delivered': z.strictObject({
    ...shipmentRef,
    location,
    signedBy: z.optional(text(TEXT_LIMITS.signedBy)),
    deliveredTo: z.optional(z.enum(DELIVERED_TO)),
  }),
  'shipment.delivery_failed': z.strictObject({ ...shipmentRef, reason, nextAttemptAt: z.optional(rfc3339), ...estimate }),
  'shipment.attempted_delivery': z.strictObject({ ...shipmentRef, nextAttemptAt: rfc3339, reason: z.optional(reason), ...estimate }),
  'shipment.available_for_pickup': z.strictObject({
    ...shipmentRef,
    pickupPoint: text(TEXT_LIMITS.pickupPoint),
    collectBy: z.optional(rfc3339),
  }),
  'shipment.returned': z.strictObject({ ...shipmentRef, reason: z.optional(reason) }),
  'shipment.cancelled': z.strictObject({ ...shipmentRef, reason: z.optional(reason) }),
  'shipment.returned_to_sender': z.strictObject({ ...shipmentRef, reason: z.optional(reason) }),
  'wallet.debited': z.strictObject(walletEntry),
  'wallet.credited': z.strictObject(walletEntry),
} as const;

export type EventType = keyof typeof eventDataSchemas;
export const EVENT_TYPES = Object.keys(eventDataSchemas) as EventType[];

/** CloudEvents attribute names: lower-case ASCII letters and digits, at most 20 (spec §3.1.1). */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;
const CORE_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'time', 'subject', 'datacontenttype', 'dataschema', 'data']);
/**
 * Valid CloudEvents names that JavaScript objects already answer to: `constructor` (every object
 * inherits it, so lookups, marshalling and merges see a function where a value should be) and
 * `prototype`. Refused rather than stored under another name: a client learns at once, and no
 * layer downstream needs to know about them. `__proto__` and the camel-case members of
 * Object.prototype (`toString`, `valueOf`, `hasOwnProperty`…) already fail the naming rule.
 */
export const RESERVED_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set([
  'prototype',
  ...Object.getOwnPropertyNames(Object.prototype).filter((name) => ATTRIBUTE_NAME.test(name)),
]);
export const MAX_EXTENSION_VALUE_LENGTH = 1024;

/**
 * The names of an event's attributes as the client sent them. Checked on the parsed JSON, not on
 * zod's output: JSON.parse makes `__proto__` an own key, which an object copy would turn into a
 * prototype instead of an attribute.
 */
function attributeNameErrors(item: unknown): { path: string[]; message: string }[] {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return [];
  return Object.keys(item).flatMap((key) => {
    if (CORE_ATTRIBUTES.has(key)) return [];
    if (!ATTRIBUTE_NAME.test(key)) {
      return [{ path: [key], message: 'is not a CloudEvents attribute: names are 1–20 lower-case ASCII letters and digits' }];
    }
    if (RESERVED_ATTRIBUTE_NAMES.has(key)) return [{ path: [key], message: 'is a reserved attribute name; choose another' }];
    return [];
  });
}

/** Extension attribute values: the CloudEvents types that JSON carries as such (String, Boolean, Integer). */
const extensionValue = z.union(
  [
    z.string().check(z.maxLength(MAX_EXTENSION_VALUE_LENGTH), firstProblem(unsafeProblem)),
    z.int32('must be an integer from -2147483648 to 2147483647 (a CloudEvents Integer)'),
    z.boolean(),
  ],
  { error: 'must be a string, a boolean or an integer (a CloudEvents extension attribute)' },
);

const envelope = {
  specversion: z.literal('1.0'),
  id,
  source: z.string().check(
    z.minLength(1),
    z.maxLength(256),
    z.regex(/^[^\s]+$/, 'must be a URI-reference such as "//warehouse/ams-1"'),
    firstProblem((value) => (/^[^\s]+$/.test(value) ? keyPartProblem(value, MAX_SOURCE_KEY_BYTES) : undefined)),
    z.describe(
      `A URI-reference: no white space, control, formatting (bidi) or private-use characters, NFC, and at most ${MAX_SOURCE_KEY_BYTES} bytes once URI-encoded.`,
    ),
  ),
  time: instant(
    `When it happened: an RFC 3339 date-time with an offset, within the years 0000 to 9999 once converted to UTC, and at most ${MAX_EVENT_TIME_AHEAD_MS / 60_000} minutes after the request is received.`,
  ),
  subject: z.optional(z.string().check(z.minLength(1), z.maxLength(256), firstProblem(unsafeProblem))),
  datacontenttype: z.optional(z.literal('application/json')),
  dataschema: z.optional(z.url().check(z.maxLength(512), z.regex(/^[!-~]+$/, 'must be printable ASCII without spaces'))),
};

function eventSchemaFor<T extends EventType>(type: T) {
  return z.catchall(z.object({ ...envelope, type: z.literal(type), data: eventDataSchemas[type] }), extensionValue).check(
    // For the published contract only: parseEvents checks the names itself (attributeNameErrors).
    z.meta({ propertyNames: { pattern: ATTRIBUTE_NAME.source, not: { enum: [...RESERVED_ATTRIBUTE_NAMES] } } }),
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
 * is valid or a ValidationError lists every failing field of every event. `receivedAt` is when
 * the request arrived: an event dated more than MAX_EVENT_TIME_AHEAD_MS after it is refused, so
 * no warehouse can date an event into the future to win over what comes later.
 */
export function parseEvents(body: unknown, receivedAt: Date = new Date()): ParsedBody {
  const batch = Array.isArray(body);
  const items: unknown[] = batch ? (body as unknown[]) : [body];
  if (batch && items.length === 0) {
    throw new ValidationError([{ path: '$', message: 'a batch must hold at least one event' }]);
  }
  const latest = receivedAt.getTime() + MAX_EVENT_TIME_AHEAD_MS;
  const events: ParcelEvent[] = [];
  const errors: FieldError[] = [];
  items.forEach((item, index) => {
    const at = (path: readonly PropertyKey[]) => formatPath(batch ? [index, ...path] : path);
    const nameErrors = attributeNameErrors(item);
    for (const error of nameErrors) errors.push({ path: at(error.path), message: error.message });
    const result = cloudEventSchema.safeParse(item);
    if (!result.success) {
      for (const issue of result.error.issues) errors.push({ path: at(issue.path), message: issueMessage(issue) });
      return;
    }
    const event = result.data as ParcelEvent;
    if (Date.parse(event.time) > latest) {
      errors.push({
        path: at(['time']),
        message: `must not be more than ${MAX_EVENT_TIME_AHEAD_MS / 60_000} minutes after the request was received; send the time the event happened`,
      });
      return;
    }
    if (nameErrors.length === 0) events.push(event);
  });
  if (errors.length > 0) throw new ValidationError(errors);
  return { batch, events };
}

/**
 * What an event says, as a digest stored on its record: a repeat of its idempotency key with another
 * digest is an id reused for other content (IdReusedError), one with the same is a duplicate. Over
 * the event as accepted (after parseEvents' normalisation), with object keys sorted so the digest
 * does not depend on the order a warehouse or DynamoDB lists fields in. Written by hand: a sorted
 * JSON of plain data is a few lines, and no library the project already has does it.
 */
export function contentDigest(event: unknown): string {
  return createHash('sha256').update(canonicalJson(event)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
