import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { loadTemplate, resourcesOfType, type Template } from '../emulator/template.ts';
import { type BuiltFunction, buildAll } from '../scripts/build.ts';
import { PROJECT_ROOT, TEMPLATE_PATH } from '../support/project.ts';
import type { AwsClients } from './aws.ts';
import { REGION } from './moto.ts';

/**
 * What `sam build` and `sam package` do before `sam deploy`: bundle every function with the
 * template's esbuild settings, zip each bundle, upload the zips and the state machine definition
 * to the deployment bucket, point CodeUri and DefinitionUri at them, then translate the template
 * with the SAM translator as CloudFormation's transform would (moto's CloudFormation has no SAM
 * transform, so the translated template is what the stack is created from).
 */

const HELPER = fileURLToPath(new URL('./sam_translate.py', import.meta.url));
const python = () => process.env.PYTHON ?? 'python3';

export interface DeploySettings {
  stackName: string;
  parameterOverrides: Record<string, string>;
  capabilities: string[];
  tags: Record<string, string>;
  s3Prefix: string;
}

/** `sam deploy`'s settings for a config env of samconfig.toml (`default` is dev). */
export function readSamconfig(configEnv: string): DeploySettings {
  const output = execFileSync(python(), [HELPER, 'samconfig', join(PROJECT_ROOT, 'samconfig.toml'), configEnv], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(output) as DeploySettings;
}

export interface Artifact {
  logicalId: string;
  key: string;
  bytes: number;
}

export interface Packaged {
  bucket: string;
  artifacts: Artifact[];
  built: BuiltFunction[];
  /** The template as CloudFormation sees it after the transform. */
  translated: Template;
}

export const ARTIFACT_BUCKET = 'aws-sam-cli-managed-default-samclisourcebucket-rehearsal';

export async function packageAndTranslate(
  clients: AwsClients,
  settings: DeploySettings,
  workDir: string,
  templatePath = TEMPLATE_PATH,
): Promise<Packaged> {
  const source = loadTemplate(templatePath);
  const built = await buildAll(join(workDir, 'build'), source);
  await clients.s3.send(new CreateBucketCommand({ Bucket: ARTIFACT_BUCKET }));
  const upload = async (logicalId: string, body: Buffer, extension = '') => {
    const key = `${settings.s3Prefix}/${createHash('md5').update(body).digest('hex')}${extension}`;
    await clients.s3.send(new PutObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: key, Body: body }));
    return { logicalId, key, bytes: body.length };
  };

  const template = structuredClone(source);
  const artifacts: Artifact[] = [];
  for (const fn of built) {
    // The build directory as `sam build` leaves it: the bundle and its source map.
    const archive = join(workDir, `${fn.logicalId}.zip`);
    execFileSync(python(), [HELPER, 'zip', archive, fn.file, `${fn.file}.map`]);
    const artifact = await upload(fn.logicalId, readFileSync(archive));
    artifacts.push(artifact);
    const resource = template.Resources[fn.logicalId];
    if (resource?.Properties) resource.Properties.CodeUri = `s3://${ARTIFACT_BUCKET}/${artifact.key}`;
  }
  if (template.Globals?.Function) delete template.Globals.Function.CodeUri;
  for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Serverless::StateMachine')) {
    const definitionUri = resource.Properties?.DefinitionUri;
    if (typeof definitionUri !== 'string') continue;
    const artifact = await upload(logicalId, readFileSync(join(PROJECT_ROOT, definitionUri)), '.json');
    artifacts.push(artifact);
    (resource.Properties as Record<string, unknown>).DefinitionUri = `s3://${ARTIFACT_BUCKET}/${artifact.key}`;
  }

  const translated = execFileSync(python(), [HELPER, 'translate', REGION, JSON.stringify(settings.parameterOverrides)], {
    input: JSON.stringify(template),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { bucket: ARTIFACT_BUCKET, artifacts, built, translated: JSON.parse(translated) as Template };
}
