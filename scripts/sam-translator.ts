import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * SAM's own data, read from the aws-sam-translator installed in this machine's `python3`: the
 * same installation that runs the SAM transform in the cfn-lint test, so the policy templates and
 * the resource schema are always those of the translator that turns template.yaml into
 * CloudFormation. Nothing is copied into the repository (README, "Set up on a fresh machine").
 */

export interface SamTranslator {
  version: string;
  /** The installed `samtranslator` package folder. */
  directory: string;
}

export interface PolicyTemplate {
  Parameters: Record<string, unknown>;
  Definition: { Statement: { Action: string | string[]; Resource: unknown }[] };
}

// `get_schema(SamModel)` is what SAM's `make schema` runs to publish schema_source/sam.schema.json:
// the JSON Schema (draft-04) of every AWS::Serverless resource, generated from the translator's
// own pydantic models. The installed package carries those models but not the generated file.
const PROBE = `
import json, os, sys
import samtranslator
found = {"version": samtranslator.__version__, "directory": os.path.dirname(samtranslator.__file__)}
if "--schema" in sys.argv:
    from samtranslator.internal.schema_source.schema import SamModel, get_schema
    found["schema"] = get_schema(SamModel)
json.dump(found, sys.stdout)
`;

function probe(withSchema: boolean): SamTranslator & { schema?: Record<string, unknown> } {
  const result = spawnSync('python3', ['-c', PROBE, ...(withSchema ? ['--schema'] : [])], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error || result.status !== 0) {
    const reason = result.error?.message ?? result.stderr.trim().split('\n').at(-1);
    throw new Error(`aws-sam-translator could not be read from python3 (${reason}); \`npm test\` names what to install`);
  }
  return JSON.parse(result.stdout);
}

let translator: SamTranslator | undefined;
let schema: Record<string, unknown> | undefined;
let policyTemplates: Record<string, PolicyTemplate> | undefined;

export function samTranslator(): SamTranslator {
  translator ??= probe(false);
  return translator;
}

/** SAM's policy templates (`DynamoDBCrudPolicy`, …) and the statements each expands to. */
export function samPolicyTemplates(): Record<string, PolicyTemplate> {
  policyTemplates ??= JSON.parse(readFileSync(join(samTranslator().directory, 'policy_templates_data', 'policy_templates.json'), 'utf8'))
    .Templates as Record<string, PolicyTemplate>;
  return policyTemplates;
}

/** The SAM resource schema, as SAM publishes it. Its `properties.Globals` and `definitions` name each part. */
export function samSchema(): Record<string, unknown> {
  if (!schema) {
    const found = probe(true);
    translator ??= { version: found.version, directory: found.directory };
    schema = found.schema as Record<string, unknown>;
  }
  return schema;
}
