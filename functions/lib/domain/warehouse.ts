import * as z from 'zod/mini';
import { isWalletEvent, type ParcelEvent } from './cloud-events.ts'; // also installs zod/mini's English messages, as for every schema of the domain
import type { FieldError } from './errors.ts';
import { keyPartBytes, MAX_WAREHOUSE_ID_KEY_BYTES } from './key-limits.ts';

/**
 * Warehouses: who may post events, with which keys, for which sources, and how much
 * (docs/warehouses.md). A warehouse is known from the request's authentication, never from its
 * body. Pure: the registry adapters parse each registration with `parseRegistration`, the ingest
 * use case asks `ownsSource` and `hasScope`, then `ownershipRefusals` for the shipments and
 * wallets a request names (docs/data-model.md, "Who may write what").
 */

export const SCOPES = ['shipments', 'wallets'] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * A rule a value must match: an exact value, or a prefix (written with a trailing `*` in the
 * registry: `//warehouse/ams-1/*`; a lone `*` matches anything).
 */
export type MatchRule = { exact: string } | { prefix: string };

export interface WarehouseLimits {
  /** Requests per second admitted per warehouse, per ingest container (a token bucket's refill). */
  requestsPerSecond: number;
  /** Requests a warehouse may send at once after a quiet spell (the bucket's size). */
  burst: number;
  /** Notifications (SMS and email messages) its events may trigger per UTC day, across every container. */
  notificationsPerDay: number;
}

/** An authenticated warehouse, as the use cases see it: no secrets. */
export interface Warehouse {
  id: string;
  /** The CloudEvent `source` values it may use. */
  sources: MatchRule[];
  scopes: Scope[];
  /** Wallets it may write although another warehouse opened them (ids or prefixes). */
  sharedWallets: MatchRule[];
  limits: WarehouseLimits;
}

export interface SigningKey {
  /** A Standard Webhooks secret, `whsec_` + base64. */
  secret: string;
  /** After this instant the key no longer verifies (the end of a rotation's overlap). */
  notAfter?: Date;
}

/** One registry entry: the warehouse and the keys its requests may be signed with. */
export interface Registration {
  warehouse: Warehouse;
  keys: SigningKey[];
}

/** Lower-case letters, digits, `.`, `_` and `-`, 1–63 characters: safe in a URL path, an SSM parameter name and a table key. */
export const WAREHOUSE_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** `whsec_` and the base64 of at least 24 random bytes (what `npm run warehouse` generates is 32). */
const SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;
const MIN_SECRET_BYTES = 24;

function secretProblem(secret: string): string | undefined {
  if (!SECRET.test(secret)) return 'must be "whsec_" followed by base64';
  if (Buffer.from(secret.slice('whsec_'.length), 'base64').length < MIN_SECRET_BYTES) {
    return `must hold at least ${MIN_SECRET_BYTES} random bytes`;
  }
  return undefined;
}

const refine = (problem: (value: string) => string | undefined) =>
  z.superRefine((value: string, ctx) => {
    const message = problem(value);
    // Never echo the value: it may be a secret.
    if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: '' });
  });

const secretSchema = z.string().check(refine(secretProblem));
const ruleSchema = z.string().check(z.minLength(1), z.maxLength(512), z.regex(/^\S+$/, 'must not contain white space'));
const positive = z.number().check(z.positive(), z.maximum(1_000_000));
const whole = (min: number) => z.number().check(z.int(), z.minimum(min), z.maximum(1_000_000_000));

/** A registry entry as stored: one SSM parameter's value, or one element of WAREHOUSES_FILE's `warehouses`. */
export const registrationSchema = z.strictObject({
  id: z.string().check(z.regex(WAREHOUSE_ID, 'must be 1–63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit')),
  sources: z.array(ruleSchema).check(z.minLength(1)),
  secrets: z.array(
    z.union([secretSchema, z.strictObject({ secret: secretSchema, notAfter: z.optional(z.iso.datetime({ offset: true })) })]),
  ),
  scopes: z.array(z.enum(SCOPES)).check(z.minLength(1)),
  sharedWallets: z.optional(z.array(ruleSchema)),
  limits: z.optional(
    z.strictObject({ requestsPerSecond: z.optional(positive), burst: z.optional(whole(1)), notificationsPerDay: z.optional(whole(0)) }),
  ),
});
export type RegistrationEntry = z.input<typeof registrationSchema>;

export interface RegistrationProblem {
  /** Where in the entry, e.g. `secrets.1.notAfter`; never a value. */
  path: string;
  message: string;
}

export type ParsedRegistration = { ok: true; registration: Registration } | { ok: false; problems: RegistrationProblem[] };

export function matchRule(text: string): MatchRule {
  return text.endsWith('*') ? { prefix: text.slice(0, -1) } : { exact: text };
}

export function ruleText(rule: MatchRule): string {
  return 'prefix' in rule ? `${rule.prefix}*` : rule.exact;
}

/** Parses one registry entry, filling the limits it does not set from `defaults`. */
export function parseRegistration(entry: unknown, defaults: WarehouseLimits): ParsedRegistration {
  const result = registrationSchema.safeParse(entry);
  if (!result.success) {
    return {
      ok: false,
      problems: result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(entry)', message: issue.message })),
    };
  }
  const { id, sources, secrets, scopes, sharedWallets, limits } = result.data;
  return {
    ok: true,
    registration: {
      warehouse: {
        id,
        sources: sources.map(matchRule),
        scopes: [...new Set(scopes)],
        sharedWallets: (sharedWallets ?? []).map(matchRule),
        limits: { ...defaults, ...limits },
      },
      keys: secrets.map((key) =>
        typeof key === 'string' ? { secret: key } : { secret: key.secret, ...(key.notAfter ? { notAfter: new Date(key.notAfter) } : {}) },
      ),
    },
  };
}

function matches(rule: MatchRule, value: string): boolean {
  return 'prefix' in rule ? value.startsWith(rule.prefix) : value === rule.exact;
}

/** May `warehouse` post events with this CloudEvent `source`? */
export function ownsSource(warehouse: Warehouse, source: string): boolean {
  return warehouse.sources.some((rule) => matches(rule, source));
}

export function hasScope(warehouse: Warehouse, scope: Scope): boolean {
  return warehouse.scopes.includes(scope);
}

/** Does the registry let `warehouse` write this wallet although another warehouse opened it? */
export function sharesWallet(warehouse: Pick<Warehouse, 'sharedWallets'>, walletId: string): boolean {
  return warehouse.sharedWallets.some((rule) => matches(rule, walletId));
}

/** The keys that verify at `now`: those without an end, and those whose overlap has not run out. */
export function activeKeys(registration: Registration, now: Date): SigningKey[] {
  return registration.keys.filter((key) => key.notAfter === undefined || key.notAfter.getTime() > now.getTime());
}

/** Could one `source` match a rule of each? Two warehouses must never both own a source. */
export function rulesOverlap(a: MatchRule, b: MatchRule): boolean {
  const start = (rule: MatchRule) => ('prefix' in rule ? rule.prefix : rule.exact);
  if ('prefix' in a && 'prefix' in b) return a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
  if ('prefix' in a) return start(b).startsWith(a.prefix);
  if ('prefix' in b) return start(a).startsWith(b.prefix);
  return a.exact === b.exact;
}

/** The source rules of `a` and `b` that overlap, as registry text (`[[ruleOfA, ruleOfB], …]`). */
export function overlappingSources(a: Warehouse, b: Warehouse): [string, string][] {
  return a.sources.flatMap((ruleA) =>
    b.sources.filter((ruleB) => rulesOverlap(ruleA, ruleB)).map((ruleB): [string, string] => [ruleText(ruleA), ruleText(ruleB)]),
  );
}

/**
 * The registry as the ingest uses it: valid registrations by id. Entries whose sources overlap
 * another's are refused, both of them: which of two warehouses owns a source is not something
 * to guess (`npm run warehouse -- add` refuses to create the overlap in the first place).
 */
export function assembleRegistry(registrations: readonly Registration[]): {
  registry: Map<string, Registration>;
  refused: { id: string; reason: string }[];
} {
  const refused = new Map<string, string>();
  const byId = new Map<string, Registration>();
  for (const registration of registrations) {
    const { id } = registration.warehouse;
    if (byId.has(id)) refused.set(id, 'registered twice');
    else byId.set(id, registration);
  }
  const all = [...byId.values()];
  for (const [index, a] of all.entries()) {
    for (const b of all.slice(index + 1)) {
      const overlap = overlappingSources(a.warehouse, b.warehouse)[0];
      if (!overlap) continue;
      refused.set(a.warehouse.id, `its source ${overlap[0]} overlaps ${overlap[1]} of ${b.warehouse.id}`);
      refused.set(b.warehouse.id, `its source ${overlap[1]} overlaps ${overlap[0]} of ${a.warehouse.id}`);
    }
  }
  for (const id of refused.keys()) byId.delete(id);
  return { registry: byId, refused: [...refused].map(([id, reason]) => ({ id, reason })) };
}

/** The scope an event type needs. */
export function scopeOf(eventType: string): Scope {
  return eventType.startsWith('wallet.') ? 'wallets' : 'shipments';
}

/** The UTC day a notification is counted in (`2026-11-28`): the daily cap resets at 00:00 UTC. */
export function capDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** Whole seconds until the next UTC midnight, when a warehouse's daily notification count starts again. */
export function secondsUntilNextDay(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
}

/** Where the ingest finds warehouses: every valid registration by id, as of the registry's cache. */
export interface WarehouseRegistry {
  registrations(): Promise<ReadonlyMap<string, Registration>>;
}

/**
 * Each warehouse's notification count of a UTC day (docs/warehouses.md): the stream router adds
 * what it publishes, atomically across containers; the ingest reads it, through a short cache.
 */
export interface NotificationCounts {
  /** The count so far; at most the adapter's cache time old. */
  counted(warehouseId: string, day: string): Promise<number>;
  /** Adds `count` and answers the new total. */
  add(warehouseId: string, day: string, count: number): Promise<number>;
}

/**
 * Why a warehouse id could not be part of a key, or undefined. The registry's WAREHOUSE_ID already
 * refuses such an id; this is the last guard before a write, so a key DynamoDB would refuse is never sent.
 */
export function warehouseIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'a warehouse id must not be empty';
  if (keyPartBytes(id) > MAX_WAREHOUSE_ID_KEY_BYTES)
    return `a warehouse id takes at most ${MAX_WAREHOUSE_ID_KEY_BYTES} bytes once URI-encoded`;
  return undefined;
}

/** May `warehouse` write to a shipment that `owner` (undefined: nobody yet) owns? */
export function mayWriteShipment(warehouse: Pick<Warehouse, 'id'>, owner: string | undefined): boolean {
  return owner === undefined || owner === warehouse.id;
}

/** May `warehouse` book to wallet `walletId` that `owner` (undefined: nobody yet) opened? */
export function mayWriteWallet(warehouse: Pick<Warehouse, 'id' | 'sharedWallets'>, walletId: string, owner: string | undefined): boolean {
  return owner === undefined || owner === warehouse.id || sharesWallet(warehouse, walletId);
}

/**
 * The refusal for a subject the warehouse may not write. The same words whether the id is taken by
 * another warehouse or was taken by one a moment ago: it says no more than a 404 would, and never
 * who owns it.
 */
export const NOT_YOURS = {
  shipment: 'is not a shipment this warehouse may write',
  wallet: 'is not a wallet this warehouse may write',
} as const;

/** What a request's events name, as far as deciding who may write them needs. */
export interface Owners {
  /** The owner of each named shipment that exists. */
  shipments: ReadonlyMap<string, string>;
  /** The owner of each named wallet that exists. */
  wallets: ReadonlyMap<string, string>;
}

/** The shipments and wallets of another warehouse that `events` name, as field errors for a 403 (empty: none). */
export function ownershipRefusals(
  warehouse: Pick<Warehouse, 'id' | 'sharedWallets'>,
  events: readonly ParcelEvent[],
  owners: Owners,
  prefix: (index: number) => string,
): FieldError[] {
  const errors: FieldError[] = [];
  events.forEach((event, index) => {
    if (isWalletEvent(event)) {
      const { walletId } = event.data;
      if (!mayWriteWallet(warehouse, walletId, owners.wallets.get(walletId))) {
        errors.push({ path: `${prefix(index)}data.walletId`, message: NOT_YOURS.wallet });
      }
    } else if (!mayWriteShipment(warehouse, owners.shipments.get(event.data.shipmentId))) {
      errors.push({ path: `${prefix(index)}data.shipmentId`, message: NOT_YOURS.shipment });
    }
  });
  return errors;
}
