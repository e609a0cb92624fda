import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { placeholderNames } from '../../emulator/resource-names.ts';
import { functionDefinitions, resolveValue } from '../../emulator/template.ts';
import { FUNCTION_SETTINGS, type FunctionName, loadSettings, settingNames } from '../../functions/lib/runtime/config.ts';
import { esbuildOptions } from '../../scripts/build.ts';
import { PROJECT_ROOT, projectTemplate } from '../../support/project.ts';

/**
 * A function's settings are the variables its schema in functions/lib/runtime/config.ts names,
 * parsed once by its composition root. Each must be set by template.yaml, or be the inline form of
 * one it sets by other means (never on AWS: WEBHOOK_SECRETS stands in for the SSM parameter where
 * no Parameter Store answers, see functions/lib/composition/ingest-events.ts).
 */
const INLINE_ONLY = new Set(['WEBHOOK_SECRETS']);

describe('every setting a function reads is set by template.yaml', () => {
  const definitions = functionDefinitions(projectTemplate());

  it('has settings for exactly the functions the template declares, named by their entry points', () => {
    const entries = definitions.map((definition) => basename(definition.entryPoint, '.ts')).sort();
    expect(Object.keys(FUNCTION_SETTINGS).sort()).toEqual(entries);
  });

  for (const definition of definitions) {
    const name = basename(definition.entryPoint, '.ts') as FunctionName;

    it(`${definition.logicalId} gets every variable its settings read, and they parse`, () => {
      const missing = settingNames(name).filter((variable) => !(variable in definition.environment) && !INLINE_ONLY.has(variable));
      const environment = resolveValue(projectTemplate(), definition.environment, placeholderNames(projectTemplate())) as Record<
        string,
        string
      >;

      expect(missing).toEqual([]);
      expect(() => loadSettings(name, environment)).not.toThrow();
    });

    it(`${definition.logicalId} is composed by its own composition root, with its own settings`, async () => {
      const options = esbuildOptions(definition, '/tmp/unused');
      const { metafile } = await build({ ...options, write: false, minify: false, sourcemap: false });
      const compositions = Object.keys(metafile?.inputs ?? {}).filter((input) => input.startsWith('functions/lib/composition/'));

      const source = readFileSync(join(PROJECT_ROOT, 'functions/lib/composition', `${name}.ts`), 'utf8');

      expect(compositions).toEqual([`functions/lib/composition/${name}.ts`]);
      expect(source.match(/loadSettings\('[^']*'\)/g)).toEqual([`loadSettings('${name}')`]);
    });
  }
});
