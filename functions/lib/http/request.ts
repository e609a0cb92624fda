import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { identifierSchema } from '#domain/cloud-events.ts';
import { ValidationError } from '#domain/errors.ts';

/**
 * The body exactly as sent, as bytes: signatures are computed over these, not over a decoding of
 * them (bytes that are not UTF-8 would be replaced by U+FFFD, and a correct signature would fail).
 */
export function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** The body as text, once its signature is checked: bytes that are not UTF-8 are the client's 400 (JSON is UTF-8, RFC 8259). */
export function bodyText(bytes: Buffer): string {
  // ignoreBOM keeps a byte order mark in the text, as Buffer#toString did before: JSON.parse then refuses it.
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new ValidationError([{ path: '$', message: 'body is not UTF-8 text (JSON must be UTF-8, RFC 8259)' }]);
  }
}

export function header(event: Pick<APIGatewayProxyEventV2, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** The most characters of a client-chosen value (a header, a path part) that reach a log line. */
export const MAX_LOGGED_LENGTH = 64;

/**
 * A value the client chose, for a log line: at most MAX_LOGGED_LENGTH characters, whole code
 * points, then `…`, so that nobody can fill the logs or smuggle a contact detail into them through it.
 */
export function forLog(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const characters = [...value];
  return characters.length <= MAX_LOGGED_LENGTH ? value : `${characters.slice(0, MAX_LOGGED_LENGTH).join('')}…`;
}

/** `application/cloudevents+json; charset=utf-8` → `application/cloudevents+json`. */
export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/**
 * The id a GET route names in its path (`{shipmentId}`, `{walletId}`), checked as the schemas check
 * ids before anything is stored: one that fails could never have been stored, so it is a 400 that
 * names the parameter, not a key the table refuses (a 500) nor a lookup that cannot succeed.
 */
export function pathIdentifier(event: Pick<APIGatewayProxyEventV2, 'pathParameters'>, name: string): string {
  const value = event.pathParameters?.[name] ?? '';
  const result = identifierSchema.safeParse(value);
  if (!result.success) {
    throw new ValidationError(
      [{ path: name, message: result.error.issues[0]?.message ?? 'is not an identifier' }],
      `The path names a ${name} that cannot exist.`,
    );
  }
  return value;
}
