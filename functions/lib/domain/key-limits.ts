/**
 * How long an identifier may be once it is part of a table key (docs/data-model.md). DynamoDB
 * refuses a partition key over 2048 bytes and a sort key over 1024, and the transaction that
 * carries the key then fails on the server, retry after retry. So the schemas bound every
 * identifier that becomes a key part by its URI-encoded length (adapters/keys.ts encodes each
 * part with `encodeURIComponent`, so a `#` can never make two keys collide), and the adapters
 * can assert a whole key with `keyProblem` before they send it.
 *
 * The budget, for the longest key that combines parts, the shipment event's timeline key (the
 * sort key of the `Timeline` index, domain/shipment.ts `timelineKey`):
 * `<time>#<stage>#<warehouse>#<source>#<id>` = 24 + 1 + 2 + 1 + 128 + 1 + 384 + 1 + 256 = 798 bytes
 * of 1024. The event's own sort key `EVENT#<warehouse>#<source>#<id>` takes at most 776 and a
 * ledger entry's `LEDGER#<warehouse>#<source>#<id>` 777; the rest is headroom.
 */

export const DYNAMODB_PARTITION_KEY_MAX_BYTES = 2048;
export const DYNAMODB_SORT_KEY_MAX_BYTES = 1024;

/** CloudEvent `source`: a URI-reference, where every `/` already costs 3 bytes (`%2F`). */
export const MAX_SOURCE_KEY_BYTES = 384;
/** CloudEvent `id` and every other identifier: shipmentId, orderId, walletId, customerId. */
export const MAX_IDENTIFIER_KEY_BYTES = 256;
/** A warehouse id (domain/warehouse.ts), part of every key its events are stored under. */
export const MAX_WAREHOUSE_ID_KEY_BYTES = 128;

/**
 * Bytes `value` takes as a key part: the length of its URI encoding (which is ASCII, so one
 * byte per character). An ASCII letter or digit costs 1, `/` 3, `é` 6, `中` 9, `📦` 12.
 * Infinity for text that cannot be encoded at all (a lone surrogate).
 */
export function keyPartBytes(value: string): number {
  try {
    return encodeURIComponent(value).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export const keyPartMessage = (limit: number) =>
  `is too long to be part of a table key: at most ${limit} bytes once URI-encoded (a letter or digit counts 1, "/" 3, "é" 6, "中" 9)`;

const utf8 = new TextEncoder();

/** Why DynamoDB would refuse this key, or undefined when it would not. */
export function keyProblem(key: { PK: string; SK?: string }): string | undefined {
  const partition = utf8.encode(key.PK).length;
  if (partition > DYNAMODB_PARTITION_KEY_MAX_BYTES)
    return `partition key is ${partition} bytes; DynamoDB allows ${DYNAMODB_PARTITION_KEY_MAX_BYTES}`;
  const sort = key.SK === undefined ? 0 : utf8.encode(key.SK).length;
  if (sort > DYNAMODB_SORT_KEY_MAX_BYTES) return `sort key is ${sort} bytes; DynamoDB allows ${DYNAMODB_SORT_KEY_MAX_BYTES}`;
  return undefined;
}
