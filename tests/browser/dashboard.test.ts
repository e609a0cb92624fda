import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Traffic } from '../../local/simulator/traffic.ts';
import { type RunningStack, startStack } from '../../local/stack.ts';
import { chromiumPath } from '../../scripts/preflight.ts';
import { stateMachineSources } from '../../support/diagrams.ts';
import { PROJECT_ROOT } from '../../support/project.ts';
import { daytimeZone } from '../../support/time-zones.ts';
import { cloudEvent, OTHER_SECRET, postSignedEvent, TEST_SECRET } from '../support/events.ts';

// The dashboard in a real headless Chromium, watching a short simulated day of two warehouses on a local stack.
const CHROMIUM = chromiumPath();
const run = promisify(execFile);

/** An IANA zone where it is now around noon, so SMS are not held for quiet hours whenever this runs. */
let stack: RunningStack;
let dataDir: string;
let userDataDir: string;
let browser: BrowserContext;
let page: Page;
let expected: Traffic['expected'];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-dashboard-'));
  userDataDir = mkdtempSync(join(tmpdir(), 'parcelcast-chromium-'));
  const warehousesFile = join(dataDir, 'warehouses.json');
  writeFileSync(
    warehousesFile,
    JSON.stringify({
      warehouses: [
        { id: 'ams-1', sources: ['//warehouse/ams-1'], secrets: [TEST_SECRET], scopes: ['shipments', 'wallets'] },
        { id: 'rtm-1', sources: ['//warehouse/rtm-1'], secrets: [OTHER_SECRET], scopes: ['shipments'] },
      ],
    }),
  );
  stack = await startStack({
    port: 0,
    dataDir,
    warehouses: { file: warehousesFile },
    parameterOverrides: { ReconcileDelaySeconds: '1' },
  });
  const { stdout } = await run(
    process.execPath,
    [
      'local/simulate.ts',
      ...['--url', stack.url, '--warehouses-file', warehousesFile, '--json', '--seed', '5', '--shipments', '2', '--wallets', '1'],
      ...['--invalid', '0', '--failures', '0', '--time-zone', daytimeZone()],
    ],
    { cwd: PROJECT_ROOT, timeout: 60_000 },
  );
  expected = (JSON.parse(stdout) as { expected: Traffic['expected'] }).expected;
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1500, height: 1100 },
    timeout: 30_000,
  });
  page = await browser.newPage();
  await page.goto(stack.url, { timeout: 15_000 });
}, 120_000);

afterAll(async () => {
  if (page) {
    mkdirSync(join(PROJECT_ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(PROJECT_ROOT, 'test-results/dashboard.png'), fullPage: true }).catch(() => undefined);
  }
  await browser?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(userDataDir, { recursive: true, force: true });
});

describe('the dashboard at /', () => {
  it('shows every shipment with its current status and its whole timeline', async () => {
    for (const [shipmentId, shipment] of Object.entries(expected.shipments)) {
      const card = page.locator(`[data-shipment-id="${shipmentId}"]`);
      await card.waitFor({ timeout: 10_000 });
      await expect.poll(() => card.locator('.badge').getAttribute('data-status'), { timeout: 10_000 }).toBe(shipment.status);
      await expect.poll(() => card.locator('.timeline li').count(), { timeout: 10_000 }).toBe(shipment.timelineLength);
    }
    await expect.poll(() => page.locator('.shipment').count()).toBe(Object.keys(expected.shipments).length);
  });

  it('shows the SMS in the outbox as the customer reads it, with its encoding and segment count', async () => {
    const sms = page.locator('.message.sms').first();
    await sms.waitFor({ timeout: 20_000 });
    expect(await sms.locator('.bubble').textContent()).toMatch(/\S/);
    expect(await sms.locator('footer').textContent()).toMatch(/^(GSM-7|UCS-2) · \d+ (septets|UTF-16 units) · \d+ segments?$/);
    // Emails come through their own queue and sender: the first may land after the first SMS.
    await page.locator('.message.email .subject').first().waitFor({ timeout: 20_000 });
    const delivered = await page.locator('.message.email .subject').allInnerTexts();
    expect(delivered.length).toBeGreaterThan(0);
  });

  it('draws the wallet reconciliation as the state machine graph with the visited states highlighted', async () => {
    const machine = stateMachineSources().find((source) => source.name === 'wallet-reconciliation');
    expect(machine, 'statemachines/ has the wallet reconciliation').toBeDefined();
    const execution = page.locator('.execution').first();
    await execution.waitFor({ timeout: 15_000 });
    await expect.poll(() => execution.getAttribute('data-status'), { timeout: 30_000 }).toBe('SUCCEEDED');
    const states = await execution.locator('svg .node').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-id')));
    expect(states.sort()).toEqual(machine?.graph.states.map((state) => state.name).sort());
    const visited = await execution.locator('svg .node.visited').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-id')));
    expect(visited).toContain(machine?.graph.startAt);
    const history = await execution.locator('.history tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-state')));
    expect(history[0]).toBe(machine?.graph.startAt);
    // A state inside a Map or Parallel lights up its Map or Parallel state.
    const owner = (name: string | null) => machine?.graph.states.find((state) => state.inner?.includes(String(name)))?.name ?? name;
    expect(new Set(history.map(owner))).toEqual(new Set(visited));
    expect(await execution.locator('svg path.edge.taken').count()).toBeGreaterThan(0);
  });

  it('draws the architecture from template.yaml', async () => {
    const architecture = page.locator('#architecture svg');
    await architecture.waitFor({ timeout: 10_000 });
    for (const id of ['ParcelApi', 'IngestFunction', 'ParcelTable']) {
      expect(await architecture.locator(`.node[data-id="${id}"]`).count(), id).toBe(1);
    }
    expect(await architecture.locator('path.edge[data-from="ParcelApi"][data-to="IngestFunction"]').count()).toBe(1);
  });

  it('shows which warehouse owns each shipment, and shows one warehouse’s shipments alone when asked', async () => {
    const owners = () => page.locator('.shipment .owner').evaluateAll((nodes) => nodes.map((node) => node.textContent));
    await expect.poll(async () => new Set(await owners()), { timeout: 10_000 }).toEqual(new Set(['ams-1', 'rtm-1']));
    expect(await page.locator('#owner-filter option').allInnerTexts()).toEqual(['all', 'ams-1', 'rtm-1']);

    await page.selectOption('#owner-filter', 'rtm-1');
    await expect.poll(owners).toEqual(['rtm-1', 'rtm-1']);
    await page.selectOption('#owner-filter', '');
    await expect.poll(async () => (await owners()).length).toBe(Object.keys(expected.shipments).length);
  });

  it('says it is live', async () => {
    await expect.poll(() => page.locator('#status').getAttribute('class'), { timeout: 5_000 }).toBe('live');
  });

  it('shows each message’s delivery status as the providers reported it: the email bounced, the text delivered', async () => {
    const shipmentId = 'browser-feedback';
    const customer = {
      id: 'cus-browser-feedback',
      name: 'Sam Doe',
      phone: '+447860019066', // the destination simulator's success number for the United Kingdom
      email: 'bounce+browser@simulator.amazonses.com',
      locale: 'en',
      timeZone: daytimeZone(),
    };
    // ams-1 of the registry above: its own path, its default source.
    await postSignedEvent(
      stack.url,
      cloudEvent('shipment.created', { shipmentId, orderId: 'o-browser', customer }, { minute: 0 }),
      'ams-1',
    );
    await postSignedEvent(stack.url, cloudEvent('shipment.shipped', { shipmentId }, { minute: 1 }), 'ams-1');

    const card = page.locator(`[data-shipment-id="${shipmentId}"]`);
    await card.waitFor({ timeout: 15_000 });
    const outcome = (channel: string) => card.locator(`.chip[data-channel="${channel}"]`).getAttribute('data-outcome');
    await expect.poll(() => outcome('email'), { timeout: 20_000 }).toBe('bounced');
    await expect.poll(() => outcome('sms'), { timeout: 20_000 }).toBe('delivered');
    expect(await card.locator('.chip[data-channel="email"]').textContent()).toBe('@ email shipped: bounced (Permanent/General)');
    expect(await card.locator('.chip[data-channel="email"]').getAttribute('title')).toMatch(/provider id \S+/);
  });
  it('shows an order’s combined message on each parcel it named, and the windows still gathering parcels', async () => {
    const customer = {
      id: 'cus-browser-order',
      name: 'Kim Doe',
      phone: '+447860019066', // the destination simulator's success number for the United Kingdom
      email: 'success+browser-order@simulator.amazonses.com',
      locale: 'en',
      timeZone: daytimeZone(),
    };
    const post = async (type: string, data: Record<string, unknown>, minute: number) =>
      postSignedEvent(stack.url, cloudEvent(type, data, { minute }), 'ams-1');
    // Two parcels of an order that says it has two: the second joining closes its window at once.
    for (const shipmentId of ['browser-order-1', 'browser-order-2']) {
      await post('shipment.created', { shipmentId, orderId: 'o-browser-2', parcelCount: 2, customer }, 0);
    }
    // Two of an order of three: its window waits for the third (the stack's window is 600 s).
    for (const shipmentId of ['browser-open-1', 'browser-open-2']) {
      await post('shipment.created', { shipmentId, orderId: 'o-browser-3', parcelCount: 3, customer }, 0);
    }
    for (const shipmentId of ['browser-order-1', 'browser-order-2', 'browser-open-1', 'browser-open-2']) {
      await post('shipment.out_for_delivery', { shipmentId }, 5);
    }

    for (const shipmentId of ['browser-order-1', 'browser-order-2']) {
      const card = page.locator(`[data-shipment-id="${shipmentId}"]`);
      await card.waitFor({ timeout: 15_000 });
      const chip = (channel: string) => card.locator(`.chip[data-channel="${channel}"][data-order="o-browser-2"]`);
      await expect.poll(() => chip('sms').getAttribute('data-outcome'), { timeout: 30_000 }).toBe('delivered');
      await expect.poll(() => chip('email').getAttribute('data-outcome'), { timeout: 30_000 }).toBe('delivered');
      expect(await chip('sms').textContent()).toBe(
        '✉︎ SMS out for delivery: delivered (TEXT_DELIVERED) · combined with 1 other parcel of order o-browser-2',
      );
      // The parcel's only out-for-delivery messages are the combined ones.
      expect(await card.locator('.chip').count()).toBe(2);
    }

    const open = page.locator('.order-window[data-order="o-browser-3"]');
    await open.waitFor({ timeout: 20_000 });
    expect(await open.getAttribute('data-status')).toBe('out_for_delivery');
    await expect.poll(() => open.getAttribute('data-members'), { timeout: 15_000 }).toBe('2');
    await expect.poll(() => open.textContent(), { timeout: 15_000 }).toMatch(/2 of 3 parcels so far \(browser-open-1, browser-open-2\)/);
    await expect.poll(() => open.locator('time').getAttribute('datetime'), { timeout: 15_000 }).toMatch(/^\d{4}-\d\d-\d\dT/);
    // The window that closed at once is not listed.
    expect(await page.locator('.order-window[data-order="o-browser-2"]').count()).toBe(0);
  });
});
