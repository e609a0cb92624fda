import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { placeholderNames } from '../../emulator/resource-names.ts';
import { functionDefinitions, resolveValue } from '../../emulator/template.ts';
import { buildFunction } from '../../scripts/build.ts';
import { projectTemplate } from '../../support/project.ts';

// What `sam build` produces from the template's esbuild Metadata must load and export the handler.
const outRoot = mkdtempSync(join(tmpdir(), 'parcelcast-bundles-'));
afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

describe('function bundles built from the template', () => {
  for (const definition of functionDefinitions(projectTemplate())) {
    it(`${definition.logicalId} bundles to an ES module that exports ${definition.exportName}`, async () => {
      const environment = resolveValue(projectTemplate(), definition.environment, placeholderNames(projectTemplate())) as Record<
        string,
        string
      >;
      const built = await buildFunction(definition, outRoot);

      // A fresh Node process with only the template's environment, as a Lambda cold start has.
      const probe = `const m = await import(${JSON.stringify(pathToFileURL(built.file).href)}); console.log(typeof m[${JSON.stringify(definition.exportName)}]);`;
      const printed = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...environment },
        encoding: 'utf8',
      });

      expect(built.file.endsWith('.mjs')).toBe(true);
      expect(printed.trim()).toBe('function');
    });
  }
});
