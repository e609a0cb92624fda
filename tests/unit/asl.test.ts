import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resourceNames } from '../../emulator/resource-names.ts';
import { loadDefinition, substitute, taskStates } from '../../emulator/step-functions.ts';
import { resourcesOfType } from '../../emulator/template.ts';
import { PROJECT_ROOT, projectTemplate } from '../../support/project.ts';

// asl-validator ships CommonJS without type declarations.
type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => {
  isValid: boolean;
  errorsText(separator?: string): string;
};
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const template = projectTemplate();
const stateMachines = resourcesOfType(template, 'AWS::Serverless::StateMachine');
const placeholders = (text: string) => new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] as string));

describe('state machine definitions against template.yaml', () => {
  it('declares the wallet reconciliation state machine', () => {
    expect(stateMachines.map(([id]) => id)).toContain('WalletReconciliationStateMachine');
  });

  for (const [id, resource] of stateMachines) {
    const properties = resource.Properties ?? {};
    const text = readFileSync(join(PROJECT_ROOT, String(properties.DefinitionUri)), 'utf8');
    const substitutions = Object.keys(properties.DefinitionSubstitutions ?? {});

    it(`${id}: the ASL file is valid Amazon States Language`, () => {
      const result = aslValidator(JSON.parse(text));
      expect(result.isValid, result.errorsText('\n')).toBe(true);
    });

    it(`${id}: every \${Placeholder} has a DefinitionSubstitution and every substitution is used`, () => {
      expect([...placeholders(text)].sort()).toEqual([...substitutions].sort());
    });

    it(`${id}: is still valid with the substitutions filled in, ARNs included`, () => {
      const names = {
        ...resourceNames(template, 'http://127.0.0.1'),
        ...Object.fromEntries(Object.keys(template.Resources).map((key) => [key, `arn:aws:sns:us-east-1:000000000000:${key}`])),
      };
      const definition = loadDefinition(template, id, names, PROJECT_ROOT);
      const result = aslValidator(definition, { checkArn: true, checkPaths: true });
      expect(result.isValid, result.errorsText('\n')).toBe(true);
      expect(JSON.stringify(definition)).not.toMatch(/\$\{/);
    });

    it(`${id}: hard-codes no ARN of this stack; the template passes them in`, () => {
      expect(text).not.toMatch(/arn:aws:(lambda|sns|sqs|dynamodb):/);
    });

    it(`${id}: every Task retries with backoff and full jitter`, () => {
      for (const [name, state] of taskStates(JSON.parse(text))) {
        expect(state.Retry, name).toBeDefined();
        for (const retrier of state.Retry) expect(retrier, name).toMatchObject({ BackoffRate: expect.any(Number), JitterStrategy: 'FULL' });
      }
    });

    it(`${id}: logs without execution data and traces`, () => {
      expect(properties.Type).toBe('STANDARD');
      expect(properties.Logging).toMatchObject({ IncludeExecutionData: false, Level: expect.stringMatching(/^(ALL|ERROR)$/) });
      expect(properties.Tracing).toEqual({ Enabled: true });
    });
  }

  it('fails loudly on a placeholder without a substitution', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, not a JavaScript template
    expect(() => substitute('{"a": "${Missing}"}', {})).toThrow(/Missing/);
  });
});
