import { execFile } from 'node:child_process';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetParameterCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsmWarehouseRegistry } from '../../functions/lib/adapters/warehouse-registry.ts';
import { type Moto, REGION, startMoto } from '../../rehearsal/moto.ts';
import { keyId } from '../../scripts/warehouse.ts';
import { PROJECT_ROOT } from '../../support/project.ts';

// `npm run warehouse --stage` against AWS's SSM API, served by moto on a free loopback port: what it
// writes is one SecureString per warehouse that the functions' own registry adapter reads back.

const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let moto: Moto;
let client: SSMClient;

interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

function warehouse(...args: string[]): Promise<Outcome>;
function warehouse(credentials: typeof CREDENTIALS, ...args: string[]): Promise<Outcome>;
function warehouse(...all: unknown[]): Promise<Outcome> {
  const credentials = typeof all[0] === 'object' ? (all.shift() as typeof CREDENTIALS) : CREDENTIALS;
  const args = all as string[];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/warehouse.ts', ...args],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        timeout: 30_000,
        // The usual AWS settings, pointed at moto; nothing of this machine's own AWS configuration.
        env: {
          PATH: process.env.PATH,
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        },
      },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const secretIn = (stdout: string) => /^whsec_\S+$/m.exec(stdout)?.[0] as string;

beforeAll(async () => {
  moto = await startMoto();
  client = new SSMClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

describe('npm run warehouse against SSM (moto)', () => {
  let first: string;

  it('add --stage: writes one SecureString under /parcelcast/<stage>/warehouses, and prints the secret once', async () => {
    const outcome = await warehouse(
      'add',
      '--stage',
      'dev',
      '--id',
      'ams-1',
      '--source',
      '//warehouse/ams-1',
      '--scope',
      'shipments',
      '--scope',
      'wallets',
    );
    first = secretIn(outcome.stdout);
    const { Parameter } = await client.send(new GetParameterCommand({ Name: '/parcelcast/dev/warehouses/ams-1', WithDecryption: true }));

    expect(outcome).toMatchObject({ status: 0, stderr: '' });
    expect(Parameter?.Type).toBe('SecureString');
    expect(JSON.parse(String(Parameter?.Value))).toEqual({
      id: 'ams-1',
      sources: ['//warehouse/ams-1'],
      secrets: [first],
      scopes: ['shipments', 'wallets'],
    });
  });

  it('add: refuses an id that is taken, and a source another warehouse owns', async () => {
    const taken = await warehouse('add', '--stage', 'dev', '--id', 'ams-1', '--source', '//warehouse/x');
    const overlap = await warehouse('add', '--stage', 'dev', '--id', 'ams-2', '--source', '//warehouse/ams-1');
    const { Parameters = [] } = await client.send(new GetParametersByPathCommand({ Path: '/parcelcast/dev/warehouses', Recursive: true }));

    expect([taken.status, overlap.status]).toEqual([1, 1]);
    expect(taken.stderr).toContain('warehouse ams-1 is already registered in SSM /parcelcast/dev/warehouses');
    expect(overlap.stderr).toContain('overlaps //warehouse/ams-1 of ams-1');
    expect(Parameters.map((parameter) => parameter.Name)).toEqual(['/parcelcast/dev/warehouses/ams-1']);
  });

  it('rotate, list, revoke: the registry the functions read follows each step', async () => {
    const rotated = await warehouse('rotate', '--stage', 'dev', '--id', 'ams-1', '--overlap', '1h');
    const second = secretIn(rotated.stdout);
    const listed = await warehouse('list', '--stage', 'dev');
    const registry = () =>
      new SsmWarehouseRegistry(client, {
        path: '/parcelcast/dev/warehouses',
        maxAgeSeconds: 1,
        defaults: { requestsPerSecond: 50, burst: 200, notificationsPerDay: 10_000 },
        refused: (entry) => {
          throw new Error(`refused ${entry.name}`);
        },
      }).registrations();
    const during = (await registry()).get('ams-1')?.keys.map((key) => key.secret);
    await warehouse('revoke', '--stage', 'dev', '--id', 'ams-1', '--previous');
    const after = (await registry()).get('ams-1')?.keys.map((key) => key.secret);

    expect(listed.stdout).toContain(`key ${keyId(first)} valid until`);
    expect(listed.stdout).toContain(`key ${keyId(second)}`);
    expect(listed.stdout).not.toContain('whsec_');
    expect(during).toEqual([first, second]);
    expect(after).toEqual([second]);
  });

  it('remove --registry-path: takes the parameter out', async () => {
    await warehouse('add', '--registry-path', '/custom/warehouses', '--id', 'rtm-1', '--source', 'urn:rtm-1');
    const removed = await warehouse('remove', '--registry-path', '/custom/warehouses', '--id', 'rtm-1');
    const { Parameters = [] } = await client.send(new GetParametersByPathCommand({ Path: '/custom/warehouses' }));

    expect(removed.status).toBe(0);
    expect(Parameters).toEqual([]);
  });

  it('says what AWS refused, in one line with exit code 1, to an operator without SSM access', async () => {
    const iam = new IAMClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
    await iam.send(new CreateUserCommand({ UserName: 'no-ssm' }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: 'no-ssm' }));
    iam.destroy();
    await moto.enforceIam();
    const outcome = await warehouse(
      { accessKeyId: String(AccessKey?.AccessKeyId), secretAccessKey: String(AccessKey?.SecretAccessKey) },
      'list',
      '--stage',
      'dev',
    );

    expect(outcome.status).toBe(1);
    expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
    expect(outcome.stderr).toMatch(
      /^npm run warehouse: SSM \/parcelcast\/dev\/warehouses: AccessDeniedException: .*ssm:GetParametersByPath/,
    );
  });
});
