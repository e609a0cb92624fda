import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpRoutes } from '../../emulator/template.ts';
import { MAX_EXTENSION_VALUE_LENGTH, MAX_MONEY_MINOR_UNITS, TEXT_LIMITS } from '../../functions/lib/domain/cloud-events.ts';
import { MAX_TRACKING_URL_LENGTH } from '../../functions/lib/domain/safe-text.ts';
import { buildOpenApi, OPENAPI_PATH } from '../../scripts/openapi.ts';
import { PROJECT_ROOT, projectTemplate } from '../../support/project.ts';

describe('docs/openapi.json', () => {
  it('is what the zod schemas generate today (run `npm run openapi` after changing them)', () => {
    const committed = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildOpenApi())));
  });

  it('documents every route template.yaml serves', () => {
    const paths = buildOpenApi().paths as Record<string, Record<string, unknown>>;
    for (const route of httpRoutes(projectTemplate())) {
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

type JsonObject = { properties?: Record<string, JsonObject>; required?: string[] };

/** Every data field by path (`customer.phone`), true when required. */
function fieldsOfSchema(schema: JsonObject, prefix = ''): Record<string, boolean> {
  const fields: Record<string, boolean> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    fields[`${prefix}${name}`] = (schema.required ?? []).includes(name);
    if (property.properties) Object.assign(fields, fieldsOfSchema(property, `${prefix}${name}.`));
  }
  return fields;
}

/** `**shipmentId**, **customer** { **id**, name }, carrier` → the same paths, bold meaning required. */
function fieldsOfCell(cell: string): Record<string, boolean> {
  const fields: Record<string, boolean> = {};
  const prefixes: string[] = [];
  let last = '';
  for (const [token, bold, plain] of cell.matchAll(/\*\*(\w+)\*\*|(\w+)|[{}]/g)) {
    if (token === '{') prefixes.push(`${prefixes.at(-1) ?? ''}${last}.`);
    else if (token === '}') prefixes.pop();
    else {
      last = (bold ?? plain) as string;
      fields[`${prefixes.at(-1) ?? ''}${last}`] = bold !== undefined;
    }
  }
  return fields;
}

describe('docs/events.md', () => {
  const rows = readFileSync(join(PROJECT_ROOT, 'docs', 'events.md'), 'utf8')
    .split('## Event types and their `data`')[1]
    ?.split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split('|').map((cell) => cell.trim())) as string[][];
  const documented: Record<string, Record<string, boolean>> = {};
  for (const [, types, data] of rows) {
    for (const [, type] of (types as string).matchAll(/`([\w.]+)`/g)) documented[type as string] = fieldsOfCell(data as string);
  }

  it('lists every event type with the data fields the schemas accept, required ones in bold', () => {
    const schemas = buildOpenApi().components.schemas as unknown as Record<
      string,
      { properties?: { type?: { const?: string }; data: JsonObject } }
    >;
    const fromSchemas = Object.fromEntries(
      Object.values(schemas).flatMap((schema) =>
        schema.properties?.type?.const ? [[schema.properties.type.const, fieldsOfSchema(schema.properties.data)]] : [],
      ),
    );
    expect(Object.keys(fromSchemas).length).toBeGreaterThan(0);
    expect(documented).toEqual(fromSchemas);
  });
});
