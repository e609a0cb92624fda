import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../support/project.ts';

// Every `npm run` script answers a usage mistake the same way (support/cli.ts): the mistake in one
// line, then the usage, exit code 2, no stack trace. Nothing here reaches a server or Java.

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string[];
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script, ...args],
      { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) =>
        resolve({ status: error ? ((error.code as number | undefined) ?? null) : 0, stdout, stderr: stderr.trimEnd().split('\n') }),
    );
  });
}

const mistakes: [name: string, script: string, args: string[], says: string, env?: NodeJS.ProcessEnv][] = [
  ['npm run post', 'scripts/post-event.ts', ['--bogus', 'events/shipment-created.json'], "Unknown option '--bogus'"],
  ['npm run post', 'scripts/post-event.ts', [], 'name at least one event file'],
  ['npm run post', 'scripts/post-event.ts', ['events/shipment-created.json', '--url'], "Option '--url <value>' argument missing"],
  ['npm run post', 'scripts/post-event.ts', ['events/no-such-event.json'], 'cannot read events/no-such-event.json (ENOENT)'],
  ['npm run simulate', 'local/simulate.ts', ['--bogus'], "Unknown option '--bogus'"],
  ['npm run simulate', 'local/simulate.ts', ['--shipments'], "Option '--shipments <value>' argument missing"],
  ['npm run simulate', 'local/simulate.ts', ['--shipments', 'many'], '--shipments must be an integer between 0 and 100000, got many'],
  ['npm run simulate', 'local/simulate.ts', ['--time-zone', 'Mars/Olympus'], '--time-zone must be an IANA time zone'],
  [
    'npm run simulate',
    'local/simulate.ts',
    ['--hostile', 'rtm-9'],
    '--hostile plays a warehouse of a registry',
    { PARCELCAST_DATA_DIR: '/nonexistent', WAREHOUSES_FILE: '' },
  ],
  [
    'npm run simulate',
    'local/simulate.ts',
    ['--warehouses-file', '/nonexistent/w.json'],
    'cannot read WAREHOUSES_FILE /nonexistent/w.json (ENOENT)',
  ],
  ['npm run bench', 'bench/run.ts', ['--bogus'], "Unknown option '--bogus'"],
  ['npm run bench', 'bench/run.ts', ['quick'], "Unexpected argument 'quick'"],
  ['npm run bench', 'bench/run.ts', [], 'BENCH_EVENTS must be a whole number of at least 1, got lots', { BENCH_EVENTS: 'lots' }],
  ['npm run replay', 'scripts/replay-stream-failures.ts', ['--bogus'], "Unknown option '--bogus'"],
  ['npm run replay', 'scripts/replay-stream-failures.ts', ['--queue', 'https://sqs.example/q'], '--function is required'],
  ['npm run replay', 'scripts/replay-stream-failures.ts', ['--function', 'f'], '--queue is required'],
  ['npm run suppression', 'scripts/suppression.ts', [], 'a command is required: list or clear'],
  ['npm run suppression', 'scripts/suppression.ts', ['forget'], 'unknown command forget: list or clear'],
  [
    'npm run suppression',
    'scripts/suppression.ts',
    ['clear', 'fax', 'a@b.example', '--table', 't'],
    'the channel must be sms or email, got fax',
  ],
  ['npm run suppression', 'scripts/suppression.ts', ['clear', 'email', '--table', 't'], 'clear takes the contact or --digest, one of them'],
  ['npm run suppression', 'scripts/suppression.ts', ['list', '--tabel', 't'], "Unknown option '--tabel'"],
  ['npm run diagram', 'scripts/diagram.ts', ['--chek'], "Unknown option '--chek'"],
  ['npm run check:template', 'scripts/template-rules.ts', ['--strict'], "Unknown option '--strict'"],
  ['npm run build', 'scripts/build.ts', ['--watch'], "Unknown option '--watch'"],
  ['npm run openapi', 'scripts/openapi.ts', ['out.json'], "Unexpected argument 'out.json'"],
  ['npm run warehouse', 'scripts/warehouse.ts', [], 'name a verb: add, rotate, revoke, remove, list'],
  ['npm run warehouse', 'scripts/warehouse.ts', ['enroll'], 'unknown verb enroll'],
  ['npm run warehouse', 'scripts/warehouse.ts', ['add', '--source', '//warehouse/x'], 'add needs --id'],
  ['npm run warehouse', 'scripts/warehouse.ts', ['add', '--id', 'ams-1'], 'add needs at least one --source'],
  ['npm run warehouse', 'scripts/warehouse.ts', ['add', '--id', 'AMS 1', '--source', 's'], '--id must be 1–63 lower-case letters'],
  [
    'npm run warehouse',
    'scripts/warehouse.ts',
    ['add', '--id', 'a', '--source', 's', '--scope', 'refunds'],
    '--scope must be shipments or wallets',
  ],
  ['npm run warehouse', 'scripts/warehouse.ts', ['add', '--id', 'a', '--source', 's', '--burst', '1.5'], '--burst must be a whole number'],
  [
    'npm run warehouse',
    'scripts/warehouse.ts',
    ['rotate', '--id', 'a', '--overlap', 'a day'],
    '--overlap must be a whole number of s, m, h or d',
  ],
  ['npm run warehouse', 'scripts/warehouse.ts', ['rotate', '--id', 'a', '--source', 's'], '--source is not an option of rotate'],
  ['npm run warehouse', 'scripts/warehouse.ts', ['revoke', '--id', 'a'], 'revoke needs one of --key <key id> or --previous'],
  ['npm run warehouse', 'scripts/warehouse.ts', ['list', '--file', 'w.json', '--stage', 'dev'], '--file is the local registry'],
  ['npm run warehouse', 'scripts/warehouse.ts', ['list', '--stage', 'Prod!'], '--stage must be lower-case letters'],
];

describe.concurrent('usage mistakes on the command line', () => {
  for (const [name, script, args, says, env] of mistakes) {
    it(`${name} ${args.join(' ')}${env ? ` (${Object.keys(env).join(', ')})` : ''}: ${says}`, async () => {
      const outcome = await run(script, args, env);
      expect(outcome.stderr[0]).toContain(`${name}: ${says}`);
      expect(outcome.stderr[1]).toMatch(/^usage: /);
      expect(outcome.stderr.join('\n')).not.toMatch(/^\s+at /m);
      expect(outcome.stdout).toBe('');
      expect(outcome.status).toBe(2);
    });
  }

  it('--help prints the usage on stdout and exits 0', async () => {
    const outcome = await run('local/simulate.ts', ['--help']);
    expect(outcome.stdout).toMatch(/^usage: npm run simulate -- \[--samples\]/);
    expect(outcome.status).toBe(0);
  });
});
