import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import {
  assembleRegistry,
  parseRegistration,
  type Registration,
  type RegistrationProblem,
  type WarehouseLimits,
  type WarehouseRegistry,
} from '#domain/warehouse.ts';

/**
 * The warehouse registries (docs/warehouses.md). On AWS: one SSM SecureString per warehouse under
 * a path, read by path and cached by Powertools Parameters, so adding, rotating or revoking reaches
 * every container within the cache time. Inline: the WEBHOOK_SECRETS shorthand for one development
 * warehouse. An entry that does not parse is reported (never with its values: they hold secrets)
 * and that warehouse is refused; the others keep working.
 */

/** Told about each entry the registry refuses, with the reasons but never the values. */
export type RefusedEntry = (entry: { name: string; problems: RegistrationProblem[] }) => void;

export class SsmWarehouseRegistry implements WarehouseRegistry {
  private readonly provider: SSMProvider;
  private readonly path: string;
  private readonly maxAgeSeconds: number;
  private readonly defaults: WarehouseLimits;
  private readonly refused: RefusedEntry;
  /** The parsed registry, kept as long as Powertools answers the same cached values. */
  private parsed: { values: Record<string, unknown>; registry: Map<string, Registration> } | undefined;

  constructor(client: SSMClient, options: { path: string; maxAgeSeconds: number; defaults: WarehouseLimits; refused: RefusedEntry }) {
    this.provider = new SSMProvider({ awsSdkV3Client: client });
    this.path = options.path.replace(/\/+$/, '');
    this.maxAgeSeconds = options.maxAgeSeconds;
    this.defaults = options.defaults;
    this.refused = options.refused;
  }

  async registrations(): Promise<ReadonlyMap<string, Registration>> {
    // Names come back relative to the path: `ams-1` for /parcelcast/dev/warehouses/ams-1.
    let values: Record<string, unknown>;
    try {
      values = (await this.provider.getMultiple(this.path, { recursive: true, decrypt: true, maxAge: this.maxAgeSeconds })) ?? {};
    } catch (error) {
      // Powertools wraps the SDK's error; the SDK's own (a throttling that outlasted its retries) says
      // what the client should be told: come back soon (503), or our fault (500).
      throw error instanceof Error && error.cause instanceof Error ? error.cause : error;
    }
    if (this.parsed?.values !== values) this.parsed = { values, registry: this.parse(values) };
    return this.parsed.registry;
  }

  private parse(values: Record<string, unknown>): Map<string, Registration> {
    const registrations: Registration[] = [];
    for (const [name, value] of Object.entries(values)) {
      const parameter = `${this.path}/${name}`;
      const parsed = parseRegistration(parseJson(value), this.defaults);
      if (!parsed.ok) {
        this.refused({ name: parameter, problems: parsed.problems });
      } else if (parsed.registration.warehouse.id !== name) {
        // A copy of another warehouse's entry under a new name must not register it twice.
        this.refused({ name: parameter, problems: [{ path: 'id', message: `must be the parameter's last part, "${name}"` }] });
      } else {
        registrations.push(parsed.registration);
      }
    }
    const registry = assembled(registrations, (id) => `${this.path}/${id}`, this.refused);
    if (registry.size === 0) {
      this.refused({ name: this.path, problems: [{ path: '(registry)', message: 'holds no valid warehouse: every request is refused' }] });
    }
    return registry;
  }
}

/** The WEBHOOK_SECRETS shorthand: one development warehouse `local`, any source, both scopes. */
export function developmentRegistry(secretList: string, defaults: WarehouseLimits, refused: RefusedEntry): WarehouseRegistry {
  const entry = { id: 'local', sources: ['*'], secrets: parseSecretList(secretList), scopes: ['shipments', 'wallets'] };
  const parsed = parseRegistration(entry, defaults);
  const registrations = parsed.ok ? [parsed.registration] : [];
  if (!parsed.ok) refused({ name: 'WEBHOOK_SECRETS', problems: parsed.problems });
  const registry = assembled(registrations, () => 'WEBHOOK_SECRETS', refused);
  return { registrations: async () => registry };
}

/** Parses `WEBHOOK_SECRETS`-style lists: comma-separated `whsec_…` values. */
export function parseSecretList(list: string): string[] {
  return list
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret.length > 0);
}

function assembled(registrations: Registration[], nameOf: (id: string) => string, refused: RefusedEntry): Map<string, Registration> {
  const { registry, refused: overlapping } = assembleRegistry(registrations);
  for (const { id, reason } of overlapping) refused({ name: nameOf(id), problems: [{ path: 'sources', message: reason }] });
  return registry;
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined; // reported by the schema as "expected object"
  }
}

/**
 * The registry a function's settings name: the WEBHOOK_SECRETS shorthand (one development
 * warehouse) when set, else the SSM path; none when neither is set.
 */
export function registryFor(
  settings: {
    WEBHOOK_SECRETS?: string | undefined;
    WAREHOUSE_REGISTRY_PATH?: string | undefined;
    WAREHOUSE_REGISTRY_CACHE_SECONDS: number;
  },
  options: { ssm: () => SSMClient; defaults: WarehouseLimits; refused: RefusedEntry },
): WarehouseRegistry | undefined {
  if (settings.WEBHOOK_SECRETS) return developmentRegistry(settings.WEBHOOK_SECRETS, options.defaults, options.refused);
  if (!settings.WAREHOUSE_REGISTRY_PATH) return undefined;
  return new SsmWarehouseRegistry(options.ssm(), {
    path: settings.WAREHOUSE_REGISTRY_PATH,
    maxAgeSeconds: settings.WAREHOUSE_REGISTRY_CACHE_SECONDS,
    defaults: options.defaults,
    refused: options.refused,
  });
}
