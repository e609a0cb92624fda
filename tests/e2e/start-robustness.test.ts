import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../emulator/dynamodb-local.ts';
import { startStack } from '../../local/stack.ts';
import { DEVELOPMENT_SECRET } from '../../support/development-secret.ts';
import { PROJECT_ROOT } from '../../support/project.ts';
import { signedHeaders } from '../../support/signing.ts';
import { dynamoJvmsBelow, isAlive } from '../support/processes.ts';

// `npm start` where things go wrong or have to survive: a taken port, a restart with --persist.

interface Started {
  child: ChildProcess;
  output: () => string;
  /** DynamoDB Local JVMs seen as children of the process while it ran. */
  jvms: Set<number>;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function start(port: number, args: string[] = [], extraEnvironment: Record<string, string> = {}): Started {
  const { WEBHOOK_SECRETS: _inherited, ...environment } = process.env;
  const child = spawn(process.execPath, ['local/start.ts', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...environment, PORT: String(port), ...extraEnvironment },
    stdio: 'pipe',
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const jvms = new Set<number>();
  const watch = setInterval(() => {
    if (child.pid && child.exitCode === null) for (const pid of dynamoJvmsBelow(child.pid)) jvms.add(pid);
  }, 100);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))).finally(() => clearInterval(watch));
  return { child, output: () => output, jvms, exited };
}

async function ready(started: Started): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (!started.output().includes('Press Ctrl-C')) {
    if (started.child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(started: Started): Promise<number | null> {
  started.child.kill('SIGINT');
  return started.exited;
}

describe('npm start on a port that is taken', () => {
  it('exits with code 2, says which port, and leaves no DynamoDB Local behind', async () => {
    const port = await freePort();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const started = start(port);
      const code = await Promise.race([started.exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 30_000))]);
      expect(code).toBe(2);
      expect(started.output()).toContain(`Parcelcast cannot start: port ${port} on 127.0.0.1 is already in use`);
      expect([...started.jvms].filter(isAlive)).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});

describe('npm start -- --persist', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-persist-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps what was posted across a restart', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = start(port, ['--persist', '--data-dir', dataDir]);
    await ready(first);
    expect(first.output()).toContain(`Data is kept in ${join(dataDir, 'dynamodb')}`);
    const body = readFileSync(join(PROJECT_ROOT, 'events/shipment-created.json'), 'utf8');
    const posted = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', ...signedHeaders(DEVELOPMENT_SECRET, body) },
      body,
    });
    expect(posted.status).toBe(202);
    expect(await stop(first)).toBe(0);
    expect([...first.jvms].filter(isAlive)).toEqual([]);

    const second = start(port, ['--persist', '--data-dir', dataDir]);
    await ready(second);
    try {
      const shipment = await fetch(`${url}/v1/shipments/shp-1001`);
      expect(shipment.status).toBe(200);
      expect(await shipment.json()).toMatchObject({ shipmentId: 'shp-1001', status: 'created', timeline: [{ status: 'created' }] });
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 120_000);
});

describe('npm start killed without a chance to clean up', () => {
  it('takes its DynamoDB Local down with it even on SIGKILL', async () => {
    const started = start(await freePort());
    await ready(started);
    const jvms = dynamoJvmsBelow(started.child.pid as number);
    expect(jvms).toHaveLength(1);

    started.child.kill('SIGKILL');
    await started.exited;

    // The tether notices its stdin closing; give the JVM a bounded moment to go.
    const deadline = Date.now() + 10_000;
    while (jvms.some(isAlive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(jvms.filter(isAlive)).toEqual([]);
  });
});

describe('npm start without Java', () => {
  it('exits with code 2 and says how to get Java 17', async () => {
    // A PATH with only Node on it: no java to be found.
    const started = start(await freePort(), [], { PATH: dirname(process.execPath) });
    const code = await Promise.race([started.exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 30_000))]);
    expect(code).toBe(2);
    expect(started.output()).toContain('Parcelcast cannot start: Java 17+ is required to run DynamoDB Local');
    expect(started.jvms.size).toBe(0);
  });
});

describe('npm start with a WAREHOUSES_FILE it cannot use', () => {
  it.each<[string, Record<string, string>, string]>([
    ['missing', { WAREHOUSES_FILE: '/nonexistent/warehouses.json' }, 'cannot read WAREHOUSES_FILE /nonexistent/warehouses.json (ENOENT)'],
    [
      'given with WEBHOOK_SECRETS',
      { WAREHOUSES_FILE: '/nonexistent/warehouses.json', WEBHOOK_SECRETS: DEVELOPMENT_SECRET },
      'set WAREHOUSES_FILE or WEBHOOK_SECRETS, not both',
    ],
  ])('exits with code 2 and one line when it is %s, before starting anything', async (_, environment, says) => {
    const started = start(await freePort(), [], environment);
    const code = await Promise.race([started.exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 30_000))]);
    expect(code).toBe(2);
    expect(started.output()).toContain(`Parcelcast cannot start: ${says}`);
    expect(started.output()).not.toContain('whsec_');
    expect(started.jvms.size).toBe(0);
  });
});

describe('npm start while it is starting', () => {
  it('answers 503 problem+json with retry-after until every part is ready, then serves', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-starting-'));
    let early: Promise<Response> | undefined;
    const stack = await startStack({ port: 0, dataDir, onListening: (url) => (early = fetch(`${url}/health`)) });
    try {
      // The request went out as the gateway began to listen, seconds before DynamoDB Local was up.
      const answer = (await early) as Response;
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.headers.get('connection')).toBe('close');
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      expect(await answer.json()).toMatchObject({ title: 'Starting', status: 503 });
      expect((await fetch(`${stack.url}/health`)).status).toBe(200);
    } finally {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
