import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** The body exactly as sent: signatures are computed over these bytes, not a re-serialisation. */
export function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): string {
  if (!event.body) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

export function header(event: Pick<APIGatewayProxyEventV2, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** `application/cloudevents+json; charset=utf-8` → `application/cloudevents+json`. */
export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/** Longest client-supplied value (a header, a path part) written to a log line. */
export const MAX_LOGGED_LENGTH = 64;

/** A value the client chose, cut to MAX_LOGGED_LENGTH characters before it reaches a log line. */
export function forLog(value: string | undefined): string | undefined {
  if (value === undefined || value.length <= MAX_LOGGED_LENGTH) return value;
  return `${value.slice(0, MAX_LOGGED_LENGTH)}…`;
}
