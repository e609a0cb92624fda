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

/** Runs each step with bash and the AWS CLI, as the operator would, against `endpoint` (served by this process: never block it). */
export async function runOperatorSteps(
  steps: string[],
  endpoint: string,
  credentials: Credentials,
  parameterNames: { webhookSecrets: string; preferenceSecrets: string },
): Promise<OperatorStep[]> {
  const runs: OperatorStep[] = [];
  for (const step of steps) {
    // The guide writes the dev stage's parameter names; another config env uses its own.
    const commands = step
      .replaceAll('/parcelcast/dev/webhook-secrets', parameterNames.webhookSecrets)
      .replaceAll('/parcelcast/dev/preference-link-secrets', parameterNames.preferenceSecrets);
    try {
      const { stdout } = await promisify(execFile)('bash', ['-euo', 'pipefail', '-c', commands], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_DEFAULT_REGION: REGION,
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          AWS_PAGER: '',
        },
      });
      runs.push({ commands, output: stdout.trim(), ok: true });
    } catch (error) {
      const failure = error as { stderr?: string; message: string };
      runs.push({ commands, output: String(failure.stderr || failure.message).trim(), ok: false });
    }
  }
  return runs;
}
