import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { parse, type Tags } from 'yaml';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './aws-local.ts';

/**
 * The emulator's model of a SAM template: the emulator runs what the template declares instead
 * of being told it again. CloudFormation short-form tags (!Ref, !GetAtt, !Sub, …) are turned into
 * their long form ({ Ref }, { 'Fn::GetAtt' }, …).
 */

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

const loaded = new Map<string, Template>();
/** The template at `path`, parsed once per path. */
export function loadTemplate(path: string): Template {
  let template = loaded.get(path);
  if (!template) {
    template = parseTemplate(readFileSync(path, 'utf8'));
    loaded.set(path, template);
  }
  return template;
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
  /** The template's `Handler`, e.g. `ingest-events.handler`: module `ingest-events`, export `handler`. */
  handler: string;
  /** e.g. `functions/ingest-events.ts`: the esbuild entry point of the function. */
  entryPoint: string;
  exportName: string;
  /** Globals' and the function's own `Environment.Variables`, unresolved. */
  environment: Record<string, unknown>;
  /** Timeout and MemorySize, the function's own or the Globals' (Lambda's defaults: 3 s, 128 MB). */
  timeoutSeconds: number;
  memoryMb: number;
  resource: Resource;
}

/** Every function with the TypeScript entry its esbuild metadata builds and the handler export. */
export function functionDefinitions(template: Template): FunctionDefinition[] {
  const globals = (template.Globals?.Function ?? {}) as Record<string, any>;
  return resourcesOfType(template, 'AWS::Serverless::Function').map(([logicalId, resource]) => {
    const properties = resource.Properties ?? {};
    const codeUri = String(properties.CodeUri ?? globals.CodeUri ?? '.').replace(/\/$/, '');
    const handler = String(properties.Handler ?? globals.Handler);
    const exportName = handler.slice(handler.lastIndexOf('.') + 1) || 'handler';
    const entry = resource.Metadata?.BuildProperties?.EntryPoints?.[0];
    if (!entry) throw new Error(`${logicalId} has no esbuild EntryPoints in its Metadata`);
    return {
      logicalId,
      handler,
      entryPoint: posix.join(codeUri, entry),
      exportName,
      environment: { ...(globals.Environment?.Variables ?? {}), ...(properties.Environment?.Variables ?? {}) },
      timeoutSeconds: Number(properties.Timeout ?? globals.Timeout ?? 3),
      memoryMb: Number(properties.MemorySize ?? globals.MemorySize ?? 128),
      resource,
    };
  });
}

/** A function's environment as the template gives it (Globals' and its own variables), resolved against `names`. */
export function functionEnvironment(
  template: Template,
  definition: FunctionDefinition,
  names: Record<string, string>,
): Record<string, string> {
  const variables = resolveValue(template, definition.environment, names) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, String(value)]));
}

export interface HttpRoute {
  method: string;
  /** API Gateway path, e.g. `/v1/shipments/{shipmentId}`. */
  path: string;
  functionId: string;
}

export function httpRoutes(template: Template): HttpRoute[] {
  return resourcesOfType(template, 'AWS::Serverless::Function').flatMap(([functionId, resource]) =>
    Object.values((resource.Properties?.Events ?? {}) as Record<string, { Type: string; Properties: Record<string, any> }>)
      .filter((source) => source.Type === 'HttpApi')
      .map((source) => ({ method: String(source.Properties.Method).toUpperCase(), path: String(source.Properties.Path), functionId })),
  );
}

/**
 * Whether the template's condition `name` holds with these names (parameter values among them):
 * `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` and `Condition` references, as CloudFormation evaluates them.
 */
export function conditionHolds(template: Template, name: string, names: Record<string, string>): boolean {
  const condition = (template as { Conditions?: Record<string, unknown> }).Conditions?.[name];
  if (condition === undefined) throw new Error(`the template has no condition ${name}`);
  const evaluate = (value: unknown): boolean => {
    const intrinsic = value as Record<string, unknown[] | string>;
    if ('Condition' in intrinsic) return conditionHolds(template, String(intrinsic.Condition), names);
    if ('Fn::Equals' in intrinsic) {
      const [left, right] = (intrinsic['Fn::Equals'] as unknown[]).map((side) => String(resolveValue(template, side, names)));
      return left === right;
    }
    if ('Fn::Not' in intrinsic) return !evaluate((intrinsic['Fn::Not'] as unknown[])[0]);
    if ('Fn::And' in intrinsic) return (intrinsic['Fn::And'] as unknown[]).every(evaluate);
    if ('Fn::Or' in intrinsic) return (intrinsic['Fn::Or'] as unknown[]).some(evaluate);
    throw new Error(`cannot evaluate condition ${name} locally`);
  };
  return evaluate(condition);
}

/**
 * Resolves intrinsic values for the local stack: `Ref`s and `GetAtt`s from `names`
 * (logical id → local name or ARN), falling back to parameter defaults; `Fn::Sub` likewise;
 * `Fn::If` by the template's conditions.
 */
export function resolveValue(template: Template, value: unknown, names: Record<string, string>): unknown {
  const lookup = (reference: string): string => {
    if (reference in names) return names[reference] as string;
    const parameter = template.Parameters?.[reference];
    if (parameter && parameter.Default !== undefined) return String(parameter.Default);
    if (reference === 'AWS::Region') return LOCAL_REGION;
    if (reference === 'AWS::AccountId') return LOCAL_ACCOUNT;
    if (reference === 'AWS::Partition') return 'aws';
    if (reference === 'AWS::URLSuffix') return 'amazonaws.com';
    throw new Error(`cannot resolve ${reference} locally; name it in the emulator's names`);
  };
  if (typeof value !== 'object' || value === null) return value;
  const intrinsic = value as Record<string, unknown>;
  if ('Ref' in intrinsic) return lookup(String(intrinsic.Ref));
  if ('Fn::GetAtt' in intrinsic) {
    const [id, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
    return lookup(`${id}.${attribute}`);
  }
  if ('Fn::If' in intrinsic) {
    const [condition, whenTrue, whenFalse] = intrinsic['Fn::If'] as [string, unknown, unknown];
    return resolveValue(template, conditionHolds(template, condition, names) ? whenTrue : whenFalse, names);
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

/**
 * An event source setting that must be a whole number of at least 1 (BatchSize: a batch of none,
 * or of NaN, would be sent for ever, empty), else Lambda's default for it.
 */
export function positiveInteger(value: unknown, fallback: number): number {
  const number = Number(value ?? fallback);
  return Number.isInteger(number) && number >= 1 ? number : fallback;
}
