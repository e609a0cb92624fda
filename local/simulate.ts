import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandLine } from '../support/cli.ts';
import { DEVELOPMENT_SECRET } from '../support/development-secret.ts';
import { PROJECT_ROOT } from '../support/project.ts';
import { type PostSummary, postDeliveries } from './simulator/post.ts';
import { type CloudEvent, type Delivery, generateTraffic, type Traffic } from './simulator/traffic.ts';

/**
 * The warehouse simulator: signs and posts CloudEvents to a Parcelcast API, local or deployed.
 *
 *   npm run simulate                               a day of traffic: 20 shipments, 3 wallets
 *   npm run simulate -- --shipments 200 --seed 7   bigger, and the same every time
 *   npm run simulate -- --samples                  the events/ samples, in the order they happened
 *   npm run simulate -- --url https://….amazonaws.com/dev --secret whsec_…
 *
 * The secret is --secret, else WEBHOOK_SECRET, else the first of WEBHOOK_SECRETS, else the local
 * stack's development secret. Exit code 1 when a request got an answer the traffic did not expect.
 */

const { values, fail } = parseCommandLine(
  {
    name: 'npm run simulate',
    usage: `usage: npm run simulate -- [--samples] [--shipments N] [--wallets N] [--seed N] [--at ISO-TIME] [--time-zone IANA]
       [--duplicates RATE] [--out-of-order RATE] [--failures RATE] [--invalid RATE] [--simulator-contacts SHARE]
       [--url URL] [--secret whsec_…] [--concurrency N] [--json]`,
  },
  {
    options: {
      url: { type: 'string', default: process.env.PARCELCAST_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}` },
      secret: { type: 'string' },
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

function samples(): Traffic {
  const folder = join(PROJECT_ROOT, 'events');
  const events = readdirSync(folder)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(join(folder, file), 'utf8')) as CloudEvent)
    .filter((event) => event.specversion === '1.0')
    .sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
  const deliveries: Delivery[] = events.map((event) => ({ event, kind: 'new' }));
  return { deliveries, expected: { accepted: events.length, duplicates: 0, rejected: {}, shipments: {}, wallets: {} } };
}

const secret = values.secret ?? process.env.WEBHOOK_SECRET ?? process.env.WEBHOOK_SECRETS?.split(',')[0]?.trim() ?? DEVELOPMENT_SECRET;
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
const traffic = values.samples
  ? samples()
  : generateTraffic({
      seed,
      end: new Date(at),
      shipments: number('shipments', values.shipments, { integer: true, max: 100_000 }),
      wallets: number('wallets', values.wallets, { integer: true, max: 100_000 }),
      duplicateRate: number('duplicates', values.duplicates, { max: 1 }),
      outOfOrderRate: number('out-of-order', values['out-of-order'], { max: 1 }),
      failureRate: number('failures', values.failures, { max: 1 }),
      invalidRate: number('invalid', values.invalid, { max: 1 }),
      simulatorShare: number('simulator-contacts', values['simulator-contacts'], { max: 1 }),
      ...(values['time-zone'] ? { timeZone: values['time-zone'] } : {}),
    });

const log = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
const total = traffic.deliveries.length;
log(
  values.samples
    ? `Posting ${total} sample events from events/ to ${values.url}`
    : `Posting ${total} deliveries (${Object.keys(traffic.expected.shipments).length} shipments, ${Object.keys(traffic.expected.wallets).length} wallets, seed ${seed}) to ${values.url}`,
);

const tty = process.stderr.isTTY === true;
const counts = (summary: PostSummary) => {
  const rejected = Object.values(summary.rejected).reduce((sum, count) => sum + count, 0);
  return `accepted ${summary.accepted}  duplicate ${summary.duplicates}  rejected ${rejected}${summary.unreachable ? `  unreachable ${summary.unreachable}` : ''}`;
};
let reported = 0;
const summary = await postDeliveries(traffic.deliveries, {
  url: values.url,
  secret,
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

const expectedRejected = JSON.stringify(traffic.expected.rejected);
const unexpected = summary.unreachable > 0 || JSON.stringify(summary.rejected) !== expectedRejected;
if (values.json) {
  console.log(
    JSON.stringify({ seed: values.samples ? undefined : seed, at, url: values.url, summary, expected: traffic.expected }, null, 2),
  );
} else {
  log('');
  log(`posted      ${summary.posted} in ${(summary.durationMs / 1000).toFixed(1)} s`);
  log(`accepted    ${summary.accepted}`);
  log(`duplicates  ${summary.duplicates}`);
  const rejected = Object.entries(summary.rejected);
  log(`rejected    ${rejected.length ? rejected.map(([status, count]) => `${count} × ${status}`).join(', ') : 0}`);
  if (summary.unreachable) log(`unreachable ${summary.unreachable}`);
  for (const problem of summary.problems) log(`  ${problem}`);
  if (!values.samples) log(`Replay exactly this traffic: npm run simulate -- --seed ${seed} --at ${at} (repeats are answered "duplicate")`);
}
if (unexpected) {
  console.error(`Unexpected answers: expected rejections ${expectedRejected}, got ${JSON.stringify(summary.rejected)}`);
  process.exitCode = 1;
}
