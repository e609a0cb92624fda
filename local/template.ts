import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type Tags } from 'yaml';

/**
 * template.yaml is the single source of truth: the local stack and the tests read resources,
 * routes and handlers from it instead of repeating them. CloudFormation short-form tags
 * (!Ref, !GetAtt, !Sub, …) are turned into their long form ({ Ref }, { 'Fn::GetAtt' }, …).
 */

export const TEMPLATE_PATH = fileURLToPath(new URL('../template.yaml', import.meta.url));
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

const INTRINSICS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Condition',
  'ToJsonString',
  'Length',
];

const cloudFormationTags: Tags = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Condition', resolve: (value: string) => ({ Condition: value }) },
  {
    tag: '!GetAtt',
    resolve: (value: string) => {
      const dot = value.indexOf('.');
      return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
    },
  },
  {
    tag: '!GetAtt',
    collection: 'seq',
    resolve: (value: { toJSON(): unknown }) => ({ 'Fn::GetAtt': value.toJSON() }),
  },
  ...INTRINSICS.filter((name) => name !== 'Condition').flatMap((name) =>
    (['scalar', 'seq', 'map'] as const).map((kind) => ({
      tag: `!${name}`,
      ...(kind === 'scalar' ? {} : { collection: kind }),
      resolve: (value: unknown) => ({
        [`Fn::${name}`]:
          typeof value === 'object' && value !== null && 'toJSON' in value ? (value as { toJSON(): unknown }).toJSON() : value,
      }),
    })),
  ),
] as Tags;

export interface Resource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, any>;
  DependsOn?: string | string[];
  [key: string]: unknown;
}

export interface Template {
  Globals?: Record<string, any>;
  Parameters?: Record<string, { Type: string; Default?: unknown; [key: string]: unknown }>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, any>;
  Metadata?: Record<string, any>;
  [key: string]: unknown;
}

export function parseTemplate(text: string): Template {
  return parse(text, { customTags: cloudFormationTags, uniqueKeys: true }) as Template;
}

let cached: Template | undefined;
export function loadTemplate(path = TEMPLATE_PATH): Template {
  if (path !== TEMPLATE_PATH) return parseTemplate(readFileSync(path, 'utf8'));
  cached ??= parseTemplate(readFileSync(path, 'utf8'));
  return cached;
}

export function resourcesOfType(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export function parameterDefault(template: Template, name: string): unknown {
  const parameter = template.Parameters?.[name];
  if (!parameter) throw new Error(`template.yaml declares no parameter ${name}`);
  return parameter.Default;
}

export interface FunctionDefinition {
  logicalId: string;
  /** e.g. `functions/ingest-events.ts`: the esbuild entry point of the function. */
  entryPoint: string;
  exportName: string;
  environment: Record<string, unknown>;
  resource: Resource;
}

/** Every function with the TypeScript entry its esbuild metadata builds and the handler export. */
export function functionDefinitions(template: Template = loadTemplate()): FunctionDefinition[] {
  const globalsEnv = template.Globals?.Function?.Environment?.Variables ?? {};
  return resourcesOfType(template, 'AWS::Serverless::Function').map(([logicalId, resource]) => {
    const properties = resource.Properties ?? {};
    const codeUri = String(properties.CodeUri ?? template.Globals?.Function?.CodeUri ?? '.').replace(/\/$/, '');
    const [, exportName = 'handler'] = String(properties.Handler).split('.');
    const entry = resource.Metadata?.BuildProperties?.EntryPoints?.[0];
    if (!entry) throw new Error(`${logicalId} has no esbuild EntryPoints in its Metadata`);
    return {
      logicalId,
      entryPoint: posix.join(codeUri, entry),
      exportName,
      environment: { ...globalsEnv, ...(properties.Environment?.Variables ?? {}) },
      resource,
    };
  });
}

export interface HttpRoute {
  method: string;
  /** API Gateway path, e.g. `/v1/shipments/{shipmentId}`. */
  path: string;
  functionId: string;
}

export function httpRoutes(template: Template = loadTemplate()): HttpRoute[] {
  return resourcesOfType(template, 'AWS::Serverless::Function').flatMap(([functionId, resource]) =>
    Object.values((resource.Properties?.Events ?? {}) as Record<string, { Type: string; Properties: Record<string, any> }>)
      .filter((source) => source.Type === 'HttpApi')
      .map((source) => ({ method: String(source.Properties.Method).toUpperCase(), path: String(source.Properties.Path), functionId })),
  );
}

/**
 * Resolves intrinsic values for the local stack: `Ref`s and `GetAtt`s from `names`
 * (logical id → local name or ARN), falling back to parameter defaults; `Fn::Sub` likewise.
 */
export function resolveValue(template: Template, value: unknown, names: Record<string, string>): unknown {
  const lookup = (reference: string): string => {
    if (reference in names) return names[reference] as string;
    const parameter = template.Parameters?.[reference];
    if (parameter && parameter.Default !== undefined) return String(parameter.Default);
    if (reference === 'AWS::Region') return 'us-east-1';
    if (reference === 'AWS::AccountId') return '000000000000';
    if (reference === 'AWS::Partition') return 'aws';
    throw new Error(`cannot resolve ${reference} locally; name it in the local stack`);
  };
  if (typeof value !== 'object' || value === null) return value;
  const intrinsic = value as Record<string, unknown>;
  if ('Ref' in intrinsic) return lookup(String(intrinsic.Ref));
  if ('Fn::GetAtt' in intrinsic) {
    const [id, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
    return lookup(`${id}.${attribute}`);
  }
  if ('Fn::Sub' in intrinsic) {
    const sub = intrinsic['Fn::Sub'];
    const [text, variables] = Array.isArray(sub) ? (sub as [string, Record<string, unknown>]) : [String(sub), {}];
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) =>
      name in variables ? String(resolveValue(template, variables[name], names)) : lookup(name),
    );
  }
  if (Array.isArray(value)) return value.map((item) => resolveValue(template, item, names));
  return Object.fromEntries(Object.entries(intrinsic).map(([key, item]) => [key, resolveValue(template, item, names)]));
}

/** An event source's MaximumBatchingWindowInSeconds, in ms: how long a batch that is not full waits for more (none when unset). */
export function batchingWindowMs(eventSourceProperties: Record<string, unknown>): number {
  return Number(eventSourceProperties.MaximumBatchingWindowInSeconds ?? 0) * 1000;
}
