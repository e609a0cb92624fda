import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { placeholderNames } from '../emulator/resource-names.ts';
import { type FunctionDefinition, functionDefinitions, resolveValue } from '../emulator/template.ts';
import { buildFunction, esbuildOptions } from '../scripts/build.ts';
import { PROJECT_ROOT, projectTemplate } from '../support/project.ts';
import { median, pairedRatio } from './stats.ts';

/**
 * Cold start proxy per function: the production bundle (scripts/build.ts, as `sam build` makes it)
 * beside two floor bundles built with the same esbuild options. The floor is "constructing the same
 * SDK clients": the template sets `Tracing: Active`, so the floor the targets are judged against
 * constructs them traced, as any traced function must (Powertools' Tracer and `captureAWSv3Client`
 * on each); the untraced floor (the clients alone, the floor before tracing) is reported beside it.
 * All three are imported in fresh Node processes with the function's template environment and
 * Lambda's AWS_EXECUTION_ENV (so the Tracer traces, as on Lambda), in rotating order, so machine
 * noise hits them alike.
 */

export interface PackageBytes {
  name: string;
  bytes: number;
}

export interface ColdStartResult {
  logicalId: string;
  clients: string[];
  bundleBytes: number;
  /** The traced floor: the same clients, each under the Tracer. */
  floorBytes: number;
  /** The clients alone. */
  untracedFloorBytes: number;
  importMs: number[];
  floorImportMs: number[];
  untracedFloorImportMs: number[];
  wallMs: number[];
  floorWallMs: number[];
  untracedFloorWallMs: number[];
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

/** A tiny entry that imports and constructs exactly these clients at module scope, as a handler would; traced, each under the Tracer. */
export function floorEntry(packages: readonly string[], { traced }: { traced: boolean }): string {
  const lines: string[] = traced ? ["import { Tracer } from '@aws-lambda-powertools/tracer';", 'const tracer = new Tracer();'] : [];
  const names: string[] = [];
  const hasDocument = packages.includes('@aws-sdk/lib-dynamodb');
  for (const pkg of packages) {
    const name = clientClass(pkg);
    lines.unshift(`import { ${name} } from '${pkg}';`);
    if (pkg === '@aws-sdk/lib-dynamodb') continue;
    names.push(traced ? `tracer.captureAWSv3Client(new ${name}({}))` : `new ${name}({})`);
  }
  const clients = names.map((construct, index) => `const client${index} = ${construct};`);
  if (hasDocument) {
    const dynamo = names.findIndex((construct) => construct.includes('new DynamoDBClient('));
    clients.push(`const documents = DynamoDBDocumentClient.from(client${dynamo});`);
  }
  const all = [...names.map((_, index) => `client${index}`), ...(hasDocument ? ['documents'] : [])];
  return [...lines, ...clients, `export const handler = async () => [${all.join(', ')}].length;`, ''].join('\n');
}

async function buildFloor(definition: FunctionDefinition, packages: readonly string[], outRoot: string, traced: boolean) {
  const outdir = join(outRoot, `${definition.logicalId}-${traced ? 'traced-' : ''}floor`);
  mkdirSync(outdir, { recursive: true });
  const { entryPoints: _entryPoints, ...options } = esbuildOptions(definition, outdir);
  const result = await build({
    ...options,
    stdin: { contents: floorEntry(packages, { traced }), resolveDir: PROJECT_ROOT, sourcefile: 'floor.ts', loader: 'ts' },
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
  const names = placeholderNames(projectTemplate());
  for (const definition of functionDefinitions(projectTemplate())) {
    if (options.only && !options.only.includes(definition.logicalId)) continue;
    const built = await buildFunction(definition, options.outRoot);
    const bundleBytes = Object.entries(built.metafile.outputs).find(([name]) => !name.endsWith('.map'))?.[1].bytes ?? 0;
    const clients = clientPackages(built.metafile);
    const floor = await buildFloor(definition, clients, options.outRoot, true);
    const untracedFloor = await buildFloor(definition, clients, options.outRoot, false);
    const environment = {
      ...(resolveValue(projectTemplate(), definition.environment, names) as Record<string, string>),
      // What Lambda's runtime sets: with it the Tracer traces (and loads the X-Ray SDK), as deployed.
      AWS_EXECUTION_ENV: `AWS_Lambda_${definition.resource.Properties?.Runtime ?? projectTemplate().Globals?.Function?.Runtime}`,
    };
    const result: ColdStartResult = {
      logicalId: definition.logicalId,
      clients,
      bundleBytes,
      floorBytes: floor.bytes,
      untracedFloorBytes: untracedFloor.bytes,
      importMs: [],
      floorImportMs: [],
      untracedFloorImportMs: [],
      wallMs: [],
      floorWallMs: [],
      untracedFloorWallMs: [],
      topPackages: topPackages(built.metafile),
    };
    const subjects = [
      { file: built.file, importMs: result.importMs, wallMs: result.wallMs },
      { file: floor.file, importMs: result.floorImportMs, wallMs: result.floorWallMs },
      { file: untracedFloor.file, importMs: result.untracedFloorImportMs, wallMs: result.untracedFloorWallMs },
    ];
    // One unmeasured import of each first: the page cache, not the bundle, would dominate it.
    for (const subject of subjects) importOnce(subject.file, environment);
    for (let run = 0; run < options.runs; run++) {
      // Rotate which goes first, so none always runs on a cooler machine.
      for (let step = 0; step < subjects.length; step++) {
        const subject = subjects[(run + step) % subjects.length] as (typeof subjects)[number];
        const { importMs, wallMs } = importOnce(subject.file, environment);
        subject.importMs.push(importMs);
        subject.wallMs.push(wallMs);
      }
    }
    results.push(result);
  }
  return results;
}

export function summarizeColdStart(result: ColdStartResult) {
  return {
    bundleRatio: result.bundleBytes / result.floorBytes,
    untracedBundleRatio: result.bundleBytes / result.untracedFloorBytes,
    importMs: median(result.importMs),
    floorImportMs: median(result.floorImportMs),
    untracedFloorImportMs: median(result.untracedFloorImportMs),
    importRatio: pairedRatio(result.importMs, result.floorImportMs),
    untracedImportRatio: pairedRatio(result.importMs, result.untracedFloorImportMs),
    wallMs: median(result.wallMs),
    floorWallMs: median(result.floorWallMs),
    wallRatio: pairedRatio(result.wallMs, result.floorWallMs),
    untracedWallRatio: pairedRatio(result.wallMs, result.untracedFloorWallMs),
  };
}
