import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { functionDefinitions } from '../../emulator/template.ts';
import { esbuildOptions } from '../../scripts/build.ts';
import { PROJECT_ROOT, projectTemplate } from '../../support/project.ts';

/**
 * Variables a function may read without the template setting them: the Lambda runtime's own,
 * Powertools' optional knobs, and the local stack's overrides (never set on AWS).
 */
const PROVIDED_OR_LOCAL = /^(AWS_|_X_AMZN|LAMBDA_|POWERTOOLS_|DYNAMODB_ENDPOINT$|WEBHOOK_SECRETS$|LOCAL_)/;

/** Names read with requireEnv('X'), process.env.X or env.X in the given source. */
function environmentReads(source: string): string[] {
  const names = new Set<string>();
  for (const match of source.matchAll(/requireEnv\(\s*'([A-Z0-9_]+)'\s*\)|(?:process\.)?env\.([A-Z0-9_]+)/g)) {
    names.add((match[1] ?? match[2]) as string);
  }
  return [...names];
}

describe('every environment variable a handler reads is set by template.yaml', () => {
  for (const definition of functionDefinitions(projectTemplate())) {
    it(`${definition.logicalId} gets every variable its bundled code reads`, async () => {
      const options = esbuildOptions(definition, '/tmp/unused');
      const { metafile } = await build({ ...options, write: false, minify: false, sourcemap: false });
      const ownSources = Object.keys(metafile?.inputs ?? {}).filter((input) => input.startsWith('functions/'));
      const reads = ownSources.flatMap((input) => environmentReads(readFileSync(join(PROJECT_ROOT, input), 'utf8')));

      const missing = [...new Set(reads)].filter((name) => !PROVIDED_OR_LOCAL.test(name) && !(name in definition.environment));

      expect(ownSources.length).toBeGreaterThan(0);
      expect(missing).toEqual([]);
    });
  }

  it('finds the reads it checks for (a handler reading an unset variable would be caught)', () => {
    expect(environmentReads("const a = requireEnv('TABLE_NAME'); const b = process.env.EMAIL_CONFIGURATION_SET;")).toEqual([
      'TABLE_NAME',
      'EMAIL_CONFIGURATION_SET',
    ]);
  });
});
