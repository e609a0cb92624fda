import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingLine, TOOLS } from '../../scripts/preflight.ts';
import { PROJECT_ROOT } from '../../support/project.ts';

// The preflight `npm test` starts with, run as npm runs it, on PATHs that hide tools.
const scratch = mkdtempSync(join(tmpdir(), 'parcelcast-preflight-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A folder for PATH holding the project's node and the given scripts. */
function binFolder(name: string, scripts: Record<string, string> = {}): string {
  const folder = join(scratch, name);
  mkdirSync(folder, { recursive: true });
  symlinkSync(process.execPath, join(folder, 'node'));
  for (const [command, body] of Object.entries(scripts)) {
    writeFileSync(join(folder, command), `#!/bin/sh\n${body}\n`);
    chmodSync(join(folder, command), 0o755);
  }
  return folder;
}

function preflight(env: NodeJS.ProcessEnv) {
  const result = spawnSync(process.execPath, ['scripts/preflight.ts'], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, stdout: result.stdout, stderrLines: result.stderr.trim().split('\n') };
}

const fakeChromium = join(binFolder('chromium', { chromium: 'exit 0' }), 'chromium');
const line = (tool: (typeof TOOLS)[keyof typeof TOOLS], found?: string) => missingLine({ tool, ...(found ? { found } : {}) });

describe('scripts/preflight.ts', () => {
  it('names every missing tool and its install command, one line each, and exits 1', () => {
    const result = preflight({ PATH: binFolder('node-only'), CHROMIUM_PATH: join(scratch, 'no-chromium') });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`Node ${process.version}`);
    expect(result.stderrLines.slice(1)).toEqual([
      line(TOOLS.java),
      line({ ...TOOLS.chromium, name: `Chromium at ${join(scratch, 'no-chromium')}` }),
      line(TOOLS.python),
      line(TOOLS.cfnLint),
      line(TOOLS.samTranslator),
      line(TOOLS.moto),
      line(TOOLS.awsCli),
      line(TOOLS.openssl),
    ]);
    expect(result.stderrLines.join('\n')).not.toMatch(/^\s+at /m);
  });

  it('tells an old Java and a Python without the packages apart from missing ones', () => {
    const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
    expect(python, 'python3 is needed to run this test').not.toBe('');
    const folder = binFolder('old-java-bare-python', {
      java: `echo 'openjdk version "11.0.2" 2019-01-15' >&2`,
      // -S: no site-packages, so none of the Python tools can be found.
      python3: `exec '${python}' -S "$@"`,
    });
    const result = preflight({ PATH: folder, CHROMIUM_PATH: fakeChromium });
    expect(result.status).toBe(1);
    expect(result.stderrLines.slice(1)).toEqual([
      line(TOOLS.java, 'Java 11'),
      line(TOOLS.cfnLint),
      line(TOOLS.samTranslator),
      line(TOOLS.moto),
      line(TOOLS.awsCli),
      line(TOOLS.openssl),
    ]);
  });

  it('passes quietly on this machine, where the tests are about to run', () => {
    const result = preflight({ ...process.env, CHROMIUM_PATH: fakeChromium });
    expect(result.stderrLines).toEqual(['']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^preflight: Java \d+, /m);
  });

  it('is what the README lists as prerequisites, word for word', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const setUp = readme.split('## Set up on a fresh machine')[1]?.split('\n## ')[0] ?? '';
    const listed = setUp.split('\n').filter((text) => text.startsWith('- '));
    expect(listed).toEqual(Object.values(TOOLS).map((tool) => `- ${tool.name}, for ${tool.neededFor}: \`${tool.install}\``));
  });
});
