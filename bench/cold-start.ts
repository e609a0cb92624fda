import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { type FunctionDefinition, functionDefinitions, resolveValue } from '../emulator/template.ts';
import { buildFunction, esbuildOptions } from '../scripts/build.ts';
import { PROJECT_ROOT, projectTemplate } from '../support/project.ts';
import { median, pairedRatio } from './stats.ts';

/**
 * Cold start proxy per function: the production bundle (scripts/build.ts, as `sam build` makes it)
 * beside a floor bundle that only imports and constructs the AWS SDK clients the production bundle
 * contains, built with the same esbuild options; both imported in fresh Node processes with the
 * function's template environment, alternately, so machine noise hits both alike.
 */

export interface PackageBytes {
  name: string;
  bytes: number;
}

export interface ColdStartResult {
  logicalId: string;
  clients: string[];
  bundleBytes: number;
  floorBytes: number;
  importMs: number[];
  floorImportMs: number[];
  wallMs: number[];
  floorWallMs: number[];
  topPackages: PackageBytes[];
}

const require = createRequire(import.meta.url);

/**
 * The SDK client packages a bundle contains: those with bytes in its output. The metafile's
 * top-level inputs also list packages esbuild read and then dropped as unused (an import of a
 * client no code of the function builds), which are no part of what Lambda loads.
 */
export function clientPackages(metafile: Metafile): string[] {
  const found = new Set<string>();
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint);
  for (const [input, info] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+|lib-dynamodb)\//.exec(input);
    if (match && info.bytesInOutput > 0) found.add(`@aws-sdk/${match[1]}`);
  }
  return [...found].sort();
}

/** The one `…Client` class a client package exports (DynamoDBClient, SESv2Client, DynamoDBDocumentClient, …). */
function clientClass(pkg: string): string {
  const exports = Object.keys(require(pkg) as object).filter((name) => /^[A-Z]\w*Client$/.test(name) && !name.startsWith('__'));
  if (exports.length !== 1) throw new Error(`${pkg}: expected one client class, found ${exports.join(', ')}`);
  return exports[0] as string;
}

/** A tiny entry that imports and constructs exactly these clients at module scope, as a handler would. */
export function floorEntry(packages: readonly string[]): string {
  const lines: string[] = [];
  const names: string[] = [];
  const hasDocument = packages.includes('@aws-sdk/lib-dynamodb');
  for (const pkg of packages) {
    const name = clientClass(pkg);
    lines.push(`import { ${name} } from '${pkg}';`);
    if (pkg === '@aws-sdk/lib-dynamodb') continue;
    names.push(`new ${name}({})`);
  }
  const clients = names.map((construct, index) => `const client${index} = ${construct};`);
  if (hasDocument) {
    const dynamo = names.findIndex((construct) => construct.startsWith('new DynamoDBClient'));
    clients.push(`const documents = DynamoDBDocumentClient.from(client${dynamo});`);
  }
  const all = [...names.map((_, index) => `client${index}`), ...(hasDocument ? ['documents'] : [])];
  return [...lines, ...clients, `export const handler = async () => [${all.join(', ')}].length;`, ''].join('\n');
}

async function buildFloor(definition: FunctionDefinition, packages: readonly string[], outRoot: string) {
  const outdir = join(outRoot, `${definition.logicalId}-floor`);
  mkdirSync(outdir, { recursive: true });
  const { entryPoints: _entryPoints, ...options } = esbuildOptions(definition, outdir);
  const result = await build({
    ...options,
    stdin: { contents: floorEntry(packages), resolveDir: PROJECT_ROOT, sourcefile: 'floor.ts', loader: 'ts' },
  });
  const [file, output] = Object.entries(result.metafile?.outputs ?? {}).find(([name]) => !name.endsWith('.map')) as [
    string,
    Metafile['outputs'][string],
  ];
  return { file: join(PROJECT_ROOT, file), bytes: output.bytes };
}

/** Where the bytes of a bundle go: grouped by npm package, the project's own code as `(project)`. */
export function topPackages(metafile: Metafile, limit = 6): PackageBytes[] {
  const output = Object.values(metafile.outputs).find((candidate) => candidate.entryPoint);
  const byPackage = new Map<string, number>();
  for (const [input, info] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const name = match ? (match[1] as string) : '(project)';
    byPackage.set(name, (byPackage.get(name) ?? 0) + info.bytesInOutput);
  }
  return [...byPackage]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, limit);
}

/** Stand-in values for every template resource, so the environment resolves as it would on AWS. */
function placeholderNames(): Record<string, string> {
  const names: Record<string, string> = {};
  for (const id of Object.keys(projectTemplate().Resources)) {
    names[id] = `${id}-name`;
    for (const attribute of ['Arn', 'StreamArn', 'QueueName', 'QueueUrl', 'TopicName', 'Name']) {
      names[`${id}.${attribute}`] = `arn:aws:placeholder:us-east-1:000000000000:${id}`;
    }
  }
  return names;
}

/** Imports a bundle in a fresh Node process; import time measured inside it, wall time around it. */
function importOnce(file: string, environment: Record<string, string>): { importMs: number; wallMs: number } {
  const probe = `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t0));`;
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      ...environment,
    },
    encoding: 'utf8',
  });
  const wallMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`importing ${file} failed:\n${child.stderr}`);
  return { importMs: Number(child.stdout), wallMs };
}

export async function measureColdStarts(options: { outRoot: string; runs: number; only?: string[] }): Promise<ColdStartResult[]> {
  const results: ColdStartResult[] = [];
  const names = placeholderNames();
  for (const definition of functionDefinitions(projectTemplate())) {
    if (options.only && !options.only.includes(definition.logicalId)) continue;
    const built = await buildFunction(definition, options.outRoot);
    const bundleBytes = Object.entries(built.metafile.outputs).find(([name]) => !name.endsWith('.map'))?.[1].bytes ?? 0;
    const clients = clientPackages(built.metafile);
    const floor = await buildFloor(definition, clients, options.outRoot);
    const environment = resolveValue(projectTemplate(), definition.environment, names) as Record<string, string>;
    const result: ColdStartResult = {
      logicalId: definition.logicalId,
      clients,
      bundleBytes,
      floorBytes: floor.bytes,
      importMs: [],
      floorImportMs: [],
      wallMs: [],
      floorWallMs: [],
      topPackages: topPackages(built.metafile),
    };
    // One unmeasured import of each first: the page cache, not the bundle, would dominate it.
    importOnce(built.file, environment);
    importOnce(floor.file, environment);
    for (let run = 0; run < options.runs; run++) {
      // Alternate which goes first, so neither always runs on a cooler machine.
      const order = run % 2 === 0 ? (['product', 'floor'] as const) : (['floor', 'product'] as const);
      for (const which of order) {
        const { importMs, wallMs } = importOnce(which === 'product' ? built.file : floor.file, environment);
        (which === 'product' ? result.importMs : result.floorImportMs).push(importMs);
        (which === 'product' ? result.wallMs : result.floorWallMs).push(wallMs);
      }
    }
    results.push(result);
  }
  return results;
}

export function summarizeColdStart(result: ColdStartResult) {
  return {
    bundleRatio: result.bundleBytes / result.floorBytes,
    importMs: median(result.importMs),
    floorImportMs: median(result.floorImportMs),
    importRatio: pairedRatio(result.importMs, result.floorImportMs),
    wallMs: median(result.wallMs),
    floorWallMs: median(result.floorWallMs),
    wallRatio: pairedRatio(result.wallMs, result.floorWallMs),
  };
}
