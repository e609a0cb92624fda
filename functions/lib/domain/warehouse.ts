import { isWalletEvent, type ParcelEvent } from './cloud-events.ts';
import type { FieldError } from './errors.ts';
import { keyPartBytes, MAX_WAREHOUSE_ID_KEY_BYTES } from './key-limits.ts';

/**
 * Warehouse tenancy (docs/data-model.md, "Who may write what"): which warehouse may write which
 * event. Pure: the ingest controller hands the use case the warehouse the request authenticated
 * as (never one named in the body), and these rules decide, for a whole request, before anything
 * is written.
 */

export const SCOPES = ['shipments', 'wallets'] as const;
export type Scope = (typeof SCOPES)[number];

/** Names a warehouse may use: one exact value, every value that starts with a prefix, or any value. */
export type NameRule = { readonly exact: string } | { readonly prefix: string } | { readonly any: true };

export interface Warehouse {
  /** Stable id: part of every key the warehouse writes (idempotency keys, customer profiles). */
  id: string;
  /** The CloudEvent `source` values its events may carry. */
  sources: readonly NameRule[];
  /** `shipments` to post shipment events, `wallets` to post wallet events. */
  scopes: readonly Scope[];
  /** Wallets opened by other warehouses that this one may book to as well. */
  sharedWallets?: readonly NameRule[];
}

/** The one warehouse of a single-warehouse deployment: any source, both scopes. */
export const DEVELOPMENT_WAREHOUSE: Warehouse = Object.freeze({
  id: 'local',
  sources: Object.freeze([{ any: true as const }]),
  scopes: SCOPES,
});

export function matchesRule(rule: NameRule, value: string): boolean {
  if ('any' in rule) return true;
  if ('prefix' in rule) return value.startsWith(rule.prefix);
  return value === rule.exact;
}

const matchesAny = (rules: readonly NameRule[] | undefined, value: string) => (rules ?? []).some((rule) => matchesRule(rule, value));

/**
 * The written form of a rule, as a registry file holds it: `*` for any value, a trailing `*` for a
 * prefix (`//warehouse/ams-1/*`), anything else an exact value.
 */
export function parseNameRule(text: string): NameRule {
  if (text === '*') return { any: true };
  if (text.endsWith('*')) return { prefix: text.slice(0, -1) };
  return { exact: text };
}

/**
 * Why a warehouse id could not be part of a key, or undefined. The registry refuses such an id;
 * this is the last guard before a write, so a key DynamoDB would refuse is never sent.
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
export function mayWriteWallet(warehouse: Warehouse, walletId: string, owner: string | undefined): boolean {
  return owner === undefined || owner === warehouse.id || isSharedWallet(warehouse, walletId);
}

export function isSharedWallet(warehouse: Warehouse, walletId: string): boolean {
  return matchesAny(warehouse.sharedWallets, walletId);
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

/**
 * Why `warehouse` may not send `events` at all, as field errors for a 403 (empty: it may): a
 * `source` none of its rules allows, or an event type outside its scopes (wallet events need
 * `wallets`, shipment events `shipments`). `prefix(index)` is the event's path prefix (`[3].` in
 * a batch). Needs nothing stored, so it is checked before anything is read.
 */
export function sourceAndScopeRefusals(
  warehouse: Warehouse,
  events: readonly ParcelEvent[],
  prefix: (index: number) => string,
): FieldError[] {
  const errors: FieldError[] = [];
  events.forEach((event, index) => {
    if (!matchesAny(warehouse.sources, event.source)) {
      errors.push({ path: `${prefix(index)}source`, message: 'is not a source this warehouse may send' });
      return;
    }
    const scope: Scope = isWalletEvent(event) ? 'wallets' : 'shipments';
    if (!warehouse.scopes.includes(scope)) {
      errors.push({ path: `${prefix(index)}type`, message: `needs the "${scope}" scope, which this warehouse does not have` });
    }
  });
  return errors;
}

/** The shipments and wallets of another warehouse that `events` name, as field errors for a 403 (empty: none). */
export function ownershipRefusals(
  warehouse: Warehouse,
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
