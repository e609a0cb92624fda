import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { type FunctionDefinition, functionDefinitions, type Template } from '../emulator/template.ts';
import { parseCommandLine } from '../support/cli.ts';
import { PROJECT_ROOT, projectTemplate } from '../support/project.ts';

/**
 * Builds every function exactly as `sam build` would from the template's esbuild Metadata
 * (BuildMethod: esbuild), into dist/<LogicalId>/. The tests and the benchmarks import these
 * bundles, so the settings operators deploy are the settings that are tested.
 */

export const DIST = join(PROJECT_ROOT, 'dist');

/** Translates SAM's esbuild BuildProperties into esbuild options (SAM's own mapping). */
export function esbuildOptions(definition: FunctionDefinition, outdir: string): BuildOptions {
  const properties = (definition.resource.Metadata?.BuildProperties ?? {}) as Record<string, any>;
  // `js=import …; const require = …`: the key ends at the first `=`, the value keeps the rest.
  const pairs = (list: string[] | undefined) =>
    Object.fromEntries((list ?? []).map((item) => [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)]));
  return {
    entryPoints: [join(PROJECT_ROOT, definition.entryPoint)],
    outdir,
    bundle: true,
    platform: 'node',
    format: properties.Format ?? 'cjs',
    target: properties.Target ?? 'es2020',
    minify: properties.Minify ?? true,
    sourcemap: properties.Sourcemap ?? false,
    outExtension: pairs(properties.OutExtension),
    banner: pairs(properties.Banner),
    external: properties.External ?? [],
    mainFields: properties.MainFields ? String(properties.MainFields).split(',') : ['module', 'main'],
    metafile: true,
    logLevel: 'warning',
  };
}

export interface BuiltFunction {
  logicalId: string;
  /** The bundle Lambda loads: `<outdir>/<entry>.mjs`. */
  file: string;
  exportName: string;
  metafile: Metafile;
}

export async function buildFunction(definition: FunctionDefinition, outRoot = DIST): Promise<BuiltFunction> {
  const outdir = join(outRoot, definition.logicalId);
  mkdirSync(outdir, { recursive: true });
  const options = esbuildOptions(definition, outdir);
  const result = await build(options);
  const extension = (options.outExtension as Record<string, string>)['.js'] ?? '.js';
  const base = definition.entryPoint.split('/').pop()?.replace(/\.ts$/, '') as string;
  writeFileSync(join(outdir, 'metafile.json'), JSON.stringify(result.metafile));
  return {
    logicalId: definition.logicalId,
    file: join(outdir, `${base}${extension}`),
    exportName: definition.exportName,
    metafile: result.metafile as Metafile,
  };
}

export async function buildAll(outRoot = DIST, template?: Template): Promise<BuiltFunction[]> {
  const built: BuiltFunction[] = [];
  for (const definition of functionDefinitions(template ?? projectTemplate())) built.push(await buildFunction(definition, outRoot));
  return built;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  parseCommandLine({ name: 'npm run build', usage: 'usage: npm run build   (takes no options; writes dist/)' }, { options: {} });
  for (const fn of await buildAll()) {
    const bytes = Object.values(fn.metafile.outputs).reduce((sum, output) => sum + (output.bytes ?? 0), 0);
    console.log(`${fn.logicalId.padEnd(30)} ${relative(PROJECT_ROOT, fn.file)}  ${(bytes / 1024).toFixed(0)} KiB (with source map)`);
  }
}
