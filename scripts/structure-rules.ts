import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Rules of the code's structure, read from the sources themselves: where configuration may be
 * read, which folders may import which (the project's top-level folders, and the layers of
 * functions/), and that nothing depends on itself in a circle, between files or between folders.
 * `npm run check:structure` prints the violations; tests/unit/structure.test.ts fails on any,
 * and proves each rule catches a planted mistake. Hand-written because what it checks is
 * Parcelcast's own; the import graph is small enough that a regular-expression reader of import
 * specifiers is all it needs.
 */

/** Project-relative path (posix) → source text. */
export type Sources = ReadonlyMap<string, string>;

/** The one module of functions/ that reads the environment. */
export const CONFIGURATION_MODULE = 'functions/lib/runtime/config.ts';

/** Folders whose code runs only on a developer's machine or in CI, where reading the environment is their job. */
export const TOOLING_FOLDERS = ['local', 'emulator', 'support', 'scripts', 'rehearsal', 'bench', 'tests'];

/**
 * The project's top-level folders and the others each may import (`*`: any). functions/ is the
 * product and imports nothing else. emulator/ runs any SAM template of this shape and knows nothing
 * of Parcelcast. support/ holds what tests, tools and the local stack share. local/ is Parcelcast's
 * composition of the emulator and never reaches into functions/: the emulator loads the entry
 * points the template names, by path, at run time. scripts/, rehearsal/ and bench/ are tools (for
 * AWS, for the deploy rehearsal, for measuring) and know nothing of local/. Files at the root
 * (vitest.config.ts and the like) import no folder; a folder missing here may import nothing.
 */
export const FOLDER_IMPORTS: Record<string, readonly string[] | '*'> = {
  functions: [],
  emulator: [],
  support: ['emulator'],
  local: ['emulator', 'support'],
  scripts: ['functions', 'emulator', 'support'],
  rehearsal: ['functions', 'emulator', 'support', 'scripts'],
  bench: ['functions', 'emulator', 'support', 'scripts'],
  tests: '*',
};

/** Imports the folder rules allow one by one, each with its reason. */
export const IMPORT_EXCEPTIONS: Record<string, string> = {
  'bench/throughput.ts -> local/stack.ts': "the throughput benchmark measures `npm start`'s own stack",
};

/**
 * The layers of functions/, each with the folders it may import (besides its own). A function's
 * entry (functions/<name>.ts) binds what its composition root builds; composition roots choose the
 * adapters; handlers are the Lambda-event glue; http is the HTTP side of the API; app holds the use
 * cases; adapters implement the domain's ports for AWS; runtime holds configuration, clients and
 * Powertools (and the PII-masking log formatter); domain is pure.
 */
export const LAYERS: Record<string, readonly string[]> = {
  functions: ['functions/lib/composition'],
  'functions/lib/composition': [
    'functions/lib/handlers',
    'functions/lib/http',
    'functions/lib/app',
    'functions/lib/adapters',
    'functions/lib/runtime',
    'functions/lib/domain',
  ],
  'functions/lib/handlers': [
    'functions/lib/http',
    'functions/lib/app',
    'functions/lib/adapters',
    'functions/lib/runtime',
    'functions/lib/domain',
  ],
  'functions/lib/http': ['functions/lib/app', 'functions/lib/domain'],
  'functions/lib/app': ['functions/lib/domain'],
  'functions/lib/adapters': ['functions/lib/domain'],
  'functions/lib/runtime': ['functions/lib/domain'],
  'functions/lib/domain': [],
};

/** Subpath imports of package.json (`#domain/*` → `./functions/lib/domain/*`). */
export type ImportMap = Record<string, string>;

const SPECIFIER =
  /(?:^|[^\w$.])(?:import|export)\s+(?:type\s+)?(?:[\w*${},\s]+?\s+from\s+)?['"]([^'"]+)['"]|(?:^|[^\w$.])import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** The project files a source imports (relative and `#` specifiers; packages are not followed). */
export function importsOf(path: string, source: string, imports: ImportMap): string[] {
  const found = new Set<string>();
  const code = withoutComments(source);
  for (const match of code.matchAll(SPECIFIER)) {
    const specifier = (match[1] ?? match[2]) as string;
    const target = resolveSpecifier(path, specifier, imports);
    if (target) found.add(target);
  }
  return [...found];
}

function resolveSpecifier(from: string, specifier: string, imports: ImportMap): string | undefined {
  if (specifier.startsWith('.')) return posix.normalize(posix.join(posix.dirname(from), specifier));
  if (specifier.startsWith('#')) {
    for (const [pattern, target] of Object.entries(imports)) {
      const prefix = pattern.replace(/\*$/, '');
      if (pattern.endsWith('*') ? specifier.startsWith(prefix) : specifier === pattern) {
        const rest = specifier.slice(prefix.length);
        return posix.normalize(target.replace(/^\.\//, '').replace(/\*$/, rest));
      }
    }
  }
  return undefined;
}

/** Block and line comments blanked out, so a path quoted in a comment is no import. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const topFolder = (path: string) => path.split('/')[0] ?? '';
const folderOf = (path: string) => posix.dirname(path);

/** Every violation of the rules in `sources`; none means the structure holds. */
export function structureViolations(sources: Sources, imports: ImportMap): string[] {
  const violations: string[] = [];
  const graph = new Map<string, string[]>();
  for (const [path, source] of sources) {
    graph.set(
      path,
      importsOf(path, source, imports).filter((target) => sources.has(target)),
    );
  }

  // Configuration: process.env is read by the configuration module and by tooling, nowhere else.
  for (const [path, source] of sources) {
    if (path === CONFIGURATION_MODULE || TOOLING_FOLDERS.includes(topFolder(path))) continue;
    if (/\bprocess\.env\b/.test(withoutComments(source))) violations.push(`${path} reads process.env (only ${CONFIGURATION_MODULE} may)`);
  }

  // Top-level folders import only the folders they may (and functions/ nothing outside itself).
  for (const [path, targets] of graph) {
    const from = topFolder(path);
    const allowed = FOLDER_IMPORTS[from];
    if (allowed === '*') continue;
    for (const target of targets) {
      const to = topFolder(target);
      if (to === from || allowed?.includes(to) || IMPORT_EXCEPTIONS[`${path} -> ${target}`]) continue;
      violations.push(
        `${path} imports ${target} (${from}/ may import ${allowed?.length ? allowed.map((folder) => `${folder}/`).join(', ') : 'nothing outside itself'})`,
      );
    }
  }

  // Layers of functions/.
  for (const [path, targets] of graph) {
    const layer = folderOf(path);
    const allowed = LAYERS[layer];
    if (topFolder(path) !== 'functions') continue;
    if (!allowed) {
      violations.push(`${path} is in no layer (add its folder to LAYERS in scripts/structure-rules.ts)`);
      continue;
    }
    for (const target of targets) {
      const targetLayer = folderOf(target);
      if (targetLayer !== layer && topFolder(target) === 'functions' && !allowed.includes(targetLayer)) {
        violations.push(`${path} imports ${target} (${layer} may import ${allowed.join(', ') || 'nothing outside itself'})`);
      }
    }
  }

  // No cycles, between files or between folders.
  for (const cycle of cycles(graph)) violations.push(`import cycle between files: ${cycle.join(' → ')} → ${cycle[0]}`);
  const folders = new Map<string, Set<string>>();
  for (const [path, targets] of graph) {
    const from = folderOf(path);
    const edges = folders.get(from) ?? new Set<string>();
    for (const target of targets) if (folderOf(target) !== from) edges.add(folderOf(target));
    folders.set(from, edges);
  }
  const folderGraph = new Map([...folders].map(([folder, edges]) => [folder, [...edges]]));
  for (const cycle of cycles(folderGraph)) violations.push(`import cycle between folders: ${cycle.join(' → ')} → ${cycle[0]}`);

  return violations;
}

/** The strongly connected components with more than one node, or a node importing itself (Tarjan). */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indexes = new Map<string, number>();
  const lowlinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indexes.set(node, index);
    lowlinks.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexes.has(next)) {
        visit(next);
        lowlinks.set(node, Math.min(lowlinks.get(node) as number, lowlinks.get(next) as number));
      } else if (onStack.has(next)) {
        lowlinks.set(node, Math.min(lowlinks.get(node) as number, indexes.get(next) as number));
      }
    }
    if (lowlinks.get(node) === indexes.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!indexes.has(node)) visit(node);
  return found.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SKIPPED = new Set(['node_modules', 'dist', '.local', '.aws-sam', '.git', 'test-results', 'coverage', '.rehearsal']);

/** Every TypeScript and JavaScript source of the project. */
export function projectSources(root = PROJECT_ROOT): Map<string, string> {
  const sources = new Map<string, string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|js|mjs)$/.test(entry.name)) sources.set(relative(root, path).split('\\').join('/'), readFileSync(path, 'utf8'));
    }
  };
  walk(root);
  return sources;
}

export function projectImportMap(root = PROJECT_ROOT): ImportMap {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).imports ?? {};
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const violations = structureViolations(projectSources(), projectImportMap());
  for (const violation of violations) console.log(violation);
  console.log(violations.length === 0 ? 'structure: every rule holds' : `structure: ${violations.length} violation(s)`);
  process.exitCode = violations.length === 0 ? 0 : 1;
}
