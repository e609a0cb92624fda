import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCommandLine } from '../support/cli.ts';
import { DEVELOPMENT_SECRET } from '../support/development-secret.ts';
import { PROJECT_ROOT } from '../support/project.ts';
import { type AttackResult, type PostSummary, postAttacks, postDeliveries } from './simulator/post.ts';
import { type SimulatedWarehouse, simulatedWarehouses, warehouseTraffic } from './simulator/registry.ts';
import type { CloudEvent, Delivery, Traffic } from './simulator/traffic.ts';
import { readWarehousesFile, WarehousesFileError } from './warehouses.ts';

/**
 * The warehouse simulator: signs and posts CloudEvents to a Parcelcast API, local or deployed.
 *
 *   npm run simulate                               a day of traffic: 20 shipments, 3 wallets
 *   npm run simulate -- --shipments 200 --seed 7   bigger, and the same every time
 *   npm run simulate -- --samples                  the events/ samples, in the order they happened
 *   npm run simulate -- --url https://….amazonaws.com/dev --warehouse ams-1 --secret whsec_…
 *   npm run simulate -- --warehouses-file w.json --hostile rtm-9   every warehouse of the file at once,
 *                                                  rtm-9 also attacking the others (every attack must be refused)
 *
 * With a WAREHOUSES_FILE (--warehouses-file, else $WAREHOUSES_FILE, else warehouses.json in npm start's
 * data folder when it exists, as npm start reads it), each warehouse in it posts its own day of traffic, under its
 * own source, signed with its newest key, to its own path. Without one, one warehouse posts to
 * --warehouse's path or POST /v1/events, with --secret, else WEBHOOK_SECRET, else the first of
 * WEBHOOK_SECRETS, else the local stack's development secret. Exit code 1 when a request got an
 * answer the traffic did not expect, or an attack was not refused.
 */

const { values, fail } = parseCommandLine(
  {
    name: 'npm run simulate',
    usage: `usage: npm run simulate -- [--samples] [--shipments N] [--wallets N] [--seed N] [--at ISO-TIME] [--time-zone IANA]
       [--duplicates RATE] [--out-of-order RATE] [--failures RATE] [--invalid RATE] [--simulator-contacts SHARE]
       [--url URL] [--warehouse ID] [--secret whsec_…] [--warehouses-file FILE [--hostile ID]] [--concurrency N] [--json]`,
  },
  {
    options: {
      url: { type: 'string', default: process.env.PARCELCAST_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}` },
      secret: { type: 'string' },
      warehouse: { type: 'string' },
      'warehouses-file': { type: 'string' },
      hostile: { type: 'string' },
      samples: { type: 'boolean', default: false },
      shipments: { type: 'string', default: '20' },
      wallets: { type: 'string', default: '3' },
      seed: { type: 'string' },
      at: { type: 'string' },
      'time-zone': { type: 'string' },
      duplicates: { type: 'string', default: '0.08' },
      'out-of-order': { type: 'string', default: '0.08' },
      failures: { type: 'string', default: '0.15' },
      invalid: { type: 'string', default: '0.02' },
      // A quarter of the customers get AWS's simulator addresses and numbers, whose outcomes come back as on AWS.
      'simulator-contacts': { type: 'string', default: '0.25' },
      concurrency: { type: 'string', default: '8' },
      json: { type: 'boolean', default: false },
    },
  },
);

function number(name: string, value: string, { min = 0, max = Number.POSITIVE_INFINITY, integer = false } = {}): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) {
    fail(`--${name} must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got ${value}`);
  }
  return parsed;
}

function samples(warehouse: string | undefined): Traffic {
  const folder = join(PROJECT_ROOT, 'events');
  const events = readdirSync(folder)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(join(folder, file), 'utf8')) as CloudEvent)
    .filter((event) => event.specversion === '1.0')
    .sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
  const deliveries: Delivery[] = events.map((event) => ({ event, kind: 'new', ...(warehouse !== undefined ? { warehouse } : {}) }));
  return { deliveries, expected: { accepted: events.length, duplicates: 0, rejected: {}, shipments: {}, wallets: {} } };
}

const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : number('seed', values.seed, { integer: true });
const at = values.at ?? new Date().toISOString();
if (Number.isNaN(Date.parse(at))) fail(`--at must be an ISO 8601 time, got ${at}`);
const concurrency = number('concurrency', values.concurrency, { integer: true, min: 1, max: 256 });
if (!/^https?:\/\//.test(values.url) || !URL.canParse(values.url)) fail(`--url must be an http(s) URL, got ${values.url}`);
if (values['time-zone'] !== undefined) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: values['time-zone'] });
  } catch {
    fail(`--time-zone must be an IANA time zone such as Europe/Madrid, got ${values['time-zone']}`);
  }
}

// Whose traffic this is: the warehouses of a registry file, or one warehouse with a secret.
// Where npm start looks for one: its data folder.
const defaultFile = join(process.env.PARCELCAST_DATA_DIR ?? join(PROJECT_ROOT, '.local'), 'warehouses.json');
const registryFile =
  values['warehouses-file'] ??
  (process.env.WAREHOUSES_FILE || undefined) ??
  (values.secret === undefined && values.warehouse === undefined && existsSync(defaultFile) ? defaultFile : undefined);
if (values.hostile !== undefined && registryFile === undefined)
  fail('--hostile plays a warehouse of a registry: name it with --warehouses-file');
if (registryFile !== undefined && values.secret !== undefined)
  fail('--secret is for one warehouse; a --warehouses-file holds each warehouse’s own');
if (values.samples && values.hostile !== undefined) fail('--samples posts the events/ samples; --hostile plays generated traffic');
let warehouses: SimulatedWarehouse[];
try {
  warehouses =
    registryFile === undefined
      ? [
          {
            id: values.warehouse,
            secret: values.secret ?? process.env.WEBHOOK_SECRET ?? process.env.WEBHOOK_SECRETS?.split(',')[0]?.trim() ?? DEVELOPMENT_SECRET,
          },
        ]
      : simulatedWarehouses(readWarehousesFile(resolve(registryFile)), new Date(at));
} catch (error) {
  if (!(error instanceof WarehousesFileError)) throw error;
  warehouses = fail(error.message);
}
if (values.warehouse !== undefined && registryFile !== undefined) {
  warehouses = warehouses.filter((warehouse) => warehouse.id === values.warehouse);
  if (warehouses.length === 0) fail(`--warehouse ${values.warehouse} is not in ${registryFile}`);
}
const hostile = values.hostile === undefined ? undefined : warehouses.find((warehouse) => warehouse.id === values.hostile);
if (values.hostile !== undefined && !hostile)
  fail(`--hostile ${values.hostile} is not a warehouse of ${registryFile} with a key and the shipments scope`);
const honest = warehouses.filter((warehouse) => warehouse !== hostile);
if (honest.length === 0) fail('no warehouse to post traffic: the registry holds none with a key and the shipments scope');

const trafficOptions = {
  end: new Date(at),
  shipments: number('shipments', values.shipments, { integer: true, max: 100_000 }),
  wallets: number('wallets', values.wallets, { integer: true, max: 100_000 }),
  duplicateRate: number('duplicates', values.duplicates, { max: 1 }),
  outOfOrderRate: number('out-of-order', values['out-of-order'], { max: 1 }),
  failureRate: number('failures', values.failures, { max: 1 }),
  invalidRate: number('invalid', values.invalid, { max: 1 }),
  simulatorShare: number('simulator-contacts', values['simulator-contacts'], { max: 1 }),
  ...(values['time-zone'] ? { timeZone: values['time-zone'] } : {}),
};
const generated = values.samples ? undefined : warehouseTraffic(honest, hostile, { ...trafficOptions, seed });
const traffic = values.samples ? samples(warehouses[0]?.id) : (generated?.traffic as Traffic);
const attacks = generated?.attacks ?? [];
const secretOf = (id: string | undefined) => (warehouses.find((warehouse) => warehouse.id === id) ?? warehouses[0])?.secret as string;

const log = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
const total = traffic.deliveries.length;
log(
  values.samples
    ? `Posting ${total} sample events from events/ to ${values.url}`
    : `Posting ${total} deliveries (${Object.keys(traffic.expected.shipments).length} shipments, ${Object.keys(traffic.expected.wallets).length} wallets, seed ${seed}) as ${honest.map((warehouse) => warehouse.id ?? 'the single warehouse').join(', ')} to ${values.url}`,
);

const tty = process.stderr.isTTY === true;
const counts = (summary: PostSummary) => {
  const rejected = Object.values(summary.rejected).reduce((sum, count) => sum + count, 0);
  return `accepted ${summary.accepted}  duplicate ${summary.duplicates}  rejected ${rejected}${summary.unreachable ? `  unreachable ${summary.unreachable}` : ''}`;
};
let reported = 0;
const summary = await postDeliveries(traffic.deliveries, {
  url: values.url,
  secretOf,
  concurrency,
  onResult(done, all, partial) {
    if (tty) {
      const width = 30;
      const filled = Math.round((done / all) * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${all}  ${counts(partial)}   `);
      if (done === all) process.stderr.write('\n');
    } else if (done === all || done - reported >= Math.max(10, Math.ceil(all / 10))) {
      reported = done;
      log(`posted ${done}/${all}  ${counts(partial)}`);
    }
  },
});

// The attacks go last, once the others' own traffic has created what they aim at.
let attacked: AttackResult[] = [];
if (hostile && attacks.length > 0) {
  log(`${hostile.id} attacks the others: ${attacks.length} requests`);
  attacked = await postAttacks(attacks, { url: values.url, secret: hostile.secret });
}
const breaches = attacked.filter((attack) => !attack.refused);

const expectedRejected = JSON.stringify(traffic.expected.rejected);
const unexpected = summary.unreachable > 0 || JSON.stringify(summary.rejected) !== expectedRejected || breaches.length > 0;
if (values.json) {
  console.log(
    JSON.stringify(
      { seed: values.samples ? undefined : seed, at, url: values.url, summary, expected: traffic.expected, attacks: attacked },
      null,
      2,
    ),
  );
} else {
  log('');
  log(`posted      ${summary.posted} in ${(summary.durationMs / 1000).toFixed(1)} s`);
  log(`accepted    ${summary.accepted}`);
  log(`duplicates  ${summary.duplicates}`);
  const rejected = Object.entries(summary.rejected);
  log(`rejected    ${rejected.length ? rejected.map(([status, count]) => `${count} × ${status}`).join(', ') : 0}`);
  if (summary.unreachable) log(`unreachable ${summary.unreachable}`);
  if (summary.retried) log(`slowed down ${summary.retried} × (429, sent again after retry-after)`);
  if (hostile) {
    log(`attacks     ${attacked.length} by ${hostile.id}, ${attacked.length - breaches.length} refused`);
    for (const breach of breaches) {
      log(`  NOT REFUSED (${breach.status}, ${breach.expect} due${breach.ownership ? ', ownership' : ''}): ${breach.name}`);
    }
  }
  for (const problem of summary.problems) log(`  ${problem}`);
  if (!values.samples) log(`Replay exactly this traffic: npm run simulate -- --seed ${seed} --at ${at} (repeats are answered "duplicate")`);
}
if (unexpected) {
  console.error(
    breaches.length > 0
      ? `${breaches.length} attack(s) by ${hostile?.id} were not refused`
      : `Unexpected answers: expected rejections ${expectedRejected}, got ${JSON.stringify(summary.rejected)}`,
  );
  process.exitCode = 1;
}
