import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../support/project.ts';

// The local stack's folders keep their places: emulator/ is a component of its own (any SAM
// template of this shape), local/ is Parcelcast's composition of it and never reaches into the
// product's code, support/ is shared by tests and tools, and nothing in them imports in a circle.

type Imports = Map<string, string[]>;

/** Project-relative paths of the repository files each source file imports (static and dynamic). */
function importsOf(folders: string[]): Imports {
  const found: Imports = new Map();
  const walk = (folder: string): string[] =>
    readdirSync(join(PROJECT_ROOT, folder), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? walk(posix.join(folder, entry.name)) : /\.(ts|js)$/.test(entry.name) ? [posix.join(folder, entry.name)] : [],
    );
  for (const file of folders.flatMap(walk)) {
    const source = readFileSync(join(PROJECT_ROOT, file), 'utf8');
    const specifiers = [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^'"`;]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map(
      (match) => (match[1] ?? match[2]) as string,
    );
    found.set(
      file,
      specifiers
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) =>
          relative(PROJECT_ROOT, join(PROJECT_ROOT, dirname(file), specifier))
            .split('\\')
            .join('/'),
        ),
    );
  }
  return found;
}

const top = (path: string) => path.split('/')[0] as string;

/** Imports that break a rule: `from` folder → folders it must not import. */
function violations(imports: Imports, forbidden: Record<string, string[]>, allowed: string[] = []): string[] {
  return [...imports].flatMap(([file, targets]) =>
    targets
      .filter((target) => forbidden[top(file)]?.includes(top(target)) && !allowed.includes(`${file} -> ${target}`))
      .map((target) => `${file} -> ${target}`),
  );
}

/** Every import cycle between files, each as the path that closes it. */
function cycles(imports: Imports): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      found.push([...path.slice(path.indexOf(file)), file]);
      return;
    }
    state.set(file, 'open');
    for (const target of imports.get(file) ?? []) if (imports.has(target)) visit(target, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of imports.keys()) visit(file, []);
  return found;
}

const RULES: Record<string, string[]> = {
  // A component of its own: it runs any SAM template of this shape and knows nothing of Parcelcast.
  emulator: ['functions', 'local', 'support', 'scripts', 'bench', 'tests'],
  // Parcelcast's composition of the emulator: the functions run from the template's entry points, by path.
  local: ['functions', 'scripts', 'bench', 'tests'],
  support: ['functions', 'local', 'scripts', 'bench', 'tests'],
  scripts: ['local', 'tests'],
  bench: ['local', 'tests'],
};
// The benchmark measures throughput through `npm start`'s own stack.
const ALLOWED = ['bench/throughput.ts -> local/stack.ts'];

describe('the local stack keeps its boundaries', () => {
  const imports = importsOf(['emulator', 'local', 'support', 'scripts', 'bench']);

  it('finds the imports it checks', () => {
    expect(imports.get('local/stack.ts')).toContain('emulator/emulator.ts');
    expect(imports.get('emulator/emulator.ts')).toContain('emulator/function-runner.ts');
  });

  it('emulator/ imports nothing of the project, local/ nothing of functions/, scripts/ and bench/ nothing of local/', () => {
    expect(violations(imports, RULES, ALLOWED)).toEqual([]);
  });

  it('has no import cycle between files, nor between these folders', () => {
    expect(cycles(imports)).toEqual([]);
    const folders: Imports = new Map();
    for (const [file, targets] of imports) {
      const from = top(file);
      folders.set(from, [...new Set([...(folders.get(from) ?? []), ...targets.map(top).filter((target) => target !== from)])]);
    }
    expect(cycles(folders)).toEqual([]);
  });

  it('catches a planted violation and a planted cycle', () => {
    const planted: Imports = new Map([
      ['emulator/a.ts', ['local/b.ts']],
      ['local/b.ts', ['functions/c.ts', 'emulator/a.ts']],
    ]);
    expect(violations(planted, RULES)).toEqual(['emulator/a.ts -> local/b.ts', 'local/b.ts -> functions/c.ts']);
    expect(cycles(planted)).toEqual([['emulator/a.ts', 'local/b.ts', 'emulator/a.ts']]);
  });
});
