import { createHash } from 'node:crypto';

/**
 * An id a warehouse chose (a CloudEvent id, a `webhook-id`, a shipment, order, customer or wallet
 * id, a notification id built from them), as log lines and error messages carry it: the
 * first 16 hex digits of its SHA-256, `sha256:…`. A warehouse may build ids from anything, a
 * customer's phone or address included, in forms no masking can be sure to recognise (`0044 7700…`,
 * a full-width `＠`, `%40`); a digest carries none of it, whatever the id, and still ties a log
 * line to the id: `printf %s "$ID" | sha256sum | cut -c1-16` gives it back (docs/warehouses.md).
 * The warehouse's own id is the operator's registry name and is logged as it is.
 */
export function idDigest(id: string): string;
export function idDigest(id: string | undefined): string | undefined;
export function idDigest(id: string | undefined): string | undefined {
  return id === undefined ? undefined : `sha256:${sha256Hex(id, 16)}`;
}

/**
 * The first `digits` hex digits of `text`'s SHA-256: what log lines, execution names and schedule
 * names carry in place of an id a warehouse chose (each caller says how many bits its name needs).
 */
export function sha256Hex(text: string, digits: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, digits);
}
