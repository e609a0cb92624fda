import { type ChildProcess, spawn } from 'node:child_process';
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
