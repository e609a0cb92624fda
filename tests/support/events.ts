import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { vi } from 'vitest';
import { apiGatewayEvent } from '../../emulator/lambda-events.ts';
import { signedHeaders } from '../../support/signing.ts';

/** The secret every test signs with; setup.ts makes it the active one. */
export const TEST_SECRET = 'whsec_dGVzdC1zZWNyZXQtZm9yLXBhcmNlbGNhc3QtdGVzdHM=';
export const OTHER_SECRET = 'whsec_YW5vdGhlci1zZWNyZXQtbm9ib2R5LXVzZXM=';

let counter = 0;
const later = (minutes: number) => new Date(Date.UTC(2026, 10, 1, 8, 0) + minutes * 60_000).toISOString();

type Data = Record<string, unknown>;

/** A valid CloudEvent of `type`; `minute` orders events in time. */
export function cloudEvent(type: string, data: Data, options: { minute?: number; id?: string; source?: string } = {}) {
  counter += 1;
  return {
    specversion: '1.0',
    id: options.id ?? `evt-${counter}-${randomUUID().slice(0, 8)}`,
    source: options.source ?? '//warehouse/ams-1',
    type,
    time: later(options.minute ?? counter),
    data,
  };
}

export const customer = {
  id: 'cus-1',
  name: 'Ana García',
  phone: '+34600111222',
  email: 'ana@example.com',
  locale: 'es-ES',
  timeZone: 'Europe/Madrid',
  channels: ['sms', 'email'],
};

export function shipmentCreated(shipmentId: string, minute = 0, extra: Data = {}) {
  return cloudEvent('shipment.created', { shipmentId, orderId: `ord-${shipmentId}`, customer, ...extra }, { minute });
}

export function shipmentStatus(status: string, shipmentId: string, minute: number, extra: Data = {}) {
  return cloudEvent(`shipment.${status}`, { shipmentId, ...extra }, { minute });
}

export function walletEvent(kind: 'debited' | 'credited', walletId: string, value: number, currency = 'EUR', minute?: number) {
  return cloudEvent(
    `wallet.${kind}`,
    { walletId, customerId: 'cus-1', amount: { value, currency }, reference: `ref-${randomUUID().slice(0, 6)}` },
    minute === undefined ? {} : { minute },
  );
}

/**
 * An HTTP API v2 event for POST /v1/events, or for POST /v1/warehouses/{warehouseId}/events when
 * `warehouse` names one; signed (with TEST_SECRET unless told) unless `secret` is null.
 */
export function postEvents(
  body: unknown,
  options: {
    contentType?: string;
    secret?: string | null;
    raw?: string;
    timestamp?: Date;
    headers?: Record<string, string>;
    warehouse?: string;
  } = {},
): APIGatewayProxyEventV2 {
  const text = options.raw ?? JSON.stringify(body);
  const signature = options.secret === null ? {} : signedHeaders(options.secret ?? TEST_SECRET, text, { timestamp: options.timestamp });
  const headers = { 'content-type': options.contentType ?? 'application/cloudevents+json', ...signature, ...options.headers };
  if (options.warehouse === undefined) return apiEvent('POST', '/v1/events', { body: text, headers });
  return apiGatewayEvent({
    method: 'POST',
    path: `/v1/warehouses/${encodeURIComponent(options.warehouse)}/events`,
    routePath: '/v1/warehouses/{warehouseId}/events',
    pathParameters: { warehouseId: options.warehouse },
    headers,
    body: text,
  });
}

export function apiEvent(
  method: string,
  path: string,
  options: { body?: string; headers?: Record<string, string>; pathParameters?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  return apiGatewayEvent({
    method,
    path,
    routePath: path,
    headers: options.headers ?? {},
    pathParameters: options.pathParameters,
    body: options.body,
  });
}

/**
 * Posts one event, signed with TEST_SECRET, to a running stack (to `warehouseId`'s own path when
 * given, as a stack serving several warehouses requires); expects 202 and returns its results.
 */
export async function postSignedEvent(
  baseUrl: string,
  event: unknown,
  warehouseId?: string,
): Promise<{ results: { id: string; status: string }[] }> {
  const body = JSON.stringify(event);
  const path = warehouseId === undefined ? '/v1/events' : `/v1/warehouses/${warehouseId}/events`;
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json', ...signedHeaders(TEST_SECRET, body) },
    body,
  });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

/**
 * Lifts the development warehouse's request rate for the handlers imported after this call, for
 * tests that send thousands of requests about something else; `vi.unstubAllEnvs()` undoes it.
 */
export function withoutRequestRateLimit(): void {
  vi.stubEnv('WAREHOUSE_REQUESTS_PER_SECOND', '1000000');
  vi.stubEnv('WAREHOUSE_REQUEST_BURST', '1000000');
}
