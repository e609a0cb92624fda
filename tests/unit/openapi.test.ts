import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { httpRoutes } from '../../emulator/template.ts';
import { buildOpenApi, OPENAPI_PATH } from '../../scripts/openapi.ts';
import { projectTemplate } from '../../support/project.ts';

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

  it('describes each event type with a strict data object', () => {
    const schemas = buildOpenApi().components.schemas as Record<string, { properties?: { data?: { additionalProperties?: unknown } } }>;
    expect(schemas.ShipmentCreated?.properties?.data?.additionalProperties).toBe(false);
    expect(schemas.WalletDebited?.properties?.data?.additionalProperties).toBe(false);
  });
});
