import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DeleteParameterCommand, PutParameterCommand, paginateGetParametersByPath, SSMClient } from '@aws-sdk/client-ssm';
import {
  assembleRegistry,
  parseRegistration,
  type RegistrationEntry,
  SCOPES,
  WAREHOUSE_ID,
  type WarehouseLimits,
} from '../functions/lib/domain/warehouse.ts';
import { parseCommandLine } from '../support/cli.ts';
import { PROJECT_ROOT } from '../support/project.ts';
import { eventsPath } from '../support/signing.ts';

/**
 * `npm run warehouse`: the operator's registry of warehouses (docs/warehouses.md). Locally it edits
 * the WAREHOUSES_FILE that `npm start` follows; against AWS (`--stage`, the usual AWS credentials
 * and region) it writes the SSM SecureString parameters the functions read, one per warehouse.
 * `add` and `rotate` print a new secret once; nothing else ever prints or logs one.
 */

export const USAGE = `usage: npm run warehouse -- <add|rotate|revoke|remove|list> [options]

Where the registry is (one of; default: the local file):
  --file <path>             a WAREHOUSES_FILE (default: $WAREHOUSES_FILE, else warehouses.json in npm start's
                            data folder: $PARCELCAST_DATA_DIR, else .local/)
  --stage <stage>           a deployed stage: SSM parameters under /parcelcast/<stage>/warehouses
  --registry-path <path>    the stack's WarehouseRegistryPath, when it is not /parcelcast/<stage>/warehouses

Verbs:
  add --id <id> --source <source> [--source …] [--scope shipments|wallets …] [--shared-wallet <id> …]
      [--requests-per-second N] [--burst N] [--notifications-per-day N]
                            registers a warehouse (scope: shipments unless given) and prints its
                            signing secret, once; a source or wallet ending in * is a prefix
  rotate --id <id> [--overlap 24h]
                            a new signing secret, printed once; the others stop working after the
                            overlap (s, m, h or d; 0 for at once)
  revoke --id <id> (--key <key id> | --previous)
                            removes one secret (key ids are in list), or every one but the newest, at once
  remove --id <id>          removes the warehouse
  list                      every warehouse: sources, scopes, limits and key ids (never a secret)

A change reaches the functions within the registry's cache time (WarehouseRegistryCacheSeconds, 300 s
by default on AWS; about a second under npm start).`;

const COMMAND = { name: 'npm run warehouse', usage: USAGE };
const VERBS = ['add', 'rotate', 'revoke', 'remove', 'list'] as const;
type Verb = (typeof VERBS)[number];

/** The limits an entry sets are checked by the schema; these only stand in where it sets none. */
const NO_DEFAULTS: WarehouseLimits = { requestsPerSecond: 1, burst: 1, notificationsPerDay: 0 };

type SecretEntry = RegistrationEntry['secrets'][number];

/** Where registrations are kept: a file, or SSM parameters. */
export interface RegistryStore {
  /** How to name it to the operator. */
  where: string;
  list(): Promise<RegistrationEntry[]>;
  /** Writes one entry; `create` refuses to overwrite one of the same id. */
  put(entry: RegistrationEntry, options: { create: boolean }): Promise<void>;
  remove(id: string): Promise<void>;
}

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
}

/** `whsec_` and 32 random bytes, base64: Standard Webhooks' format. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** A name for a secret that says nothing about it: `k_` and 8 hex digits of its SHA-256. */
export function keyId(secret: string): string {
  return `k_${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;
}

const secretOf = (entry: SecretEntry) => (typeof entry === 'string' ? entry : entry.secret);
const notAfterOf = (entry: SecretEntry) => (typeof entry === 'string' ? undefined : entry.notAfter);

/** `24h` → 86 400 000 ms; `0` → 0. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const match = /^(\d{1,6})([smhd])$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

export class FileStore implements RegistryStore {
  readonly where: string;
  private readonly file: string;

  constructor(file: string) {
    this.file = file;
    this.where = file;
  }

  async list(): Promise<RegistrationEntry[]> {
    if (!existsSync(this.file)) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (error) {
      throw new RegistryError(`${this.file} is not JSON: ${(error as Error).message}`);
    }
    const warehouses = (parsed as { warehouses?: unknown } | null)?.warehouses;
    if (!Array.isArray(warehouses)) throw new RegistryError(`${this.file} must hold {"warehouses": [ … ]}`);
    return warehouses as RegistrationEntry[];
  }

  async put(entry: RegistrationEntry, { create }: { create: boolean }): Promise<void> {
    const entries = await this.list();
    const index = entries.findIndex((candidate) => candidate.id === entry.id);
    if (index >= 0 && create) throw new RegistryError(`warehouse ${entry.id} is already registered in ${this.file}`);
    if (index >= 0) entries[index] = entry;
    else entries.push(entry);
    this.write(entries);
  }

  async remove(id: string): Promise<void> {
    this.write((await this.list()).filter((entry) => entry.id !== id));
  }

  /** Replaced in one rename, so `npm start` never reads half a file; readable by its owner only: it holds secrets. */
  private write(entries: RegistrationEntry[]): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ warehouses: entries }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.file);
  }
}

export class SsmStore implements RegistryStore {
  readonly where: string;
  private readonly client: SSMClient;
  private readonly path: string;

  constructor(client: SSMClient, path: string) {
    this.client = client;
    this.path = path.replace(/\/+$/, '');
    this.where = `SSM ${this.path}`;
  }

  async list(): Promise<RegistrationEntry[]> {
    const entries: RegistrationEntry[] = [];
    for await (const page of paginateGetParametersByPath(
      { client: this.client },
      { Path: this.path, Recursive: true, WithDecryption: true },
    )) {
      for (const parameter of page.Parameters ?? []) {
        try {
          entries.push(JSON.parse(String(parameter.Value)) as RegistrationEntry);
        } catch {
          throw new RegistryError(`${parameter.Name} is not JSON; fix or delete it with the AWS CLI`);
        }
      }
    }
    return entries;
  }

  async put(entry: RegistrationEntry, { create }: { create: boolean }): Promise<void> {
    try {
      await this.client.send(
        new PutParameterCommand({
          Name: `${this.path}/${entry.id}`,
          Type: 'SecureString',
          Value: JSON.stringify(entry),
          Overwrite: !create,
          Description: `Parcelcast warehouse ${entry.id} (npm run warehouse)`,
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ParameterAlreadyExists')
        throw new RegistryError(`warehouse ${entry.id} is already registered in ${this.where}`);
      throw error;
    }
  }

  async remove(id: string): Promise<void> {
    await this.client.send(new DeleteParameterCommand({ Name: `${this.path}/${id}` }));
  }
}

/** Checks an entry as the functions will, and against every other one (overlapping sources), before it is written. */
function checked(entry: RegistrationEntry, others: readonly RegistrationEntry[]): RegistrationEntry {
  const parsed = parseRegistration(entry, NO_DEFAULTS);
  if (!parsed.ok) {
    throw new RegistryError(`warehouse ${entry.id}: ${parsed.problems.map(({ path, message }) => `${path} ${message}`).join('; ')}`);
  }
  const registrations = others.flatMap((other) => {
    const result = parseRegistration(other, NO_DEFAULTS);
    return result.ok && other.id !== entry.id ? [result.registration] : [];
  });
  const { refused } = assembleRegistry([parsed.registration, ...registrations]);
  const clash = refused.find(({ id }) => id === entry.id);
  if (clash) throw new RegistryError(`warehouse ${entry.id}: ${clash.reason}`);
  return entry;
}

export interface Output {
  line(text: string): void;
}

export interface VerbOptions {
  id?: string;
  sources?: string[];
  scopes?: string[];
  sharedWallets?: string[];
  requestsPerSecond?: number;
  burst?: number;
  notificationsPerDay?: number;
  overlapMs?: number;
  key?: string;
  previous?: boolean;
}

/** Runs one verb against `store`; throws RegistryError for what the operator must fix. */
export async function runVerb(verb: Verb, options: VerbOptions, store: RegistryStore, output: Output, now = new Date()): Promise<void> {
  const entries = await store.list();
  const find = (id: string) => {
    const entry = entries.find((candidate) => candidate.id === id);
    if (!entry) throw new RegistryError(`no warehouse ${id} in ${store.where}`);
    return entry;
  };

  if (verb === 'list') {
    if (entries.length === 0) output.line(`no warehouses in ${store.where}`);
    for (const entry of entries) {
      const limits = Object.entries(entry.limits ?? {}).map(([name, value]) => `${name} ${value}`);
      output.line(`${entry.id}  sources ${entry.sources.join(' ')}  scopes ${entry.scopes.join(' ')}`);
      if (entry.sharedWallets?.length) output.line(`  shared wallets ${entry.sharedWallets.join(' ')}`);
      output.line(`  limits ${limits.length ? limits.join(', ') : 'the deployment defaults'}`);
      if (entry.secrets.length === 0) output.line('  no signing key: every request is refused');
      for (const secret of entry.secrets) {
        const notAfter = notAfterOf(secret);
        const expired = notAfter !== undefined && Date.parse(notAfter) <= now.getTime();
        output.line(`  key ${keyId(secretOf(secret))}${notAfter ? ` ${expired ? 'expired' : 'valid until'} ${notAfter}` : ''}`);
      }
    }
    return;
  }

  const id = options.id as string;
  if (verb === 'add') {
    const secret = newSecret();
    const limits = {
      ...(options.requestsPerSecond !== undefined ? { requestsPerSecond: options.requestsPerSecond } : {}),
      ...(options.burst !== undefined ? { burst: options.burst } : {}),
      ...(options.notificationsPerDay !== undefined ? { notificationsPerDay: options.notificationsPerDay } : {}),
    };
    const entry = checked(
      {
        id,
        sources: options.sources ?? [],
        secrets: [secret],
        scopes: (options.scopes?.length ? options.scopes : ['shipments']) as RegistrationEntry['scopes'],
        ...(options.sharedWallets?.length ? { sharedWallets: options.sharedWallets } : {}),
        ...(Object.keys(limits).length ? { limits } : {}),
      },
      entries,
    );
    await store.put(entry, { create: true });
    output.line(`Registered warehouse ${id} in ${store.where}; it posts to ${eventsPath(id)}.`);
    printSecret(output, secret);
    return;
  }

  const entry = find(id);
  if (verb === 'remove') {
    await store.remove(id);
    output.line(`Removed warehouse ${id} from ${store.where}: its requests are refused once the functions read the registry again.`);
    return;
  }

  if (verb === 'rotate') {
    const secret = newSecret();
    const ends = new Date(now.getTime() + (options.overlapMs ?? 0));
    // Keys already past their end go; the others end with the overlap, or sooner if they were to.
    const kept =
      options.overlapMs === 0
        ? []
        : entry.secrets
            .filter((key) => notAfterOf(key) === undefined || Date.parse(notAfterOf(key) as string) > now.getTime())
            .map((key): SecretEntry => {
              const notAfter = notAfterOf(key);
              const end = notAfter !== undefined && Date.parse(notAfter) < ends.getTime() ? notAfter : ends.toISOString();
              return { secret: secretOf(key), notAfter: end };
            });
    await store.put(checked({ ...entry, secrets: [...kept, secret] }, entries), { create: false });
    output.line(
      kept.length === 0
        ? `Rotated warehouse ${id}: only the new key signs from now on.`
        : `Rotated warehouse ${id}: ${kept.map((key) => keyId(secretOf(key))).join(', ')} stay valid until ${ends.toISOString()}.`,
    );
    printSecret(output, secret);
    return;
  }

  // revoke
  const keys = entry.secrets;
  const gone = options.previous ? keys.slice(0, -1) : keys.filter((key) => keyId(secretOf(key)) === options.key);
  if (gone.length === 0) {
    throw new RegistryError(
      options.previous
        ? `warehouse ${id} has no key but its newest`
        : `warehouse ${id} has no key ${options.key} (npm run warehouse -- list)`,
    );
  }
  const left = keys.filter((key) => !gone.includes(key));
  await store.put(checked({ ...entry, secrets: left }, entries), { create: false });
  output.line(`Revoked ${gone.map((key) => keyId(secretOf(key))).join(', ')} of warehouse ${id}.`);
  if (left.length === 0) output.line(`Warehouse ${id} has no signing key left: every request it sends is refused until you rotate.`);
}

function printSecret(output: Output, secret: string): void {
  output.line(`Signing secret (key ${keyId(secret)}), shown this once: give it to the warehouse over a secure channel.`);
  output.line(secret);
}

function number(fail: (message: string) => never, name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || (integer && !Number.isInteger(parsed)))
    fail(`--${name} must be ${integer ? 'a whole' : 'a'} number, got ${value}`);
  return parsed;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals, fail } = parseCommandLine(COMMAND, {
    args: argv,
    allowPositionals: true,
    options: {
      file: { type: 'string' },
      stage: { type: 'string' },
      'registry-path': { type: 'string' },
      id: { type: 'string' },
      source: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      'shared-wallet': { type: 'string', multiple: true },
      'requests-per-second': { type: 'string' },
      burst: { type: 'string' },
      'notifications-per-day': { type: 'string' },
      overlap: { type: 'string' },
      key: { type: 'string' },
      previous: { type: 'boolean' },
    },
  });
  const [first, ...extra] = positionals;
  const verb = first ?? fail(`name a verb: ${VERBS.join(', ')}`);
  if (!(VERBS as readonly string[]).includes(verb)) fail(`unknown verb ${verb}: use ${VERBS.join(', ')}`);
  if (extra.length > 0) fail(`unexpected argument ${extra[0]}`);
  if (values.file && (values.stage || values['registry-path']))
    fail('--file is the local registry; --stage and --registry-path name a deployed one: choose one');
  if (verb !== 'list' && !values.id) fail(`${verb} needs --id`);
  if (values.id && !WAREHOUSE_ID.test(values.id)) fail(`--id must be 1–63 lower-case letters, digits, ".", "_" or "-", got ${values.id}`);
  const allowed: Record<Verb, string[]> = {
    add: ['source', 'scope', 'shared-wallet', 'requests-per-second', 'burst', 'notifications-per-day'],
    rotate: ['overlap'],
    revoke: ['key', 'previous'],
    remove: [],
    list: [],
  };
  const verbOptions = [
    'source',
    'scope',
    'shared-wallet',
    'requests-per-second',
    'burst',
    'notifications-per-day',
    'overlap',
    'key',
    'previous',
  ];
  for (const name of verbOptions) {
    if ((values as Record<string, unknown>)[name] !== undefined && !allowed[verb as Verb].includes(name))
      fail(`--${name} is not an option of ${verb}`);
  }
  if (verb === 'add' && !values.source?.length) fail('add needs at least one --source');
  for (const scope of values.scope ?? [])
    if (!(SCOPES as readonly string[]).includes(scope)) fail(`--scope must be ${SCOPES.join(' or ')}, got ${scope}`);
  if (verb === 'revoke' && Boolean(values.key) === Boolean(values.previous)) fail('revoke needs one of --key <key id> or --previous');
  const overlapMs = verb === 'rotate' ? parseDuration(values.overlap ?? '24h') : undefined;
  if (verb === 'rotate' && overlapMs === undefined)
    fail(`--overlap must be a whole number of s, m, h or d (e.g. 24h), or 0; got ${values.overlap}`);

  const registryPath = values['registry-path'] ?? (values.stage ? `/parcelcast/${values.stage}/warehouses` : undefined);
  if (values.stage !== undefined && !/^[a-z0-9-]+$/.test(values.stage))
    fail(`--stage must be lower-case letters, digits and "-", got ${values.stage}`);
  if (registryPath !== undefined && !/^\/[a-zA-Z0-9_.-]+(\/[a-zA-Z0-9_.-]+)*$/.test(registryPath))
    fail(`--registry-path must be an SSM path such as /parcelcast/dev/warehouses, got ${registryPath}`);
  const store: RegistryStore = registryPath
    ? new SsmStore(new SSMClient({}), registryPath)
    : new FileStore(
        resolve(
          values.file ||
            process.env.WAREHOUSES_FILE ||
            join(process.env.PARCELCAST_DATA_DIR || join(PROJECT_ROOT, '.local'), 'warehouses.json'),
        ),
      );

  const options: VerbOptions = {
    ...(values.id ? { id: values.id } : {}),
    ...(values.source ? { sources: values.source } : {}),
    ...(values.scope ? { scopes: values.scope } : {}),
    ...(values['shared-wallet'] ? { sharedWallets: values['shared-wallet'] } : {}),
    ...(overlapMs !== undefined ? { overlapMs } : {}),
    ...(values.key ? { key: values.key } : {}),
    ...(values.previous ? { previous: true } : {}),
  };
  const requestsPerSecond = number(fail, 'requests-per-second', values['requests-per-second'], false);
  const burst = number(fail, 'burst', values.burst, true);
  const notificationsPerDay = number(fail, 'notifications-per-day', values['notifications-per-day'], true);
  if (requestsPerSecond !== undefined) options.requestsPerSecond = requestsPerSecond;
  if (burst !== undefined) options.burst = burst;
  if (notificationsPerDay !== undefined) options.notificationsPerDay = notificationsPerDay;

  try {
    await runVerb(verb as Verb, options, store, { line: (text) => console.log(text) });
  } catch (error) {
    // What the operator must fix (a clash, an unknown id) or what AWS said (no credentials, no access): one line, exit 1.
    const message =
      error instanceof RegistryError ? error.message : `${store.where}: ${(error as Error).name}: ${(error as Error).message}`;
    console.error(`npm run warehouse: ${message}`);
    process.exitCode = 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
