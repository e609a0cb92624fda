import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostSummary } from '../../local/simulator/post.ts';
import type { Traffic } from '../../local/simulator/traffic.ts';
import { type RunningStack, startStack } from '../../local/stack.ts';
import { PROJECT_ROOT } from '../../support/project.ts';
import { TEST_SECRET } from '../support/events.ts';

// `npm run simulate` against a local stack, then the API asked about every shipment and wallet it touched.
const run = promisify(execFile);
/** The CloudEvents among events/ (the folder also holds Lambda event envelopes). */
const sampleCount = readdirSync(join(PROJECT_ROOT, 'events')).filter(
  (file) => JSON.parse(readFileSync(join(PROJECT_ROOT, 'events', file), 'utf8')).specversion === '1.0',
).length;
let stack: RunningStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-simulator-'));
  stack = await startStack({ port: 0, dataDir, warehouses: { webhookSecrets: TEST_SECRET } });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Report {
  seed: number;
  summary: PostSummary;
  expected: Traffic['expected'];
}

async function simulate(...args: string[]): Promise<Report> {
  const { stdout } = await run(
    process.execPath,
    ['local/simulate.ts', '--url', stack.url, '--secret', TEST_SECRET, '--json', '--at', '2026-11-27T20:00:00Z', ...args],
    { cwd: PROJECT_ROOT, timeout: 60_000 },
  );
  return JSON.parse(stdout) as Report;
}

describe('npm run simulate', () => {
  let first: Report;

  beforeAll(async () => {
    first = await simulate('--seed', '7', '--shipments', '12', '--wallets', '3', '--duplicates', '0.2', '--invalid', '0.05');
  }, 90_000);

  it('counts every posted event once: accepted + duplicates + rejected = posted', () => {
    const { summary } = first;
    const rejected = Object.values(summary.rejected).reduce((sum, count) => sum + count, 0);
    expect(summary.posted).toBeGreaterThan(12 * 7);
    expect(summary.accepted + summary.duplicates + rejected).toBe(summary.posted);
    expect(summary.unreachable).toBe(0);
  });

  it('sees as many accepted, duplicate and rejected answers as the traffic it generated', () => {
    expect(first.summary.accepted).toBe(first.expected.accepted);
    expect(first.summary.duplicates).toBe(first.expected.duplicates);
    expect(first.summary.duplicates).toBeGreaterThan(0);
    expect(first.summary.rejected).toEqual(first.expected.rejected);
    expect(first.summary.rejected['400']).toBeGreaterThan(0);
  });

  it('leaves every shipment in the status and with the timeline the API reports', async () => {
    const shipments = Object.entries(first.expected.shipments);
    expect(shipments).toHaveLength(12);
    for (const [shipmentId, expected] of shipments) {
      const response = await fetch(`${stack.url}/v1/shipments/${shipmentId}`);
      expect(response.status, shipmentId).toBe(200);
      const body = (await response.json()) as { status: string; timeline: unknown[] };
      expect({ shipmentId, status: body.status, timelineLength: body.timeline.length }).toEqual({ shipmentId, ...expected });
    }
  });

  it('leaves every wallet with the balance of its debits and credits', async () => {
    for (const [walletId, expected] of Object.entries(first.expected.wallets)) {
      const response = await fetch(`${stack.url}/v1/wallets/${walletId}`);
      expect(response.status, walletId).toBe(200);
      expect(await response.json()).toMatchObject({
        walletId,
        balance: expected.balance,
        currency: expected.currency,
        entries: expected.entries,
      });
    }
  });

  it('replays the same seed as duplicates only: nothing new is accepted', async () => {
    const again = await simulate('--seed', '7', '--shipments', '12', '--wallets', '3', '--duplicates', '0.2', '--invalid', '0.05');
    expect(again.expected).toEqual(first.expected);
    expect(again.summary.accepted).toBe(0);
    expect(again.summary.duplicates).toBe(first.summary.accepted + first.summary.duplicates);
  });

  it('posts the events/ samples', async () => {
    const { stdout } = await run(process.execPath, ['local/simulate.ts', '--samples', '--url', stack.url, '--secret', TEST_SECRET], {
      cwd: PROJECT_ROOT,
    });
    expect(stdout).toMatch(new RegExp(`accepted\\s+${sampleCount}\\n`));
    const shipment = (await (await fetch(`${stack.url}/v1/shipments/shp-1001`)).json()) as { status: string };
    expect(shipment.status).toBe('delivered');
  });

  it('fails with exit code 1 when the API rejects its signature', async () => {
    const failing = run(process.execPath, ['local/simulate.ts', '--samples', '--url', stack.url, '--secret', 'whsec_d3Jvbmctc2VjcmV0'], {
      cwd: PROJECT_ROOT,
    });
    await expect(failing).rejects.toMatchObject({ code: 1, stdout: expect.stringMatching(new RegExp(`rejected\\s+${sampleCount} × 401`)) });
  });
});
