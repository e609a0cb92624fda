import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRegistration } from '../../functions/lib/domain/warehouse.ts';
import { keyId } from '../../scripts/warehouse.ts';
import { PROJECT_ROOT } from '../../support/project.ts';

// `npm run warehouse` against a WAREHOUSES_FILE, as an operator runs it: every verb, what it prints
// (a secret once, never again), what it writes (what the functions accept), and what it refuses.

let folder: string;
let file: string;

interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

function warehouse(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/warehouse.ts', ...args, '--file', file],
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, WAREHOUSES_FILE: '' } },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const stored = () => JSON.parse(readFileSync(file, 'utf8')).warehouses as Record<string, any>[];
const secretIn = (stdout: string) => /^whsec_\S+$/m.exec(stdout)?.[0] as string;
const defaults = { requestsPerSecond: 50, burst: 200, notificationsPerDay: 10_000 };

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'parcelcast-warehouses-'));
  file = join(folder, 'nested', 'warehouses.json');
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('npm run warehouse on a local file', () => {
  let first: string;

  it('add: registers a warehouse the functions accept, prints its secret once, and keeps the file private', async () => {
    const outcome = await warehouse('add', '--id', 'ams-1', '--source', '//warehouse/ams-1', '--scope', 'shipments', '--scope', 'wallets');
    first = secretIn(outcome.stdout);

    expect(outcome).toMatchObject({ status: 0, stderr: '' });
    expect(outcome.stdout).toContain('Registered warehouse ams-1');
    expect(outcome.stdout).toContain('/v1/warehouses/ams-1/events');
    expect(outcome.stdout.split(first)).toHaveLength(2);
    expect(stored()).toEqual([{ id: 'ams-1', sources: ['//warehouse/ams-1'], secrets: [first], scopes: ['shipments', 'wallets'] }]);
    expect(parseRegistration(stored()[0], defaults).ok).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('add: takes limits and shared wallets, and gives only the shipments scope unless told', async () => {
    const outcome = await warehouse(
      'add',
      '--id',
      'rtm-1',
      '--source',
      '//warehouse/rtm-1/*',
      '--shared-wallet',
      'wal-group-*',
      '--requests-per-second',
      '2.5',
      '--burst',
      '5',
      '--notifications-per-day',
      '100',
    );

    expect(outcome.status).toBe(0);
    expect(stored()[1]).toEqual({
      id: 'rtm-1',
      sources: ['//warehouse/rtm-1/*'],
      secrets: [secretIn(outcome.stdout)],
      scopes: ['shipments'],
      sharedWallets: ['wal-group-*'],
      limits: { requestsPerSecond: 2.5, burst: 5, notificationsPerDay: 100 },
    });
  });

  it.each<[string, string[], string]>([
    ['the same id twice', ['--id', 'ams-1', '--source', '//warehouse/other'], 'warehouse ams-1 is already registered'],
    ['a source another warehouse owns', ['--id', 'thief', '--source', '//warehouse/ams-1'], 'overlaps //warehouse/ams-1 of ams-1'],
    ['a prefix over another warehouse’s source', ['--id', 'greedy', '--source', '//warehouse/*'], 'its source //warehouse/* overlaps'],
  ])('add: refuses %s with exit code 1, changing nothing', async (_, args, says) => {
    const before = readFileSync(file, 'utf8');
    const outcome = await warehouse('add', ...args);

    expect(outcome.status).toBe(1);
    expect(outcome.stderr).toContain(says);
    expect(outcome.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('list: shows sources, scopes, limits and key ids, never a secret', async () => {
    const outcome = await warehouse('list');

    expect(outcome.status).toBe(0);
    expect(outcome.stdout).toContain('ams-1  sources //warehouse/ams-1  scopes shipments wallets');
    expect(outcome.stdout).toContain(`key ${keyId(first)}`);
    expect(outcome.stdout).toContain('limits requestsPerSecond 2.5, burst 5, notificationsPerDay 100');
    expect(outcome.stdout).not.toContain('whsec_');
  });

  it('rotate: adds a new secret, printed once, and keeps the old one valid for the overlap only', async () => {
    const before = Date.now();
    const outcome = await warehouse('rotate', '--id', 'ams-1', '--overlap', '2h');
    const second = secretIn(outcome.stdout);
    const [old, latest] = stored()[0]?.secrets ?? [];

    expect(outcome.status).toBe(0);
    expect(second).not.toBe(first);
    expect(latest).toBe(second);
    expect(old.secret).toBe(first);
    expect(Date.parse(old.notAfter) - before).toBeGreaterThanOrEqual(2 * 3_600_000 - 1_000);
    expect(Date.parse(old.notAfter) - before).toBeLessThanOrEqual(2 * 3_600_000 + 30_000);
    expect(outcome.stdout).toContain(`${keyId(first)} stay valid until ${old.notAfter}`);
  });

  it('rotate: a second rotation does not extend the first one’s overlap', async () => {
    const firstEnd = stored()[0]?.secrets[0].notAfter;
    await warehouse('rotate', '--id', 'ams-1', '--overlap', '3d');

    expect(stored()[0]?.secrets.map((key: { notAfter?: string }) => key.notAfter ?? 'none')).toEqual([
      firstEnd,
      expect.any(String),
      'none',
    ]);
    expect(Date.parse(stored()[0]?.secrets[1].notAfter)).toBeGreaterThan(Date.parse(firstEnd));
  });

  it('revoke --key: removes exactly that secret at once', async () => {
    const outcome = await warehouse('revoke', '--id', 'ams-1', '--key', keyId(first));

    expect(outcome.status).toBe(0);
    expect(stored()[0]?.secrets.map((key: string | { secret: string }) => (typeof key === 'string' ? key : key.secret))).not.toContain(
      first,
    );
    expect(stored()[0]?.secrets).toHaveLength(2);
  });

  it('revoke: refuses a key id the warehouse has not got, with exit code 1', async () => {
    const outcome = await warehouse('revoke', '--id', 'ams-1', '--key', keyId(first));
    expect(outcome.status).toBe(1);
    expect(outcome.stderr).toContain(`warehouse ams-1 has no key ${keyId(first)}`);
  });

  it('revoke --previous: keeps only the newest secret', async () => {
    const newest = stored()[0]?.secrets.at(-1);
    const outcome = await warehouse('revoke', '--id', 'ams-1', '--previous');

    expect(outcome.status).toBe(0);
    expect(stored()[0]?.secrets).toEqual([newest]);
  });

  it('rotate --overlap 0: the old secret stops at once', async () => {
    const outcome = await warehouse('rotate', '--id', 'rtm-1', '--overlap', '0');

    expect(outcome.stdout).toContain('only the new key signs from now on');
    expect(stored()[1]?.secrets).toEqual([secretIn(outcome.stdout)]);
  });

  it('remove: takes the warehouse out; an unknown id is exit code 1', async () => {
    expect((await warehouse('remove', '--id', 'rtm-1')).status).toBe(0);
    expect(stored().map((entry) => entry.id)).toEqual(['ams-1']);

    const again = await warehouse('remove', '--id', 'rtm-1');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('no warehouse rtm-1 in');
  });

  it('refuses a file that is not a registry, with exit code 1 and one line', async () => {
    const broken = join(folder, 'broken.json');
    writeFileSync(broken, '{"warehouse": []}');
    const outcome = await new Promise<Outcome>((resolve) =>
      execFile(
        process.execPath,
        ['scripts/warehouse.ts', 'list', '--file', broken],
        { cwd: PROJECT_ROOT, encoding: 'utf8' },
        (error, stdout, stderr) => resolve({ status: error ? Number(error.code) : 0, stdout, stderr }),
      ),
    );

    expect(outcome.status).toBe(1);
    expect(outcome.stderr.trim()).toBe(`npm run warehouse: ${broken} must hold {"warehouses": [ … ]}`);
  });
});
