import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * The signed POST a warehouse sends: a CloudEvent (or a batch of them) as the body, signed with
 * Standard Webhooks headers. One copy for every tool and test that posts: `npm run post`, the
 * simulator, the benchmark's load generator and the tests.
 */

/** Standard Webhooks headers for a body, as a warehouse would send them. */
export function signedHeaders(secret: string, body: string, options: { id?: string; timestamp?: Date } = {}) {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? new Date();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, timestamp, body),
  };
}

/** The body and headers of POST /v1/events for one event, or a batch when given an array. */
export function signedRequest(events: unknown, secret: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(events);
  const contentType = Array.isArray(events) ? 'application/cloudevents-batch+json' : 'application/cloudevents+json';
  return { body, headers: { 'content-type': contentType, ...signedHeaders(secret, body) } };
}

/**
 * Where a warehouse posts: its own path, `/v1/warehouses/<id>/events`, or `/v1/events` when no
 * warehouse is named (a deployment with a single warehouse).
 */
export function eventsPath(warehouse?: string): string {
  return warehouse === undefined ? '/v1/events' : `/v1/warehouses/${encodeURIComponent(warehouse)}/events`;
}

/** POSTs events, signed with `secret`, to `warehouse`'s events path (or /v1/events). */
export function postSigned(
  baseUrl: string,
  events: unknown,
  secret: string,
  init: { signal?: AbortSignal; warehouse?: string } = {},
): Promise<Response> {
  const { body, headers } = signedRequest(events, secret);
  const { warehouse, ...rest } = init;
  return fetch(`${baseUrl.replace(/\/$/, '')}${eventsPath(warehouse)}`, { method: 'POST', headers, body, ...rest });
}
