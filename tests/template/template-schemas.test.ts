import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import cfnspec from '@aws-cdk/cfnspec';
import AjvModule from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { projectTemplate } from '../../support/project.ts';

// ajv-draft-04 is CommonJS with an ES default export; Node hands us the module object.
type Validator = {
  addSchema(schema: object, key: string): void;
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
};
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (options: object) => Validator;
const SAM_SCHEMA_PATH = fileURLToPath(new URL('../../../shared/schemas/sam.schema.json', import.meta.url));
const template = projectTemplate();

/** `AWS::Serverless::HttpApi` → the SAM schema's definition of that resource. */
const definitionFor = (type: string) =>
  `samtranslator__internal__schema_source__aws_serverless_${type.split('::')[2]?.toLowerCase()}__Resource`;

describe('AWS::Serverless resources against the SAM JSON schema (needs ../shared/schemas/sam.schema.json)', () => {
  it('finds the SAM schema beside the project', () => {
    expect(existsSync(SAM_SCHEMA_PATH), `missing ${SAM_SCHEMA_PATH}: this suite validates against it`).toBe(true);
  });

  const schema = existsSync(SAM_SCHEMA_PATH) ? JSON.parse(readFileSync(SAM_SCHEMA_PATH, 'utf8')) : undefined;
  const ajv = new Ajv({ strict: false, allErrors: true });
  if (schema) ajv.addSchema(schema, 'sam');

  it('accepts the Globals section', () => {
    const validate = ajv.compile({ $ref: 'sam#/definitions/__main____Globals' });
    expect(validate(template.Globals), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  for (const [id, resource] of Object.entries(template.Resources).filter(([, r]) => r.Type.startsWith('AWS::Serverless::'))) {
    it(`accepts ${id} (${resource.Type})`, () => {
      const validate = ajv.compile({ $ref: `sam#/definitions/${definitionFor(resource.Type)}` });
      expect(validate(resource), JSON.stringify(validate.errors, null, 2)).toBe(true);
    });
  }

  it('rejects a broken copy: a function property SAM does not know', () => {
    const validate = ajv.compile({ $ref: `sam#/definitions/${definitionFor('AWS::Serverless::Function')}` });
    const ingest = structuredClone(template.Resources.IngestFunction);
    (ingest?.Properties as Record<string, unknown>).Handlr = 'typo.handler';
    expect(validate(ingest)).toBe(false);
  });
});

describe('plain CloudFormation resources against the CloudFormation resource specification (@aws-cdk/cfnspec)', () => {
  const specification = cfnspec.specification();

  /** Type exists, every property is known to the type, every required property is there. */
  function problemsOf(id: string, resource: { Type: string; Properties?: Record<string, unknown> }): string[] {
    const type = specification.ResourceTypes[resource.Type];
    if (!type) return [`${id}: unknown resource type ${resource.Type}`];
    const known = type.Properties ?? {};
    const problems = Object.keys(resource.Properties ?? {})
      .filter((name) => !(name in known))
      .map((name) => `${id}: ${resource.Type} has no property ${name}`);
    for (const [name, property] of Object.entries(known)) {
      if ((property as { Required?: boolean }).Required && !(name in (resource.Properties ?? {}))) {
        problems.push(`${id}: ${resource.Type} requires ${name}`);
      }
    }
    return problems;
  }

  for (const [id, resource] of Object.entries(template.Resources).filter(([, r]) => !r.Type.startsWith('AWS::Serverless::'))) {
    it(`${id} is a valid ${resource.Type}`, () => {
      expect(problemsOf(id, resource)).toEqual([]);
    });
  }

  it('rejects a broken copy: a misspelt property and a made-up type', () => {
    expect(
      problemsOf('Broken', {
        Type: 'AWS::DynamoDB::Table',
        Properties: { ...template.Resources.ParcelTable?.Properties, BillingMod: 'PAY_PER_REQUEST' },
      }),
    ).toContain('Broken: AWS::DynamoDB::Table has no property BillingMod');
    expect(problemsOf('Made', { Type: 'AWS::Parcel::Drone' })).toEqual(['Made: unknown resource type AWS::Parcel::Drone']);
  });
});
