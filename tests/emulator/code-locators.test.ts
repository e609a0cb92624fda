import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtCode, sourceCode } from '../../emulator/function-runner.ts';
import { functionDefinitions } from '../../emulator/template.ts';
import { PROJECT_ROOT, projectTemplate } from '../../support/project.ts';

// Where the runner finds a function's code: the TypeScript entry point the template's esbuild
// Metadata names (npm start), or the module the Handler names in a built artifact (sam build's layout).

const definition = functionDefinitions(projectTemplate()).find((candidate) => candidate.logicalId === 'IngestFunction')!;
const buildDir = mkdtempSync(join(tmpdir(), 'emulator-build-'));
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

describe('code locators', () => {
  it('finds the TypeScript source from the esbuild EntryPoints', () => {
    expect(sourceCode(PROJECT_ROOT)(definition)).toBe(join(PROJECT_ROOT, 'functions/ingest-events.ts'));
  });

  it("finds the built module the Handler names, .mjs before .js, as Lambda's Node.js runtime does", () => {
    mkdirSync(join(buildDir, 'IngestFunction'), { recursive: true });
    writeFileSync(join(buildDir, 'IngestFunction', 'ingest-events.js'), '');
    expect(builtCode(buildDir)(definition)).toBe(join(buildDir, 'IngestFunction', 'ingest-events.js'));
    writeFileSync(join(buildDir, 'IngestFunction', 'ingest-events.mjs'), '');
    expect(builtCode(buildDir)(definition)).toBe(join(buildDir, 'IngestFunction', 'ingest-events.mjs'));
  });

  it('says which module is missing from a build', () => {
    const other = functionDefinitions(projectTemplate()).find((candidate) => candidate.logicalId === 'GetWalletFunction')!;
    expect(() => builtCode(buildDir)(other)).toThrow(/GetWalletFunction: no get-wallet\.mjs, \.js or \.cjs/);
  });
});
