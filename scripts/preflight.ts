import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * `npm test` runs this first: every tool outside npm that some test needs, checked once, so a
 * machine without one hears in one line what to install instead of reading a dozen stack traces.
 * The README's prerequisites list is this list (a test holds them together).
 *
 * The Python versions are the ones the tests pass with; cfn-lint's findings and the SAM schema
 * follow the installed versions.
 */

export interface Tool {
  name: string;
  neededFor: string;
  install: string;
}

export const CHROMIUM_DEFAULT = '/usr/bin/chromium';

/** The Chromium the browser test drives: Debian's, or CHROMIUM_PATH. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env) => env.CHROMIUM_PATH ?? CHROMIUM_DEFAULT;

export const TOOLS = {
  java: { name: 'Java 17+', neededFor: 'DynamoDB Local', install: 'apt-get install openjdk-17-jre-headless' },
  chromium: { name: `Chromium at ${CHROMIUM_DEFAULT}`, neededFor: "the dashboard's browser test", install: 'apt-get install chromium' },
  python: { name: 'Python 3', neededFor: 'the template and deploy rehearsal tests', install: 'apt-get install python3-pip' },
  cfnLint: { name: 'cfn-lint', neededFor: 'the template tests', install: 'python3 -m pip install cfn-lint==1.51.0' },
  samTranslator: {
    name: 'aws-sam-translator',
    neededFor: 'the template tests and rules',
    install: 'python3 -m pip install aws-sam-translator==1.110.0',
  },
  moto: { name: 'moto (moto_server)', neededFor: 'the deploy rehearsal', install: "python3 -m pip install 'moto[server]==5.2.1'" },
  // The rehearsal runs the deployment guide's operator steps as written: bash, openssl and the AWS CLI.
  awsCli: { name: 'AWS CLI (aws)', neededFor: "the deploy rehearsal's operator steps", install: 'python3 -m pip install awscli' },
  openssl: { name: 'OpenSSL (openssl)', neededFor: "the deploy rehearsal's operator steps", install: 'apt-get install openssl' },
} satisfies Record<string, Tool>;

type ToolId = keyof typeof TOOLS;

interface Run {
  ok: boolean;
  output: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 10_000, encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ ok: !error, output: `${stdout}${stderr}` }),
    );
  });
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((directory) => directory !== '' && isExecutable(join(directory, command)));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

// find_spec looks a package up without importing it: importing moto alone takes a second.
const PYTHON_PROBE = `
import importlib.util, json, sys
print(json.dumps({"version": sys.version.split()[0], "modules": {name: importlib.util.find_spec(name) is not None for name in ("cfnlint", "samtranslator", "moto")}}))
`;

export interface Preflight {
  /** `found` names what is there but will not do (an older Java). */
  missing: { tool: Tool; found?: string }[];
  found: string[];
}

/** What is missing, in TOOLS order; `found` says what was there, for the log. */
export async function preflight(env: NodeJS.ProcessEnv = process.env): Promise<Preflight> {
  const [java, python] = await Promise.all([run('java', ['-version'], env), run('python3', ['-c', PYTHON_PROBE], env)]);
  const missing = new Map<ToolId, { found?: string; name?: string }>();
  const found: string[] = [];

  const javaVersion = /version "(\d+)(?:\.(\d+))?/.exec(java.output);
  const javaMajor = javaVersion ? (javaVersion[1] === '1' ? Number(javaVersion[2]) : Number(javaVersion[1])) : undefined;
  if (!java.ok || javaMajor === undefined) missing.set('java', {});
  else if (javaMajor < 17) missing.set('java', { found: `Java ${javaMajor}` });
  else found.push(`Java ${javaMajor}`);

  const chromium = chromiumPath(env);
  if (isExecutable(chromium)) found.push(chromium);
  else missing.set('chromium', { name: `Chromium at ${chromium}` });

  let probe: { version: string; modules: Record<string, boolean> } | undefined;
  try {
    probe = python.ok ? JSON.parse(python.output) : undefined;
  } catch {
    probe = undefined;
  }
  if (!probe) missing.set('python', {});
  else found.push(`Python ${probe.version}`);
  const modules = probe?.modules ?? {};
  // The tests run the commands from PATH and read the packages through python3: both must be there.
  if (!(modules.cfnlint && onPath('cfn-lint', env))) missing.set('cfnLint', {});
  if (!modules.samtranslator) missing.set('samTranslator', {});
  if (!(modules.moto && onPath('moto_server', env))) missing.set('moto', {});
  if (!onPath('aws', env)) missing.set('awsCli', {});
  if (!onPath('openssl', env)) missing.set('openssl', {});
  for (const id of ['cfnLint', 'samTranslator', 'moto', 'awsCli', 'openssl'] as const) if (!missing.has(id)) found.push(TOOLS[id].name);

  return {
    missing: (Object.keys(TOOLS) as ToolId[]).flatMap((id) => {
      const gap = missing.get(id);
      return gap ? [{ tool: { ...TOOLS[id], name: gap.name ?? TOOLS[id].name }, ...(gap.found ? { found: gap.found } : {}) }] : [];
    }),
    found,
  };
}

export function missingLine({ tool, found }: Preflight['missing'][number]): string {
  return `  ${tool.name}${found ? ` (found ${found})` : ''}, for ${tool.neededFor}: ${tool.install}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`Node ${process.version}`);
  const started = performance.now();
  const { missing, found } = await preflight();
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  if (missing.length === 0) {
    console.log(`preflight: ${found.join(', ')} (${seconds} s)`);
  } else {
    console.error(`npm test needs ${missing.length === 1 ? 'a tool' : 'tools'} this machine does not have; install and rerun:`);
    for (const entry of missing) console.error(missingLine(entry));
    process.exitCode = 1;
  }
}
