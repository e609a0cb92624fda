import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../emulator/step-functions.ts';
import { type RunningStack, startStack } from '../../local/stack.ts';
import { daytimeZone } from '../../support/time-zones.ts';
import { cloudEvent, postSignedEvent, TEST_SECRET } from '../support/events.ts';

// Wallet reconciliation through the local stack: HTTP ingest → DynamoDB Local stream →
// start-reconciliation → StartExecution on the local Step Functions endpoint → the real ASL on
// aws-local-stepfunctions (a 2 s wait) → reconcile-wallet → sns:publish into the local topic →
// senders → End User Messaging SMS and SES v2 endpoints → outbox.
// Long enough that three signed POSTs land in one window even on a loaded machine (at 2 s, a
// CI run under load split them across two windows and started two executions).
const DELAY_SECONDS = 4;
let stack: RunningStack;
let dataDir: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const post = (event: unknown) => postSignedEvent(stack.url, event);

async function getJson(path: string) {
  const response = await fetch(`${stack.url}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as any };
}

const money = (walletId: string, kind: 'credited' | 'debited', value: number) =>
  cloudEvent(`wallet.${kind}`, { walletId, customerId: 'cus-e2e-wallet', amount: { value, currency: 'EUR' }, reference: `ref-${value}` });

async function executionsOf(walletId: string): Promise<ExecutionRecord[]> {
  const { body } = await getJson('/local/executions');
  return (body as ExecutionRecord[]).filter((execution) => (execution.input as { walletId: string }).walletId === walletId);
}

/** What reached the customer's phone and inbox (the outbox keeps what SNS and SES were handed). */
async function deliveredTo(phone: string, email: string) {
  const { body } = await getJson('/local/outbox');
  return (body as { channel: string; recipient: string; text: string; tags?: { eventType?: string } }[]).filter(
    (entry) => entry.recipient === phone || entry.recipient === email,
  );
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'parcelcast-e2e-wallet-'));
  stack = await startStack({
    port: 0,
    dataDir,
    warehouses: { webhookSecrets: TEST_SECRET },
    parameterOverrides: { ReconcileDelaySeconds: String(DELAY_SECONDS) },
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('wallet reconciliation through the local stack', () => {
  it('shows the balance pending at once, then confirmed after the delay, and tells the customer once per channel', async () => {
    const walletId = 'wal-e2e';
    await post(
      cloudEvent('shipment.created', {
        shipmentId: 'shp-e2e-wallet',
        orderId: 'ord-e2e-wallet',
        customer: {
          id: 'cus-e2e-wallet',
          name: 'Ana García',
          phone: '+34600111222',
          email: 'ana@example.com',
          locale: 'es-ES',
          timeZone: daytimeZone(),
        },
      }),
    );
    // Start at the beginning of a reconciliation window so the three entries certainly share one.
    await sleep(DELAY_SECONDS * 1000 - (Date.now() % (DELAY_SECONDS * 1000)) + 20);
    await post(money(walletId, 'credited', 5000));
    await post(money(walletId, 'debited', 1200));
    await post(money(walletId, 'debited', 300));

    const pending = await getJson(`/v1/wallets/${walletId}`);
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ walletId, balance: 3500, currency: 'EUR', reconciliationPending: true, reconciledAt: null });

    let executions: ExecutionRecord[] = [];
    const deadline = Date.now() + (2 * DELAY_SECONDS + 15) * 1000;
    while (Date.now() < deadline) {
      executions = await executionsOf(walletId);
      if (executions.length > 0 && executions.every((execution) => execution.status !== 'RUNNING')) break;
      await sleep(100);
    }
    expect(executions).toHaveLength(1);
    const [execution] = executions as [ExecutionRecord];
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      input: { walletId, delaySeconds: 2 * DELAY_SECONDS },
      output: { balance: 3500, drift: 0, toldOn: ['sms', 'email'] },
    });
    expect(execution.states.map((visit) => visit.name)).toEqual([
      'WaitForLedgerToSettle',
      'ReconcileWallet',
      'AnyoneToTell',
      'TellCustomer',
      'PublishBalance',
      'PublishBalance',
      'BalanceConfirmed',
    ]);
    const wait = execution.states[0] as { enteredAt: string; exitedAt: string };
    // Entries at the start of a window wait for it to close, then the full delay.
    expect(Date.parse(wait.exitedAt) - Date.parse(wait.enteredAt)).toBeGreaterThanOrEqual(2 * DELAY_SECONDS * 1000 - 20);

    const confirmed = await getJson(`/v1/wallets/${walletId}`);
    expect(confirmed.body).toMatchObject({ balance: 3500, reconciliationPending: false, reconciledAt: expect.any(String) });

    await stack.settled();
    let delivered: Awaited<ReturnType<typeof deliveredTo>> = [];
    for (let attempt = 0; attempt < 50 && delivered.length < 2; attempt++) {
      delivered = await deliveredTo('+34600111222', 'ana@example.com');
      await sleep(100);
    }
    // One SMS and one email, the email tagged as the balance confirmation it is (in SES's tag characters: no `.`).
    expect(delivered.map((entry) => (entry.channel === 'email' ? `${entry.tags?.eventType}/email` : 'sms')).sort()).toEqual([
      'sms',
      'wallet-balance_confirmed/email',
    ]);
    expect(delivered.find((entry) => entry.channel === 'sms')?.text).toContain('35');
    // The senders found the contacts on the customer profile: the execution never held them.
    expect(delivered.find((entry) => entry.channel === 'sms')?.recipient).toBe('+34600111222');
    expect(delivered.find((entry) => entry.channel === 'email')?.recipient).toBe('ana@example.com');
    const executionData = JSON.stringify(execution);
    expect(executionData).not.toContain('+34600111222');
    expect(executionData).not.toContain('ana@example.com');

    // The reconciliation's own write does not start another one.
    await sleep(DELAY_SECONDS * 1000 + 500);
    expect(await executionsOf(walletId)).toHaveLength(1);
    expect(await deliveredTo('+34600111222', 'ana@example.com')).toHaveLength(2);
  }, 60_000);

  it('answers 404 problem+json for an unknown wallet', async () => {
    const response = await getJson('/v1/wallets/wal-nobody');
    expect(response.status).toBe(404);
    expect(response.type).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status: 404, title: 'Not found' });
  });
});
