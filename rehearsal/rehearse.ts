import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListSchedulesCommand } from '@aws-sdk/client-scheduler';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { builtCode } from '../emulator/function-runner.ts';
import { type LambdaService, startLambdaService } from '../emulator/lambda-service.ts';
import { parseCommandLine } from '../support/cli.ts';
import { PROJECT_ROOT, TEMPLATE_PATH } from '../support/project.ts';
import { awsClients, UNCHECKED } from './aws.ts';
import { deployedCode, readDeployedFunctions } from './functions.ts';
import { roleUsage } from './least-privilege.ts';
import { type Moto, type ProviderReceipts, REGION, startMoto } from './moto.ts';
import { createOperator, DEV_REGISTRY_PATH, operatorSteps, runOperatorSteps } from './operator.ts';
import { packageAndTranslate, readSamconfig } from './package.ts';
import { claimOf } from './receipts.ts';
import { startRecorder } from './recorder.ts';
import { type Invocation, type Rehearsal, renderReport, verdict } from './report.ts';
import { daytimeZone, HttpApi, registeredWarehouse, SAMPLE_EVENTS, sampleEvent } from './scenario.ts';
import { deployStack } from './stack.ts';
import { runExecutions } from './workflow.ts';

/**
 * `npm run rehearse`: what `sam deploy` would do, on moto, with no AWS account. Builds and
 * packages every function, translates template.yaml with the SAM translator, creates the stack in
 * moto's CloudFormation (and what moto skips through the ordinary APIs), does the operator's
 * manual steps from docs/deployment.md, then runs each handler from its deployed bundle with its
 * configured environment and its own role's credentials under IAM enforcement (the emulator's
 * Lambda service, as `npm start` runs the functions, here against moto), and carries a shipment
 * from a signed POST to an SMS and an email, and a wallet debit to a started execution.
 * Writes .rehearsal/report.md; exits 0 only when all of that happened with no unexpected AWS error.
 */

export const USAGE = `usage: npm run rehearse -- [--config-env <name>] [--template <file>] [--work-dir <dir>]

Rehearses \`sam deploy\` against moto (no AWS account) and reports what happened.

Options:
  --config-env <name>  samconfig.toml config env to deploy (default: "default", the dev stage)
  --template <file>    the SAM template to deploy (default: template.yaml)
  --work-dir <dir>     where builds, artifacts and report.md go (default: .rehearsal)
  -h, --help           show this help`;

export interface RehearsalOptions {
  configEnv: string;
  templatePath: string;
  workDir: string;
}
const DRAIN_SECONDS = 90;
const STATE_MACHINE = 'WalletReconciliationStateMachine';

function rehearsalOptions(argv: string[]): RehearsalOptions {
  const command = { name: 'npm run rehearse', usage: USAGE };
  const { values, fail } = parseCommandLine(command, {
    args: argv,
    options: {
      'config-env': { type: 'string', default: 'default' },
      template: { type: 'string', default: TEMPLATE_PATH },
      'work-dir': { type: 'string', default: join(PROJECT_ROOT, '.rehearsal') },
    },
    allowPositionals: false,
  });
  const options = {
    configEnv: String(values['config-env']),
    templatePath: resolve(String(values.template)),
    workDir: resolve(String(values['work-dir'])),
  };
  if (!existsSync(options.templatePath)) fail(`no template at ${options.templatePath}`);
  try {
    readSamconfig(options.configEnv);
  } catch (error) {
    // The SAM helper names an unknown config env on its last line.
    fail(
      String((error as { stderr?: string }).stderr || (error as Error).message)
        .trim()
        .split('\n')
        .pop() as string,
    );
  }
  return options;
}

export async function rehearse(
  { configEnv, templatePath, workDir }: RehearsalOptions,
  log: (line: string) => void = console.log,
): Promise<Rehearsal> {
  const started = Date.now();
  const phases: { name: string; seconds: number }[] = [];
  let mark = Date.now();
  const phase = (name: string) => {
    phases.push({ name, seconds: (Date.now() - mark) / 1000 });
    log(`✓ ${name} (${((Date.now() - mark) / 1000).toFixed(1)} s)`);
    mark = Date.now();
  };
  // Only what an earlier rehearsal left there: --work-dir may name a folder that holds other things.
  mkdirSync(workDir, { recursive: true });
  for (const entry of readdirSync(workDir)) {
    if (['build', 'functions', 'report.md', 'translated.json'].includes(entry) || entry.endsWith('.zip')) {
      rmSync(join(workDir, entry), { recursive: true, force: true });
    }
  }

  const settings = readSamconfig(configEnv);
  const registryPath = settings.parameterOverrides.WarehouseRegistryPath ?? DEV_REGISTRY_PATH;
  const preferenceSecrets = settings.parameterOverrides.PreferenceSecretsParameterName ?? '/parcelcast/dev/preference-link-secrets';
  const moto: Moto = await startMoto();
  const recorder = await startRecorder(moto.endpoint);
  let lambda: LambdaService | undefined;
  const stopAll = async () => {
    await lambda?.stop();
    await recorder.stop();
    await moto.stop();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    phase(`moto_server on ${moto.endpoint}`);
    const operatorCredentials = await createOperator(awsClients(recorder.endpoint, UNCHECKED));
    recorder.label(operatorCredentials.accessKeyId, 'operator');
    const operator = awsClients(recorder.endpoint, operatorCredentials);
    const operatorRuns = await runOperatorSteps(operatorSteps(), recorder.endpoint, operatorCredentials, {
      registryPath,
      preferenceSecrets,
    });
    phase('operator steps from docs/deployment.md');

    const packaged = await packageAndTranslate(operator, settings, workDir, templatePath);
    writeFileSync(join(workDir, 'translated.json'), JSON.stringify(packaged.translated, null, 2));
    phase(`sam build + sam package: ${packaged.artifacts.length} artifacts in s3://${packaged.bucket}`);

    const stack = await deployStack(operator, packaged.translated, settings);
    phase(`stack ${stack.stackName} created`);

    const deployed = await readDeployedFunctions(operator, stack, packaged.translated, workDir, recorder.endpoint);
    stack.steps.push(...deployed.steps);
    for (const fn of deployed.functions) recorder.label(fn.credentials.accessKeyId, fn.definition.logicalId);
    // Step Functions works with the state machine's role, as Lambda does with a function's.
    const stateMachineRoleArn = String(stack.intrinsics.resolve(packaged.translated.Resources[STATE_MACHINE]?.Properties?.RoleArn));
    const { Credentials: assumed } = await operator.sts.send(
      new AssumeRoleCommand({ RoleArn: stateMachineRoleArn, RoleSessionName: STATE_MACHINE }),
    );
    const stateMachineCredentials = {
      accessKeyId: String(assumed?.AccessKeyId),
      secretAccessKey: String(assumed?.SecretAccessKey),
      sessionToken: String(assumed?.SessionToken),
    };
    recorder.label(stateMachineCredentials.accessKeyId, STATE_MACHINE);
    await moto.enforceIam();
    phase('functions read back from Lambda, roles assumed; IAM enforced from here on');

    const invocations: Invocation[] = [];
    const logs = new Map<string, string[]>();
    const byId = new Map(deployed.functions.map((fn) => [fn.definition.logicalId, fn]));
    const deployedFunction = (functionId: string) => byId.get(functionId) as (typeof deployed.functions)[number];
    // Lambda's part, as the emulator plays it for `npm start`: each function in its own worker with
    // exactly its deployed environment (its role's credentials among it), each event source mapping
    // as Lambda holds it, reading and sending as that function's role.
    lambda = startLambdaService({
      definitions: deployed.functions.map((fn) => fn.definition),
      code: builtCode(deployedCode(workDir)),
      environment: (functionId) => deployedFunction(functionId).environment,
      functionArn: (functionId) => deployedFunction(functionId).functionArn,
      mappings: deployed.functions.flatMap((fn) => fn.mappings),
      access: (functionId) => ({
        region: REGION,
        credentials: deployedFunction(functionId).credentials,
        streamsEndpoint: recorder.endpoint,
        sqsEndpoint: recorder.endpoint,
      }),
      onInvocation: ({ functionId, ...invocation }) => invocations.push({ logicalId: functionId, ...invocation }),
      onOutput: (functionId, _stream, text) => {
        const lines = logs.get(functionId) ?? [];
        lines.push(...text.split('\n').filter(Boolean));
        logs.set(functionId, lines);
      },
    });
    const running = lambda;
    await running.ready;
    const drained = (deadline: number) =>
      Promise.race([
        running.eventSources.settled().then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), Math.max(0, deadline - Date.now())).unref()),
      ]);

    const functionIds = new Map(deployed.functions.map((fn) => [fn.functionName, fn.definition.logicalId]));
    const api = new HttpApi(operator, running, stack.physical('ParcelApi'), settings.parameterOverrides.Stage ?? 'dev', functionIds);
    const warehouse = await registeredWarehouse(operator, registryPath);
    const timeZone = daytimeZone();
    const posted = [];
    for (const file of SAMPLE_EVENTS) posted.push({ file, exchange: await api.postSigned(warehouse, sampleEvent(file, timeZone)) });
    const deadline = Date.now() + DRAIN_SECONDS * 1000;
    let settled = await drained(deadline);
    const workflows = await runExecutions(
      operator,
      awsClients(recorder.endpoint, stateMachineCredentials),
      stack.physical(STATE_MACHINE),
      running,
      functionIds,
    );
    settled = (await drained(deadline)) && settled;
    // The providers' receipts, published by SES and End User Messaging (rehearsal/moto_server.py) to
    // their configuration sets' event destinations: RecordDeliveryFunction records them under its own role.
    const providerReceipts = await moto.receipts(deadline);
    settled = (await drained(deadline)) && settled;
    const caller = { ...operatorCredentials, arn: 'arn:aws:iam::123456789012:user/rehearsal-operator' };
    await api.request('GET', '/v1/shipments/shp-1001', { caller });
    await api.request('GET', '/v1/wallets/wal-2001', { caller });
    phase(`signed POSTs, ${invocations.length} invocations, mappings ${settled ? 'drained' : 'still busy'}`);

    const items = await operator.dynamodb.send(new ScanCommand({ TableName: stack.physical('ParcelTable') }));
    const executions = await operator.sfn.send(new ListExecutionsCommand({ stateMachineArn: stack.physical(STATE_MACHINE) }));
    const schedules = await operator.scheduler.send(new ListSchedulesCommand({}));
    const authorizations = await moto.authorizations();
    const roles = [];
    for (const fn of deployed.functions)
      roles.push({
        logicalId: fn.definition.logicalId,
        ...(await roleUsage(operator, fn.roleArn.split('/').pop() as string, authorizations)),
      });
    const stateMachineRole = packaged.translated.Resources.WalletReconciliationStateMachineRole
      ? stack.physical('WalletReconciliationStateMachineRole')
      : undefined;
    if (stateMachineRole)
      roles.push({ logicalId: 'WalletReconciliationStateMachine', ...(await roleUsage(operator, stateMachineRole, authorizations)) });

    const rehearsal: Rehearsal = {
      configEnv,
      stackName: stack.stackName,
      motoVersion: execFileSync(process.env.PYTHON ?? 'python3', ['-c', 'import moto; print(moto.__version__)'], {
        encoding: 'utf8',
      }).trim(),
      seconds: (Date.now() - started) / 1000,
      phases,
      resources: stack.resources,
      steps: stack.steps,
      uncreated: stack.uncreated,
      outputs: stack.outputs,
      operatorRuns,
      timeZone,
      posted: posted.map(({ file, exchange }) => ({ file, status: exchange.status, body: exchange.body })),
      exchanges: api.exchanges,
      settled,
      invocations,
      items: (items.Items ?? []).map((item) => ({ pk: String(item.PK?.S), sk: String(item.SK?.S) })),
      notifications: (items.Items ?? [])
        .filter((item) => item.entity?.S === 'notification')
        .map((item) => ({ notification: String(item.notificationId?.S), outcome: String(item.outcome?.S) })),
      receipts: receiptsOf(providerReceipts, items.Items ?? []),
      receiptErrors: [
        ...providerReceipts.failed.map((failure) => `${failure.provider}: ${failure.error}`),
        ...(providerReceipts.pending > 0 ? [`${providerReceipts.pending} send(s) still without receipts at the deadline`] : []),
      ],
      outbox: await moto.outbox(),
      workflows,
      executions: (executions.executions ?? []).map((execution) => ({ name: String(execution.name), status: String(execution.status) })),
      schedules: (schedules.Schedules ?? []).map((schedule) => ({ name: String(schedule.Name), group: String(schedule.GroupName) })),
      calls: recorder.calls,
      authorizations,
      roles,
      logs: Object.fromEntries(logs),
      samples: SAMPLE_EVENTS.map((file) => sampleEvent(file, timeZone)),
    };
    phase('report gathered');
    return rehearsal;
  } finally {
    await stopAll();
  }
}

/** Each published receipt, named by the notification whose claim it carries. */
function receiptsOf(receipts: ProviderReceipts, items: Record<string, any>[]): { notification: string; event: string }[] {
  const notifications = new Map(
    items
      .filter((item) => item.entity?.S === 'notification')
      .map((item) => [`${item.PK?.S}|${item.SK?.S}`, String(item.notificationId?.S)]),
  );
  return receipts.published.map((receipt) => ({
    notification: notifications.get(claimOf(receipt) ?? '') ?? `unknown claim ${claimOf(receipt) ?? '(none)'}`,
    event: receipt.event,
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = rehearsalOptions(process.argv.slice(2));
  const rehearsal = await rehearse(options);
  const { markdown, terminal } = renderReport(rehearsal);
  const reportPath = join(options.workDir, 'report.md');
  writeFileSync(reportPath, markdown);
  console.log(`\n${terminal}\nFull report: ${relative(process.cwd(), reportPath)}`);
  process.exit(verdict(rehearsal).passed ? 0 : 1);
}
