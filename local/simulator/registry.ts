import { type Attack, hostileAttacks, type Victim } from './hostile.ts';
import { generateTraffic, type Traffic, type TrafficOptions } from './traffic.ts';

/**
 * The simulator playing the warehouses of a registry file (`{"warehouses": [ … ]}`, as npm start
 * reads it): each posts its own day of traffic, under a source it owns, signed with its newest key,
 * to its own path; one of them may play hostile. The file's shape is read loosely here, as a
 * warehouse's integrator would read their own entry; the API decides what it accepts.
 */

export interface SimulatedWarehouse {
  /** Undefined: the single warehouse of POST /v1/events. */
  id?: string;
  secret: string;
  /** A source it owns; undefined when it may use any (the generator picks one). */
  source?: string;
  /** May it post wallet events (the `wallets` scope)? */
  wallets?: boolean;
}

type Entry = { id?: unknown; sources?: unknown; secrets?: unknown; scopes?: unknown };

/** The warehouses that can post shipments (the scope and an active key), in the file's order. */
export function simulatedWarehouses(entries: readonly unknown[], now: Date): SimulatedWarehouse[] {
  return entries.flatMap((raw) => {
    const entry = (raw ?? {}) as Entry;
    const scopes = Array.isArray(entry.scopes) ? entry.scopes : [];
    const active = (Array.isArray(entry.secrets) ? entry.secrets : [])
      .map((key: unknown) => (typeof key === 'string' ? { secret: key } : (key as { secret?: unknown; notAfter?: unknown })))
      .filter((key) => typeof key.secret === 'string' && !(typeof key.notAfter === 'string' && Date.parse(key.notAfter) <= now.getTime()));
    const newest = active.at(-1)?.secret;
    if (typeof entry.id !== 'string' || typeof newest !== 'string' || !scopes.includes('shipments')) return [];
    const rule = Array.isArray(entry.sources) && typeof entry.sources[0] === 'string' ? (entry.sources[0] as string) : '*';
    const source = rule === '*' ? undefined : rule.endsWith('*') ? `${rule.slice(0, -1)}sim` : rule;
    return [{ id: entry.id, secret: newest, ...(source ? { source } : {}), wallets: scopes.includes('wallets') }];
  });
}

/**
 * Each honest warehouse's traffic (its own seed, so ids never collide), interleaved as they would
 * arrive side by side, with what the API should show afterwards; and the hostile one's attacks on
 * the first shipment and wallet of each of the others.
 */
export function warehouseTraffic(
  honest: readonly SimulatedWarehouse[],
  hostile: SimulatedWarehouse | undefined,
  options: TrafficOptions,
): { traffic: Traffic; attacks: Attack[] } {
  const each = honest.map((warehouse, index) => {
    const traffic = generateTraffic({
      ...options,
      seed: options.seed + index * 7919,
      wallets: warehouse.wallets === false ? 0 : options.wallets,
      ...(warehouse.source ? { source: warehouse.source } : {}),
    });
    const deliveries = traffic.deliveries.map((delivery) => ({
      ...delivery,
      ...(warehouse.id !== undefined ? { warehouse: warehouse.id } : {}),
    }));
    return { warehouse, traffic: { ...traffic, deliveries } };
  });
  const deliveries = [];
  for (let position = 0; each.some(({ traffic }) => position < traffic.deliveries.length); position += 1) {
    for (const { traffic } of each)
      if (position < traffic.deliveries.length) deliveries.push(traffic.deliveries[position] as Traffic['deliveries'][number]);
  }
  const rejected: Record<string, number> = {};
  for (const { traffic } of each)
    for (const [status, count] of Object.entries(traffic.expected.rejected)) rejected[status] = (rejected[status] ?? 0) + count;
  const traffic: Traffic = {
    deliveries,
    expected: {
      accepted: each.reduce((sum, { traffic }) => sum + traffic.expected.accepted, 0),
      duplicates: each.reduce((sum, { traffic }) => sum + traffic.expected.duplicates, 0),
      rejected,
      shipments: Object.assign({}, ...each.map(({ traffic }) => traffic.expected.shipments)),
      wallets: Object.assign({}, ...each.map(({ traffic }) => traffic.expected.wallets)),
    },
  };
  if (!hostile?.id) return { traffic, attacks: [] };
  const victims: Victim[] = each.flatMap(({ warehouse, traffic: own }) => {
    const source = own.deliveries[0]?.event.source;
    if (!warehouse.id || !source) return [];
    const shipmentId = Object.keys(own.expected.shipments)[0];
    const walletId = Object.keys(own.expected.wallets)[0];
    return [{ id: warehouse.id, source, ...(shipmentId ? { shipmentId } : {}), ...(walletId ? { walletId } : {}) }];
  });
  const tag = options.seed.toString(36);
  return {
    traffic,
    attacks: hostileAttacks({ id: hostile.id, source: hostile.source ?? `//warehouse/${hostile.id}` }, victims, options.end, tag),
  };
}
