import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { PROJECT_ROOT } from '../support/project.ts';
import type { AwsClients, Credentials } from './aws.ts';
import { REGION } from './moto.ts';

/**
 * The operator: an IAM user with full access (what `sam deploy` runs as), and the manual steps
 * docs/deployment.md gives operators before the first deploy, run as written with the AWS CLI.
 */

export const DEPLOYMENT_GUIDE = join(PROJECT_ROOT, 'docs', 'deployment.md');
const SECTION = '## Before the first deploy';

export async function createOperator(clients: AwsClients): Promise<Credentials> {
  await clients.iam.send(new CreateUserCommand({ UserName: 'rehearsal-operator' }));
  await clients.iam.send(
    new PutUserPolicyCommand({
      UserName: 'rehearsal-operator',
      PolicyName: 'AdministratorAccess',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    }),
  );
  const { AccessKey } = await clients.iam.send(new CreateAccessKeyCommand({ UserName: 'rehearsal-operator' }));
  return { accessKeyId: String(AccessKey?.AccessKeyId), secretAccessKey: String(AccessKey?.SecretAccessKey) };
}

/** The shell blocks of the guide's "Before the first deploy" section, in order. */
export function operatorSteps(guide = readFileSync(DEPLOYMENT_GUIDE, 'utf8')): string[] {
  const start = guide.indexOf(SECTION);
  if (start < 0) throw new Error(`docs/deployment.md has no "${SECTION}" section`);
  const end = guide.indexOf('\n## ', start + SECTION.length);
  const section = guide.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^( *)```sh\n([\s\S]*?)^\1```/gm)].map((match) =>
    String(match[2])
      .split('\n')
      .map((line) => line.slice(String(match[1]).length))
      .join('\n')
      .trim(),
  );
}

export interface OperatorStep {
  commands: string;
  output: string;
  ok: boolean;
}

/** The warehouse registry the guide's commands write, for the dev stage (`--stage dev`). */
export const DEV_REGISTRY_PATH = '/parcelcast/dev/warehouses';

/**
 * Runs each step with bash, the AWS CLI and the project's own commands (`npm run warehouse`), from
 * the project's folder, as the operator would, against `endpoint` (served by this process: never
 * block it).
 */
export async function runOperatorSteps(
  steps: string[],
  endpoint: string,
  credentials: Credentials,
  parameterNames: { registryPath: string; preferenceSecrets: string },
): Promise<OperatorStep[]> {
  const runs: OperatorStep[] = [];
  for (const step of steps) {
    // The guide writes the dev stage's registry and parameter names; another config env names its own.
    const { registryPath, preferenceSecrets } = parameterNames;
    const commands = (
      registryPath === DEV_REGISTRY_PATH ? step : step.replaceAll('--stage dev', `--registry-path ${registryPath}`)
    ).replaceAll('/parcelcast/dev/preference-link-secrets', preferenceSecrets);
    try {
      const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', commands], {
        encoding: 'utf8',
        cwd: PROJECT_ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          // The AWS CLI reads the first, the SDK for JavaScript (npm run warehouse) the second.
          AWS_DEFAULT_REGION: REGION,
          AWS_REGION: REGION,
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          AWS_PAGER: '',
        },
      });
      // A secret the step printed for the operator (npm run warehouse) stays out of the report.
      runs.push({ commands, output: stdout.trim().replace(/whsec_[A-Za-z0-9+/=]+/g, 'whsec_…'), ok: true });
    } catch (error) {
      const failure = error as { stderr?: string; message: string };
      runs.push({ commands, output: String(failure.stderr || failure.message).trim(), ok: false });
    }
  }
  return runs;
}
