import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../support/project.ts';
import { postSigned } from '../../support/signing.ts';
import { daytimeZone } from '../../support/time-zones.ts';
import { type StartedStack, startNpmStart } from '../support/npm-start.ts';

// Issue 12's attacks, replayed through `npm start` with a WAREHOUSES_FILE of two warehouses: A
// (ams-1), whose customers and wallets are at stake, and B (rtm-9), registered and hostile. Each
// attack must be refused with nothing stored and no message sent, and A's own traffic must go on
// untouched. The cases marked "ownership" are refused by the data model's ownership of shipments
// and wallets (a shipment belongs to the warehouse that first wrote it), not by the key or the source.

const A = {
  id: 'ams-1',
  source: '//warehouse/ams-1',
  secret: `whsec_${Buffer.from('warehouse A signs with this key!!').toString('base64')}`,
};
const B = {
  id: 'rtm-9',
  source: '//warehouse/rtm-9',
  secret: `whsec_${Buffer.from('warehouse B is hostile, with key').toString('base64')}`,
};
const ATTACKER = { phone: '+447700900666', email: 'attacker@evil.example' };
const EVIL_URL = 'https://evil.example/pay';

let folder: string;
let file: string;
let stack: StartedStack;
let url: string;
const run = randomUUID().slice(0, 6);
const id = (name: string) => `${name}-${run}`;

function writeRegistry(secretsOfA: unknown[]) {
  const warehouses = [
    { id: A.id, sources: [A.source], secrets: secretsOfA, scopes: ['shipments', 'wallets'] },
    { id: B.id, sources: [B.source], secrets: [B.secret], scopes: ['shipments', 'wallets'], limits: { requestsPerSecond: 2, burst: 40 } },
  ];
  writeFileSync(file, JSON.stringify({ warehouses }, null, 2));
}

let counter = 0;
function event(type: string, source: string, data: Record<string, unknown>, time?: string) {
  counter += 1;
  return {
    specversion: '1.0',
    id: `evt-${run}-${counter}`,
    source,
    type,
    time: time ?? new Date(Date.now() - 60_000 + counter * 10).toISOString(),
    data,
  };
}

let phones = 0;
const customerOfA = (shipmentId: string) => ({
  id: `cus-${shipmentId}`,
  name: 'Ana García',
  // +44 7700 900xxx: reserved for drama and tests.
  phone: `+447700900${String(100 + (phones++ % 500)).padStart(3, '0')}`,
  email: `${shipmentId}@customers.example`,
  locale: 'en-GB',
  timeZone: daytimeZone(),
  channels: ['sms', 'email'],
});

async function post(as: { id: string; secret: string }, events: unknown, path: string = as.id) {
  const response = await postSigned(url, events, as.secret, { warehouse: path });
  return { status: response.status, body: (await response.json()) as Record<string, any>, retryAfter: response.headers.get('retry-after') };
}

async function shipment(shipmentId: string) {
  return (await (await fetch(`${url}/v1/shipments/${shipmentId}`)).json()) as Record<string, any>;
}

/** The attack on A's wallet: a debit of all but one cent of its 5000, under the given source. */
function customsFee(source: string, walletId: string) {
  return event('wallet.debited', source, {
    walletId,
    customerId: 'cus-w',
    amount: { value: 4999, currency: 'EUR' },
    reference: 'customs fee',
  });
}

async function wallet(walletId: string) {
  return (await (await fetch(`${url}/v1/wallets/${walletId}`)).json()) as Record<string, any>;
}

async function outbox(): Promise<{ channel: string; recipient: string; text: string }[]> {
  return (await (await fetch(`${url}/local/outbox`)).json()) as { channel: string; recipient: string; text: string }[];
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A's shipment, created by A, with its customer: what each attack is aimed at. */
async function shipmentOfA(name: string) {
  const shipmentId = id(name);
  const customer = customerOfA(shipmentId);
  const created = await post(
    A,
    event('shipment.created', A.source, { shipmentId, orderId: `ord-${shipmentId}`, customer, trackingUrl: 'https://track.example.com/a' }),
  );
  expect(created.status).toBe(202);
  return { shipmentId, customer, before: await shipment(shipmentId) };
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'parcelcast-warehouses-e2e-'));
  file = join(folder, 'warehouses.json');
  writeRegistry([A.secret]);
  stack = await startNpmStart({ WAREHOUSES_FILE: file, PARCELCAST_DATA_DIR: join(folder, 'data') });
  url = stack.url;
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(folder, { recursive: true, force: true });
}, 15_000);

describe('npm start with a WAREHOUSES_FILE of two warehouses', () => {
  it('says which warehouses it serves, from which file, and prints no secret', () => {
    expect(stack.output()).toContain(`Warehouses from ${file} (followed as it changes): ams-1, rtm-9`);
    expect(stack.output()).not.toContain('whsec_');
  });

  it('refuses B posting on A’s path with its own key, and an unknown warehouse, with the same 401', async () => {
    const target = await shipmentOfA('a-path');
    const attack = event('shipment.created', A.source, {
      shipmentId: target.shipmentId,
      orderId: 'ord-x',
      customer: { id: 'cus-x', ...ATTACKER },
    });
    const onPathOfA = await post(B, attack, A.id);
    const unknown = await post(B, attack, 'no-such-warehouse');

    expect([onPathOfA.status, unknown.status]).toEqual([401, 401]);
    expect(onPathOfA.body).toEqual(unknown.body);
    expect(await shipment(target.shipmentId)).toEqual(target.before);
  });

  it('attack 1: B’s shipment.created for A’s shipment with A’s source, the attacker’s contacts and link → 403, nothing stored', async () => {
    const target = await shipmentOfA('a-takeover');
    const attack = event('shipment.created', A.source, {
      shipmentId: target.shipmentId,
      orderId: 'ord-x',
      customer: { id: target.before.customer.id, ...ATTACKER, channels: ['sms', 'email'] },
      trackingUrl: EVIL_URL,
    });
    const response = await post(B, attack);

    expect(response).toMatchObject({ status: 403, body: { errors: [{ path: 'source', message: 'is not a source of warehouse rtm-9' }] } });
    expect(await shipment(target.shipmentId)).toEqual(target.before);
  });

  it('attack 2: B’s wallet.debited of 4999 on A’s wallet with A’s source → 403, the balance stays', async () => {
    const walletId = id('wal-a');
    const credit = event('wallet.credited', A.source, {
      walletId,
      customerId: 'cus-w',
      amount: { value: 5000, currency: 'EUR' },
      reference: 'top-up',
    });
    expect((await post(A, credit)).status).toBe(202);
    const debit = customsFee(A.source, walletId);

    expect((await post(B, debit)).status).toBe(403);
    expect(await wallet(walletId)).toMatchObject({ balance: 5000, entries: 1 });
  });

  it('attack 3: B’s shipment.created dated 9999-12-31 → 400; its cancelled dated 0001-01-01 with A’s source → 403', async () => {
    const target = await shipmentOfA('a-time');
    const future = event(
      'shipment.created',
      B.source,
      { shipmentId: target.shipmentId, orderId: 'ord-x', customer: { id: 'cus-x', ...ATTACKER } },
      '9999-12-31T23:59:59Z',
    );
    const past = event(
      'shipment.cancelled',
      A.source,
      { shipmentId: target.shipmentId, reason: `Pay the customs fee at ${EVIL_URL}` },
      '0001-01-01T00:00:00Z',
    );

    const [inFuture, inPast] = [await post(B, future), await post(B, past)];
    expect(inFuture).toMatchObject({ status: 400, body: { errors: [{ path: 'time' }] } });
    expect(inPast.status).toBe(403);
    expect(await shipment(target.shipmentId)).toEqual(target.before);
  });

  it('attack 4: B filling A’s shipment with 600 large in_transit events under A’s source → 403 every batch, nothing stored', async () => {
    const target = await shipmentOfA('a-fill');
    const batches = Array.from({ length: 6 }, (_, batch) =>
      Array.from({ length: 100 }, (_, index) =>
        event('shipment.in_transit', A.source, { shipmentId: target.shipmentId, location: `${'x'.repeat(190)}-${batch}-${index}` }),
      ),
    );

    const statuses = [];
    for (const batch of batches) statuses.push((await post(B, batch)).status);
    expect(statuses).toEqual([403, 403, 403, 403, 403, 403]);
    expect(await shipment(target.shipmentId)).toEqual(target.before);
  });

  it('leaves A’s own traffic untouched: A’s customers hear from A, with A’s link; the attacker hears nothing', async () => {
    const target = await shipmentOfA('a-traffic');
    const { customer } = target;
    for (const status of ['shipped', 'delivered']) {
      expect((await post(A, event(`shipment.${status}`, A.source, { shipmentId: target.shipmentId }))).status).toBe(202);
    }

    const mine = await until(
      async () => (await outbox()).filter((entry) => entry.recipient === customer.phone || entry.recipient === customer.email),
      (found) => found.length >= 4,
    );
    const all = await outbox();
    expect(await shipment(target.shipmentId)).toMatchObject({
      status: 'delivered',
      trackingUrl: 'https://track.example.com/a',
      customer: { id: customer.id },
    });
    // shipped and delivered, each by SMS and email, and each with A's link where the template shows one.
    expect(mine.map((entry) => entry.channel).sort()).toEqual(['email', 'email', 'sms', 'sms']);
    expect(all.filter((entry) => entry.recipient === ATTACKER.phone || entry.recipient === ATTACKER.email)).toEqual([]);
    expect(all.filter((entry) => entry.text.includes('evil.example'))).toEqual([]);
  });
});

describe('npm run simulate with the same WAREHOUSES_FILE, B playing hostile', () => {
  interface Report {
    summary: { accepted: number; rejected: Record<string, number>; unreachable: number };
    expected: { accepted: number; shipments: Record<string, { status: string }> };
    attacks: { name: string; status: number; expect: number; refused: boolean; ownership: boolean }[];
  }
  let report: Report;
  let exitCode: number;

  beforeAll(async () => {
    ({ report, exitCode } = await new Promise<{ report: Report; exitCode: number }>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          'local/simulate.ts',
          '--url',
          url,
          '--warehouses-file',
          file,
          '--hostile',
          B.id,
          '--shipments',
          '6',
          '--wallets',
          '1',
          '--seed',
          '12',
          '--json',
        ],
        { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 90_000, env: { ...process.env, WAREHOUSES_FILE: '' } },
        (error, stdout) => {
          try {
            resolve({ report: JSON.parse(stdout) as Report, exitCode: error ? Number(error.code) : 0 });
          } catch {
            reject(error ?? new Error(stdout));
          }
        },
      ),
    ));
  }, 120_000);

  it('posts A’s day of traffic to A’s path, all of it accepted as the traffic expects', () => {
    expect(report.summary.unreachable).toBe(0);
    expect(report.summary.accepted).toBe(report.expected.accepted);
    expect(Object.keys(report.expected.shipments)).toHaveLength(6);
  });

  it('sees every attack B makes under A’s source or on A’s path refused, with the status that refuses it', () => {
    const byKeyOrSource = report.attacks.filter((attack) => !attack.ownership);
    expect(byKeyOrSource.length).toBeGreaterThanOrEqual(7);
    expect(byKeyOrSource.filter((attack) => !attack.refused)).toEqual([]);
    expect(new Set(byKeyOrSource.map((attack) => attack.status))).toEqual(new Set([400, 401, 403]));
  });

  it('ownership: sees B’s attacks under its own source refused too, and exits 0', () => {
    expect(report.attacks.filter((attack) => attack.ownership && !attack.refused)).toEqual([]);
    expect(exitCode).toBe(0);
  });
});

describe('attacks under B’s own source, refused by the data model’s ownership of shipments and wallets', () => {
  // Set up outside the cases, so that only the attacks' outcome can make them fail.
  const targets: Record<string, Awaited<ReturnType<typeof shipmentOfA>>> = {};
  const walletId = id('wal-h2');
  beforeAll(async () => {
    for (const name of ['h2-takeover', 'h2-cancel', 'h2-fill']) targets[name] = await shipmentOfA(name);
    const credit = event('wallet.credited', A.source, {
      walletId,
      customerId: 'cus-w',
      amount: { value: 5000, currency: 'EUR' },
      reference: 'top-up',
    });
    expect((await post(A, credit)).status).toBe(202);
  });

  it('ownership: B’s shipment.created for A’s shipment under B’s source, with the attacker’s contacts and link → 403, nothing stored', async () => {
    const target = targets['h2-takeover'] as Awaited<ReturnType<typeof shipmentOfA>>;
    const attack = event('shipment.created', B.source, {
      shipmentId: target.shipmentId,
      orderId: 'ord-x',
      customer: { id: target.before.customer.id, ...ATTACKER, channels: ['sms', 'email'] },
      trackingUrl: EVIL_URL,
    });

    expect((await post(B, attack)).status).toBe(403);
    expect(await shipment(target.shipmentId)).toEqual(target.before);
  });

  it('ownership: B’s wallet.debited of 4999 on A’s wallet under B’s source → 403, the balance stays', async () => {
    const debit = customsFee(B.source, walletId);

    expect((await post(B, debit)).status).toBe(403);
    expect(await wallet(walletId)).toMatchObject({ balance: 5000, entries: 1 });
  });

  it('ownership: B’s cancelled dated 0001-01-01 under B’s source → 403, and A’s delivered still counts', async () => {
    const target = targets['h2-cancel'] as Awaited<ReturnType<typeof shipmentOfA>>;
    const past = event(
      'shipment.cancelled',
      B.source,
      { shipmentId: target.shipmentId, reason: `Pay the customs fee at ${EVIL_URL}` },
      '0001-01-01T00:00:00Z',
    );

    expect((await post(B, past)).status).toBe(403);
    expect((await post(A, event('shipment.delivered', A.source, { shipmentId: target.shipmentId }))).status).toBe(202);
    expect(await shipment(target.shipmentId)).toMatchObject({ status: 'delivered' });
  });

  it('ownership: B filling A’s shipment under B’s source → 403, and A’s delivered is still accepted', async () => {
    const target = targets['h2-fill'] as Awaited<ReturnType<typeof shipmentOfA>>;
    const batch = Array.from({ length: 100 }, (_, index) =>
      event('shipment.in_transit', B.source, { shipmentId: target.shipmentId, location: `${'x'.repeat(190)}-${index}` }),
    );

    expect((await post(B, batch)).status).toBe(403);
    expect((await post(A, event('shipment.delivered', A.source, { shipmentId: target.shipmentId }))).status).toBe(202);
  });
});

describe('limits and the registry while npm start runs', () => {
  it('answers B past its request rate with 429 and retry-after, and A is not slowed by it', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, index) => post(B, event('shipment.picked', B.source, { shipmentId: id(`b-own-${index}`) }))),
    );
    const limited = answers.filter((answer) => answer.status === 429);

    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]).toMatchObject({ retryAfter: '1', body: { type: 'urn:parcelcast:problem:rate-limited' } });
    expect((await post(A, event('shipment.picked', A.source, { shipmentId: id('a-during-b-flood') }))).status).toBe(202);
  });

  it('follows npm run warehouse: a rotated key works within seconds, and a revoked one stops', async () => {
    const warehouse = (...args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['scripts/warehouse.ts', ...args, '--file', file],
          { cwd: PROJECT_ROOT, encoding: 'utf8' },
          (error, stdout) => (error ? reject(error) : resolve(stdout)),
        ),
      );
    const rotated = /^whsec_\S+$/m.exec(await warehouse('rotate', '--id', A.id, '--overlap', '1h'))?.[0] as string;
    const newKey = { id: A.id, secret: rotated };
    const withNew = await until(
      () => post(newKey, event('shipment.picked', A.source, { shipmentId: id('a-rotated') })),
      (answer) => answer.status === 202,
    );
    const withOld = await post(A, event('shipment.picked', A.source, { shipmentId: id('a-overlap') }));
    await warehouse('revoke', '--id', A.id, '--previous');
    const oldRevoked = await until(
      () => post(A, event('shipment.picked', A.source, { shipmentId: id('a-revoked') })),
      (answer) => answer.status === 401,
    );

    expect([withNew.status, withOld.status, oldRevoked.status]).toEqual([202, 202, 401]);
    expect(stack.output()).toContain('WAREHOUSES_FILE changed: 2 warehouse(s): ams-1, rtm-9');
  });
});
