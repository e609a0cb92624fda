import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../support/project.ts';

/** `npm start` run as a child process, as a user runs it. */
export interface StartedStack {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far, stdout and stderr. */
  output: () => string;
  /** SIGINT, as Ctrl-C; SIGKILL if it has not exited within `graceMs`. */
  stop: (graceMs?: number) => Promise<void>;
}

/**
 * A newcomer's shell: none of the test run's own settings (its secrets, its log level, its
 * silenced Powertools), so what the child prints and does is what a user would see.
 */
export function newcomerEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== 'WEBHOOK_SECRETS' && name !== 'LOG_LEVEL' && !name.startsWith('POWERTOOLS_')),
  );
}

/**
 * Starts `local/start.ts` with `env` over a newcomer's environment, and waits until it says it is
 * ready. PORT=0 (unless `env` names one): the stack takes a free port as it listens and prints its
 * address, so no parallel test can take the port between its choice and its use.
 */
export async function startNpmStart(env: Record<string, string>, upWithinMs = 60_000): Promise<StartedStack> {
  const child = spawn(process.execPath, ['local/start.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...newcomerEnvironment(), PORT: '0', ...env },
    stdio: 'pipe',
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const deadline = Date.now() + upWithinMs;
  while (!output.includes('Press Ctrl-C')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop(1000);
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /Parcelcast is running on (http:\/\/\S+)/.exec(output)?.[1];
  if (!url) {
    await stop(1000);
    throw new Error(`npm start did not say where it runs:\n${output}`);
  }
  return { child, url, output: () => output, stop };
}

/** `npm start` with a data folder of its own, removed when it stops: each e2e file's stack, apart from the others'. */
export async function startNpmStartInTempDir(prefix: string, env: Record<string, string>): Promise<StartedStack> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  try {
    const stack = await startNpmStart({ ...env, PARCELCAST_DATA_DIR: dataDir });
    return {
      ...stack,
      async stop(graceMs) {
        await stack.stop(graceMs);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** A message the local outbox recorded. */
export interface Delivered {
  channel: string;
  recipient: string;
  text: string;
  subject?: string;
  time?: string;
}

/** What the stack at `url` sent to one customer's phone or email, in the order sent. */
export async function receivedBy(url: string, contact: { phone: string; email: string }): Promise<Delivered[]> {
  const all = (await (await fetch(`${url}/local/outbox`)).json()) as Delivered[];
  return all.filter((entry) => entry.recipient === contact.phone || entry.recipient === contact.email);
}

/** Polls `check` every 200 ms until it holds or `timeoutMs` passes; the caller asserts what it then finds. */
export async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
}
