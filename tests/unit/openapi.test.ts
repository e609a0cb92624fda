import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_EXTENSION_VALUE_LENGTH, MAX_MONEY_MINOR_UNITS, TEXT_LIMITS } from '../../functions/lib/domain/cloud-events.ts';
import { MAX_TRACKING_URL_LENGTH } from '../../functions/lib/domain/safe-text.ts';
import { httpRoutes } from '../../local/template.ts';
import { buildOpenApi, OPENAPI_PATH } from '../../scripts/openapi.ts';

describe('docs/openapi.json', () => {
  it('is what the zod schemas generate today (run `npm run openapi` after changing them)', () => {
    const committed = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildOpenApi())));
  });

  it('documents every route template.yaml serves', () => {
    const paths = buildOpenApi().paths as Record<string, Record<string, unknown>>;
    for (const route of httpRoutes()) {
      expect(paths[route.path], `${route.method} ${route.path}`).toHaveProperty(route.method.toLowerCase());
    }
  });

  it('publishes the input limits JSON Schema can state', () => {
    const schemas = buildOpenApi().components.schemas as Record<string, any>;
    const shipped = schemas.ShipmentShipped;
    expect(shipped.propertyNames).toEqual({
      pattern: '^[a-z0-9]{1,20}$',
      not: { enum: expect.arrayContaining(['constructor', 'prototype']) },
    });
    expect(shipped.properties.data.properties).toMatchObject({
      trackingUrl: { maxLength: MAX_TRACKING_URL_LENGTH, format: 'uri' },
      carrier: { maxLength: TEXT_LIMITS.carrier },
      trackingNumber: { maxLength: TEXT_LIMITS.trackingNumber },
    });
    expect(schemas.WalletCredited.properties.data.properties.amount.properties.value.maximum).toBe(MAX_MONEY_MINOR_UNITS);
    expect(shipped.additionalProperties.anyOf).toContainEqual({ type: 'string', maxLength: MAX_EXTENSION_VALUE_LENGTH });
    expect(shipped.properties.time.description).toMatch(/at most 5 minutes after the request is received/);
  });

  it('describes each event type with a strict data object', () => {
    const schemas = buildOpenApi().components.schemas as Record<string, { properties?: { data?: { additionalProperties?: unknown } } }>;
    expect(schemas.ShipmentCreated?.properties?.data?.additionalProperties).toBe(false);
    expect(schemas.WalletDebited?.properties?.data?.additionalProperties).toBe(false);
  });
});
