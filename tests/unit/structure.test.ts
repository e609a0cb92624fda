import { describe, expect, it } from 'vitest';
import {
  cycles,
  IMPORT_EXCEPTIONS,
  importsOf,
  projectImportMap,
  projectSources,
  type Sources,
  structureViolations,
} from '../../scripts/structure-rules.ts';

describe('the structure of the project', () => {
  const sources = projectSources();
  const imports = projectImportMap();
  const violations = structureViolations(sources, imports);

  it('holds: process.env only in the configuration module and tooling, folders import only what they may, functions/ in its layers, no cycles', () => {
    expect(violations).toEqual([]);
  });

  it('has no exception but those it documents, and each is still an import', () => {
    expect(Object.keys(IMPORT_EXCEPTIONS)).toEqual(['bench/throughput.ts -> local/stack.ts']);
    for (const exception of Object.keys(IMPORT_EXCEPTIONS)) {
      const [from, to] = exception.split(' -> ') as [string, string];
      expect(importsOf(from, sources.get(from) ?? '', imports)).toContain(to);
    }
  });

  it('reads the real import graph (it would see a violation if there were one)', () => {
    expect(importsOf('functions/ingest-events.ts', sources.get('functions/ingest-events.ts') ?? '', imports)).toEqual([
      'functions/lib/composition/ingest-events.ts',
    ]);
    expect(
      importsOf('functions/lib/composition/get-wallet.ts', sources.get('functions/lib/composition/get-wallet.ts') ?? '', imports),
    ).toContain('functions/lib/adapters/dynamo-wallets.ts');
    expect(importsOf('local/stack.ts', sources.get('local/stack.ts') ?? '', imports)).toContain('emulator/emulator.ts');
    expect(importsOf('emulator/emulator.ts', sources.get('emulator/emulator.ts') ?? '', imports)).toContain('emulator/function-runner.ts');
  });
});

describe('the structure rules catch a planted mistake', () => {
  const imports = { '#domain/*': './functions/lib/domain/*', '#adapters/*': './functions/lib/adapters/*', '#lib/*': './functions/lib/*' };
  const check = (files: Record<string, string>) => structureViolations(new Map(Object.entries(files)) as Sources, imports);

  it('process.env read outside the configuration module and tooling', () => {
    expect(
      check({
        'functions/lib/app/clock.ts': 'export const zone = process.env.TZ;',
        'functions/lib/runtime/config.ts': 'export const all = process.env;',
        'tests/unit/x.test.ts': 'process.env.TABLE_NAME = "t";',
        'vitest.config.ts': 'export default { workers: process.env.WORKERS };',
        'functions/lib/domain/quiet.ts': '// process.env is not read here',
      }),
    ).toEqual([
      'functions/lib/app/clock.ts reads process.env (only functions/lib/runtime/config.ts may)',
      'vitest.config.ts reads process.env (only functions/lib/runtime/config.ts may)',
    ]);
  });

  it('functions/ importing outside itself, scripts/ or rehearsal/ importing local/', () => {
    expect(
      check({
        'functions/lib/adapters/outbox.ts': "import { LocalOutbox } from '../../../local/outbox.ts';",
        'scripts/replay.ts': "const { StreamPoller } = await import('../local/stream-poller.ts');",
        'rehearsal/drive.ts': "import { startStack } from '../local/stack.ts';",
        'functions/lib/domain/fixtures.ts': "export * from '../../../tests/support/events.ts';",
        'local/outbox.ts': '',
        'local/stream-poller.ts': '',
        'local/stack.ts': '',
        'tests/support/events.ts': '',
      }),
    ).toEqual([
      'functions/lib/adapters/outbox.ts imports local/outbox.ts (functions/ may import nothing outside itself)',
      'scripts/replay.ts imports local/stream-poller.ts (scripts/ may import functions/, emulator/, support/)',
      'rehearsal/drive.ts imports local/stack.ts (rehearsal/ may import functions/, emulator/, support/, scripts/)',
      'functions/lib/domain/fixtures.ts imports tests/support/events.ts (functions/ may import nothing outside itself)',
    ]);
  });

  it('emulator/ importing the project, local/ importing functions/, support/ importing local/, bench/ beyond its exception', () => {
    expect(
      check({
        'emulator/runner.ts': "import { startStack } from '../local/stack.ts';\nimport { project } from '../support/project.ts';",
        'local/stack.ts':
          "import { handler } from '../functions/ingest-events.ts';\nimport { startEmulator } from '../emulator/runner.ts';",
        'local/start.ts': "import { parseCommandLine } from '../scripts/cli.ts';",
        'support/project.ts': "import type { Outbox } from '../local/outbox.ts';",
        'bench/throughput.ts': "import { startStack } from '../local/stack.ts';",
        'bench/cold-start.ts': "import { LocalOutbox } from '../local/outbox.ts';\nimport { buildAll } from '../scripts/cli.ts';",
        'functions/ingest-events.ts': '',
        'local/outbox.ts': '',
        'scripts/cli.ts': '',
      }),
    ).toEqual([
      'emulator/runner.ts imports local/stack.ts (emulator/ may import nothing outside itself)',
      'emulator/runner.ts imports support/project.ts (emulator/ may import nothing outside itself)',
      'local/stack.ts imports functions/ingest-events.ts (local/ may import emulator/, support/)',
      'local/start.ts imports scripts/cli.ts (local/ may import emulator/, support/)',
      'support/project.ts imports local/outbox.ts (support/ may import emulator/)',
      'bench/cold-start.ts imports local/outbox.ts (bench/ may import functions/, emulator/, support/, scripts/)',
      'import cycle between files: emulator/runner.ts → local/stack.ts → emulator/runner.ts',
      'import cycle between folders: emulator → local → support → emulator',
    ]);
  });

  it('a layer importing one it may not', () => {
    expect(
      check({
        'functions/lib/app/record.ts': "import type { Store } from '#adapters/store.ts';",
        'functions/lib/adapters/store.ts': '',
        'functions/lib/domain/rules.ts': "import { record } from '#lib/app/record.ts';",
        'functions/get-thing.ts': "import { handler } from './lib/handlers/get-thing.ts';",
        'functions/lib/handlers/get-thing.ts': '',
        'functions/lib/extras/thing.ts': '',
      }),
    ).toEqual([
      'functions/lib/app/record.ts imports functions/lib/adapters/store.ts (functions/lib/app may import functions/lib/domain)',
      'functions/lib/domain/rules.ts imports functions/lib/app/record.ts (functions/lib/domain may import nothing outside itself)',
      'functions/get-thing.ts imports functions/lib/handlers/get-thing.ts (functions may import functions/lib/composition)',
      'functions/lib/extras/thing.ts is in no layer (add its folder to LAYERS in scripts/structure-rules.ts)',
    ]);
  });

  it('a cycle between files, and one between folders that no two files make', () => {
    expect(
      check({
        'local/a.ts': "import './b.ts';",
        'local/b.ts': "export { a } from './a.ts';",
        'tests/x/one.ts': "import '../y/two.ts';",
        'tests/y/two.ts': '',
        'tests/y/three.ts': "import type { T } from '../x/four.ts';",
        'tests/x/four.ts': '',
      }),
    ).toEqual([
      'import cycle between files: local/a.ts → local/b.ts → local/a.ts',
      'import cycle between folders: tests/x → tests/y → tests/x',
    ]);
  });

  it('finds every strongly connected component, and a file importing itself', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', ['d']],
      ['e', ['a']],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c'], ['d']]);
  });
});
