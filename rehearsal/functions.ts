import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetFunctionConfigurationCommand, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import type { EventSourceMapping } from '../emulator/lambda-service.ts';
import type { FunctionDefinition, Template } from '../emulator/template.ts';
import type { AwsClients, Credentials } from './aws.ts';
import { REGION } from './moto.ts';
import type { DeployedStack, RehearsalStep } from './stack.ts';

/**
 * Reads each deployed function back from Lambda (its configuration, its code in the deployment
 * bucket, its event source mappings) and gives it what the Lambda service would: the execution
 * role's credentials (sts AssumeRole, as Lambda assumes it) and Lambda's own variables. The
 * emulator's Lambda service then runs it as read back: its handler from its unpacked bundle, with
 * exactly that environment, its mappings reading as its role.
 */

const HELPER = fileURLToPath(new URL('./sam_translate.py', import.meta.url));

export interface DeployedFunction {
  /** As Lambda holds it: the handler, timeout and memory of its configuration. */
  definition: FunctionDefinition;
  functionName: string;
  functionArn: string;
  roleArn: string;
  credentials: Credentials;
  /** The whole environment of its runtime: its configuration, Lambda's own variables, its role's credentials. */
  environment: Record<string, string>;
  mappings: EventSourceMapping[];
}

/** Where the deployed bundles are unpacked, `<folder>/<LogicalId>/` each, as the emulator's builtCode reads them. */
export const deployedCode = (workDir: string) => join(workDir, 'functions');

export async function readDeployedFunctions(
  clients: AwsClients,
  stack: DeployedStack,
  translated: Template,
  workDir: string,
  awsEndpoint: string,
): Promise<{ functions: DeployedFunction[]; steps: RehearsalStep[] }> {
  const functions: DeployedFunction[] = [];
  const steps: RehearsalStep[] = [];
  for (const [logicalId, resource] of Object.entries(translated.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const functionName = stack.physical(logicalId);
    const configuration = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));

    const code = resource.Properties?.Code as { S3Bucket: string; S3Key: string };
    const archive = join(workDir, `${logicalId}.deployed.zip`);
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: code.S3Bucket, Key: code.S3Key }));
    writeFileSync(archive, await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    const codeDirectory = join(deployedCode(workDir), logicalId);
    mkdirSync(codeDirectory, { recursive: true });
    execFileSync(process.env.PYTHON ?? 'python3', [HELPER, 'unzip', archive, codeDirectory]);

    const roleArn = String(configuration.Role);
    const { Credentials: assumed } = await clients.sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: functionName.slice(0, 64) }),
    );
    const credentials = {
      accessKeyId: String(assumed?.AccessKeyId),
      secretAccessKey: String(assumed?.SecretAccessKey),
      sessionToken: String(assumed?.SessionToken),
    };

    const { EventSourceMappings = [] } = await clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName }));
    for (const mapping of EventSourceMappings) {
      if (!String(mapping.EventSourceArn).startsWith('arn:aws:sqs:') || mapping.State === 'Disabled') continue;
      // moto would receive (and count) the queue's messages to run the function in Docker.
      await clients.lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: false }));
      steps.push({
        logicalId,
        type: 'AWS::Lambda::EventSourceMapping',
        what: `lambda UpdateEventSourceMapping Enabled=false on moto's own poller of ${String(mapping.EventSourceArn).split(':').pop()}: the rehearsal polls`,
      });
    }

    const memory = String(configuration.MemorySize ?? 128);
    const environment: Record<string, string> = {
      ...Object.fromEntries(Object.entries(configuration.Environment?.Variables ?? {}).map(([name, value]) => [name, String(value)])),
      // What the Lambda service adds to every Node.js function's environment.
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory,
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `rehearsal/[$LATEST]${logicalId}`,
      AWS_EXECUTION_ENV: `AWS_Lambda_${configuration.Runtime}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      _HANDLER: String(configuration.Handler),
      LAMBDA_TASK_ROOT: codeDirectory,
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_SESSION_TOKEN: credentials.sessionToken,
      // The one difference from AWS: every SDK client of the function talks to moto.
      AWS_ENDPOINT_URL: awsEndpoint,
    };
    const handler = String(configuration.Handler);
    functions.push({
      definition: {
        logicalId,
        handler,
        entryPoint: join(codeDirectory, `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`),
        exportName: handler.slice(handler.lastIndexOf('.') + 1),
        environment,
        timeoutSeconds: configuration.Timeout ?? 3,
        memoryMb: Number(memory),
        resource,
      },
      functionName,
      functionArn: String(configuration.FunctionArn),
      roleArn,
      credentials,
      environment,
      // Lambda's API and SAM's event source properties share their names: the emulator reads either.
      mappings: EventSourceMappings.map((mapping) => ({
        functionId: logicalId,
        functionArn: String(mapping.FunctionArn),
        eventSourceArn: String(mapping.EventSourceArn),
        properties: mapping,
      })),
    });
  }
  return { functions, steps };
}
