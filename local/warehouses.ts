import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { DEVELOPMENT_SECRET } from '../support/development-secret.ts';

/**
 * The local stack's warehouse registry (docs/warehouses.md, "Locally"): the warehouses of a
 * WAREHOUSES_FILE (`{"warehouses": [ … ]}`, the shape of one SSM parameter per element), or the
 * development warehouse `local`, served as the SSM parameters `<WarehouseRegistryPath>/<id>` the
 * functions read on AWS. The file is watched: `npm run warehouse -- add|rotate|revoke` reach the
 * running stack within the registry's cache time. Only the file's shape is checked here; each entry
 * is the functions' to accept or refuse (and log), exactly as on AWS.
 */

export interface RegistrySource {
  /** A WAREHOUSES_FILE. */
  file?: string;
  /** Registry entries given directly (tests, the benchmark). */
  entries?: unknown[];
  /** The development warehouse's secrets (WEBHOOK_SECRETS, comma-separated); the printed development secret by default. */
  webhookSecrets?: string;
}

export interface LocalRegistry {
  kind: 'file' | 'entries' | 'development';
  file?: string;
  /** The ids the entries give, in order. */
  ids(): string[];
  /** Parameter Store contents: one parameter per warehouse. */
  parameters(): Record<string, string>;
  /** Keeps `ssm` in step with the file from now on (nothing to follow for the other kinds). */
  follow(ssm: ParameterStore): void;
  stop(): void;
}

export interface ParameterStore {
  put(name: string, value: string): void;
  delete(name: string): void;
  names(): string[];
}

/** A WAREHOUSES_FILE that cannot be read or is not `{"warehouses": [ … ]}` with one entry per id. */
export class WarehousesFileError extends Error {
  override readonly name = 'WarehousesFileError';
}

export const DEVELOPMENT_WAREHOUSE = 'local';

/** The development warehouse: any source, both scopes, the template's default limits. */
export function developmentWarehouse(secrets: readonly string[]) {
  return { id: DEVELOPMENT_WAREHOUSE, sources: ['*'], secrets: [...secrets], scopes: ['shipments', 'wallets'] };
}

export function readWarehousesFile(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WarehousesFileError(
      `cannot read WAREHOUSES_FILE ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new WarehousesFileError(`WAREHOUSES_FILE ${file} is not JSON: ${(error as Error).message}`);
  }
  const warehouses = (parsed as { warehouses?: unknown } | null)?.warehouses;
  if (!Array.isArray(warehouses)) throw new WarehousesFileError(`WAREHOUSES_FILE ${file} must hold {"warehouses": [ … ]}`);
  return warehouses;
}

/** A parameter name part for each entry: its id when it can be one (the functions check the rest), else its position. */
function parameterNames(entries: readonly unknown[], where: string): string[] {
  const names = entries.map((entry, index) => {
    const id = (entry as { id?: unknown } | null)?.id;
    return typeof id === 'string' && /^[A-Za-z0-9_.-]{1,128}$/.test(id) ? id : `entry-${index + 1}`;
  });
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated) throw new WarehousesFileError(`${where} registers warehouse ${repeated} twice`);
  return names;
}

export function localRegistry(path: string, source: RegistrySource): LocalRegistry {
  const prefix = `${path.replace(/\/+$/, '')}/`;
  const kind = source.file ? 'file' : source.entries ? 'entries' : 'development';
  const load = (): unknown[] => {
    if (source.file) return readWarehousesFile(source.file);
    if (source.entries) return source.entries;
    const secrets = (source.webhookSecrets ?? DEVELOPMENT_SECRET)
      .split(',')
      .map((secret) => secret.trim())
      .filter(Boolean);
    return [developmentWarehouse(secrets)];
  };
  const toParameters = (entries: readonly unknown[]) => {
    const names = parameterNames(entries, source.file ? `WAREHOUSES_FILE ${source.file}` : 'the registry');
    return Object.fromEntries(entries.map((entry, index) => [`${prefix}${names[index]}`, JSON.stringify(entry)]));
  };
  let current = toParameters(load());
  let listener: (() => void) | undefined;

  return {
    kind,
    ...(source.file ? { file: source.file } : {}),
    ids: () => Object.keys(current).map((name) => name.slice(prefix.length)),
    parameters: () => ({ ...current }),
    follow(ssm) {
      if (!source.file || listener) return;
      // Polling, not fs.watch: editors and `npm run warehouse` replace the file by renaming over it.
      listener = () => {
        let next: Record<string, string>;
        try {
          next = toParameters(load());
        } catch (error) {
          console.warn(`${(error as Error).message}; the warehouses stay as they were`);
          return;
        }
        for (const name of ssm.names()) if (name.startsWith(prefix) && !(name in next)) ssm.delete(name);
        for (const [name, value] of Object.entries(next)) if (current[name] !== value) ssm.put(name, value);
        current = next;
        const ids = Object.keys(next).map((name) => name.slice(prefix.length));
        console.log(`WAREHOUSES_FILE changed: ${ids.length} warehouse(s): ${ids.join(', ')}`);
      };
      watchFile(source.file, { interval: 500 }, listener);
    },
    stop() {
      if (listener && source.file) unwatchFile(source.file, listener);
      listener = undefined;
    },
  };
}
