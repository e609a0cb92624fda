import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { resourceNames } from '../../emulator/resource-names.ts';
import { ExecutionAlreadyExistsError } from '../../emulator/services/sfn.ts';
import { LocalStepFunctions, loadDefinition, type PublishRequest, taskBindings } from '../../emulator/step-functions.ts';
import { reconcileWallet } from '../../functions/lib/app/reconcile-wallet.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import type { BalanceConfirmation, LedgerTotal, WalletBooks, WalletSnapshot } from '../../functions/lib/domain/ports.ts';
import { reconciliationClaim, reconciliationName } from '../../functions/lib/domain/reconciliation.ts';
import type { Customer } from '../../functions/lib/domain/shipment.ts';
import { PROJECT_ROOT, projectTemplate } from '../../support/project.ts';

/** The execution of wal-1's window starting at 1793433600, named as the starter names it. */
const EXECUTION = reconciliationName('wal-1', { startSeconds: 1793433600 });

// The real statemachines/wallet-reconciliation.asl.json, substituted as the template says, run by
// aws-local-stepfunctions. The ReconcileWallet task runs the real use case over in-memory books.

const template = projectTemplate();
const NOTIFICATIONS = 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic';
const ALERTS = 'arn:aws:sns:us-east-1:000000000000:AlertsTopic';
const names = { ...resourceNames(template, 'http://127.0.0.1'), NotificationsTopic: NOTIFICATIONS, AlertsTopic: ALERTS };
const definition = loadDefinition(template, 'WalletReconciliationStateMachine', names, PROJECT_ROOT);

const ana: Customer = {
  id: 'cus-1',
  name: 'Ana García',
  phone: '+34600111222',
  email: 'ana@example.com',
  locale: 'es-ES',
  channels: ['sms', 'email'],
};

/** One wallet's books in memory: a running balance that may have drifted from its ledger. */
class MemoryBooks implements WalletBooks {
  confirmations: BalanceConfirmation[] = [];
  wallet: WalletSnapshot;
  ledger: number[];
  customer: Customer | undefined;
  constructor(stored: number, ledger: number[], customer: Customer | null = ana) {
    this.wallet = {
      walletId: 'wal-1',
      owner: 'ams',
      customerId: 'cus-1',
      currency: 'EUR',
      balance: stored,
      version: ledger.length,
      entryCount: ledger.length,
      reconciliationPending: true,
    };
    this.ledger = ledger;
    this.customer = customer ?? undefined;
  }
  async readWallet() {
    return { ...this.wallet };
  }
  async sumLedger(): Promise<LedgerTotal> {
    return { balance: this.ledger.reduce((sum, delta) => sum + delta, 0), entries: this.ledger.length };
  }
  async confirmBalance(_walletId: string, confirmation: BalanceConfirmation) {
    if (confirmation.expectedVersion !== this.wallet.version) return false;
    this.confirmations.push(confirmation);
    Object.assign(this.wallet, { balance: confirmation.balance, reconciledAt: confirmation.reconciledAt, reconciliationPending: false });
    return true;
  }
  async customerProfile(owner: string) {
    return owner === this.wallet.owner ? this.customer : undefined;
  }
}

interface Harness {
  invocations: { functionId: string; payload: any }[];
  published: PublishRequest[];
}

/** Task bindings from the definition: ReconcileWallet → `reconcile`, sns:publish → recorded. */
function services(reconcile: (payload: any) => Promise<unknown>): Harness & Parameters<typeof taskBindings>[1] {
  const harness: Harness = { invocations: [], published: [] };
  return {
    ...harness,
    invoke: async (functionId, payload) => {
      harness.invocations.push({ functionId, payload });
      return reconcile(payload);
    },
    publish: async (request) => {
      harness.published.push(request);
      return `msg-${harness.published.length}`;
    },
  };
}

const input = { walletId: 'wal-1', delaySeconds: 90, window: { start: '2026-11-01T08:00:00.000Z', end: '2026-11-01T08:01:30.000Z' } };

async function run(reconcile: (payload: any) => Promise<unknown>, options: { wait?: number | null; retryMs?: number } = {}) {
  const harness = services(reconcile);
  const execution = new StateMachine(definition).run(input, {
    overrides: {
      taskResourceLocalHandlers: taskBindings(definition, harness),
      ...(options.wait === null ? {} : { waitTimeOverrides: { WaitForLedgerToSettle: options.wait ?? 0 } }),
      retryIntervalOverrides: { ReconcileWallet: options.retryMs ?? 0, PublishBalance: 0, AlertOperators: 0 },
    },
    context: { Execution: { Name: EXECUTION, Input: input, StartTime: new Date().toISOString() } },
  });
  const events: any[] = [];
  const logged = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  let output: unknown;
  let failure: Error | undefined;
  try {
    output = await execution.result;
  } catch (error) {
    failure = error as Error;
  }
  await logged;
  return { output, failure, events, ...harness };
}

const realReconcile = (books: WalletBooks) => (payload: any) => reconcileWallet(books, payload);
const entered = (events: any[]) => events.filter((event) => event.type === 'StateEntered').map((event) => event.state.name);

describe('WalletReconciliation state machine (real ASL, aws-local-stepfunctions)', () => {
  it('confirms a balance without drift and tells the customer once per channel', async () => {
    const books = new MemoryBooks(1800, [2500, -700]);

    const { output, failure, published, invocations, events } = await run(realReconcile(books));

    expect(failure).toBeUndefined();
    expect(invocations).toEqual([{ functionId: 'ReconcileWalletFunction', payload: { walletId: 'wal-1', executionName: EXECUTION } }]);
    expect(output).toEqual({
      walletId: 'wal-1',
      balance: 1800,
      currency: 'EUR',
      drift: 0,
      corrected: false,
      reconciledAt: expect.any(String),
      toldOn: ['sms', 'email'],
    });
    expect(books.wallet).toMatchObject({ balance: 1800, reconciliationPending: false });
    expect(published).toHaveLength(2);
    for (const [index, channel] of (['sms', 'email'] as const).entries()) {
      const request = published.find((candidate) => candidate.MessageAttributes?.channel?.StringValue === channel) as PublishRequest;
      expect(request.TopicArn, `publish ${index}`).toBe(NOTIFICATIONS);
      expect(request.MessageAttributes).toEqual({
        channel: { DataType: 'String', StringValue: channel },
        eventType: { DataType: 'String', StringValue: 'wallet.balance_confirmed' },
        locale: { DataType: 'String', StringValue: 'es-ES' },
      });
      const message = JSON.parse(request.Message) as NotificationMessage;
      expect(message).toMatchObject({
        notificationId: `wallet#wal-1#${reconciliationClaim('wal-1', EXECUTION)}#${channel}`,
        eventType: 'wallet.balance_confirmed',
        channel,
        customerId: 'cus-1',
        wallet: { walletId: 'wal-1', balance: 1800, currency: 'EUR', reconciledAt: expect.any(String) },
      });
      // The senders look the contact up from the profile: the published message names no recipient.
      expect(message).not.toHaveProperty('recipient');
    }
    expect(entered(events)).toEqual([
      'WaitForLedgerToSettle',
      'ReconcileWallet',
      'AnyoneToTell',
      'TellCustomer',
      'PublishBalance',
      'PublishBalance',
      'BalanceConfirmed',
    ]);
  });

  it('keeps the customer’s phone and address out of every state’s input and output', async () => {
    const books = new MemoryBooks(1800, [2500, -700]);

    const { output, events, published, invocations } = await run(realReconcile(books));

    const executionData = JSON.stringify({ output, events, published, invocations });
    // The state data is there (the messages went through the Map) …
    expect(executionData).toContain('wallet.balance_confirmed');
    expect(events.some((event) => event.type === 'StateExited' && JSON.stringify(event).includes('"recipients"'))).toBe(true);
    // … but no contact detail ever is.
    expect(executionData).not.toContain(ana.phone);
    expect(executionData).not.toContain(ana.email);
  });

  it('corrects a drifted balance to the ledger sum and tells the corrected figure', async () => {
    const books = new MemoryBooks(9999, [2500, -700, -300]);

    const { output, published } = await run(realReconcile(books));

    expect(output).toMatchObject({ balance: 1500, drift: 8499, corrected: true });
    expect(books.wallet.balance).toBe(1500);
    expect(books.confirmations).toEqual([expect.objectContaining({ balance: 1500, drift: 8499, channels: ['sms', 'email'] })]);
    expect(published.map((request) => JSON.parse(request.Message).wallet.balance)).toEqual([1500, 1500]);
  });

  it('records that nobody could be told when the customer has no profile, and publishes nothing', async () => {
    const books = new MemoryBooks(100, [100], null);

    const { output, published, events } = await run(realReconcile(books));

    expect(published).toEqual([]);
    expect(output).toMatchObject({ balance: 100, toldOn: [], nobodyToTell: expect.stringContaining('no customer profile') });
    expect(books.confirmations[0]).toMatchObject({ channels: [], nobodyToTell: expect.stringContaining('no customer profile') });
    expect(entered(events)).toContain('NobodyToTell');
  });

  it('retries a Lambda service error with backoff and succeeds on the third attempt', async () => {
    const books = new MemoryBooks(1000, [1000]);
    let calls = 0;
    const flaky = async (payload: any) => {
      calls += 1;
      if (calls <= 2) throw Object.assign(new Error('Lambda is having a moment'), { name: 'Lambda.ServiceException' });
      return reconcileWallet(books, payload);
    };

    const { output, failure, events } = await run(flaky);

    expect(failure).toBeUndefined();
    expect(calls).toBe(3);
    const retried = events.filter((event) => event.type === 'StateRetried');
    expect(retried.map((event) => [event.state.name, event.retry.attempt])).toEqual([
      ['ReconcileWallet', 1],
      ['ReconcileWallet', 2],
    ]);
    expect(retried[0].retry.retrier).toMatchObject({
      ErrorEquals: expect.arrayContaining(['Lambda.ServiceException']),
      JitterStrategy: 'FULL',
      BackoffRate: 2,
    });
    expect(events.filter((event) => event.type === 'StateFailed').map((event) => event.Error)).toEqual([
      'Lambda.ServiceException',
      'Lambda.ServiceException',
    ]);
    expect(output).toMatchObject({ balance: 1000, corrected: false });
  });

  it('gives up on throttling after the retrier’s attempts, alerts operators and fails with WalletReconciliationFailed', async () => {
    let calls = 0;
    const throttled = async () => {
      calls += 1;
      throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.TooManyRequestsException' });
    };

    const { failure, events, published } = await run(throttled);

    expect(calls).toBe(1 + 6);
    expect(events.filter((event) => event.type === 'StateCaught').map((event) => event.state.name)).toEqual(['ReconcileWallet']);
    expect(published).toEqual([
      {
        TopicArn: ALERTS,
        Subject: 'Parcelcast: wallet reconciliation failed',
        Message: expect.stringMatching(
          new RegExp(`^Wallet wal-1 was not reconciled.*${EXECUTION}.*Lambda\\.TooManyRequestsException: Rate exceeded`),
        ),
      },
    ]);
    const failed = events.find((event) => event.type === 'ExecutionFailed');
    expect(failed).toMatchObject({ Error: 'WalletReconciliationFailed', Cause: expect.stringContaining('could not be confirmed') });
    expect(failure).toBeDefined();
    expect(entered(events).slice(-2)).toEqual(['AlertOperators', 'ReconciliationFailed']);
  });

  it('does not retry a function error that is not transient: straight to the alert and Fail', async () => {
    let calls = 0;
    const broken = async () => {
      calls += 1;
      throw Object.assign(new Error('No wallet wal-1 is known.'), { name: 'NotFoundError' });
    };

    const { events, published } = await run(broken);

    expect(calls).toBe(1);
    expect(published).toHaveLength(1);
    expect(published[0]?.Message).toContain('NotFoundError: No wallet wal-1 is known.');
    expect(events.at(-1)).toMatchObject({ type: 'ExecutionFailed', Error: 'WalletReconciliationFailed' });
  });

  it('alerts and fails when the confirmed balance cannot be published', async () => {
    const books = new MemoryBooks(500, [500]);
    const harness = services(realReconcile(books));
    const execution = new StateMachine(definition).run(input, {
      overrides: {
        taskResourceLocalHandlers: {
          ...taskBindings(definition, harness),
          PublishBalance: async () => {
            throw Object.assign(new Error('Invalid parameter: TopicArn'), { name: 'SNS.InvalidParameterException' });
          },
        },
        waitTimeOverrides: { WaitForLedgerToSettle: 0 },
      },
      context: { Execution: { Name: 'exec-publish-fails' } },
    });

    await expect(execution.result).rejects.toThrow();
    expect(harness.published).toEqual([
      expect.objectContaining({ TopicArn: ALERTS, Message: expect.stringContaining('SNS.InvalidParameterException') }),
    ]);
  });

  it('waits for the delaySeconds of its input', async () => {
    const books = new MemoryBooks(1, [1]);
    const harness = services(realReconcile(books));
    const execution = new StateMachine(definition).run(
      { ...input, delaySeconds: 1 },
      { overrides: { taskResourceLocalHandlers: taskBindings(definition, harness) }, context: { Execution: { Name: 'exec-wait' } } },
    );
    const events: any[] = [];
    for await (const event of execution.eventLogs) events.push(event);

    const enteredWait = events.find((event) => event.type === 'StateEntered' && event.state.name === 'WaitForLedgerToSettle');
    const exitedWait = events.find((event) => event.type === 'StateExited' && event.state.name === 'WaitForLedgerToSettle');
    expect(enteredWait.state.input.delaySeconds).toBe(1);
    const waited = exitedWait.timestamp - enteredWait.timestamp;
    expect(waited).toBeGreaterThanOrEqual(990);
    expect(waited).toBeLessThan(1900);
  });
});

describe('local Step Functions runtime', () => {
  const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:WalletReconciliationStateMachine';

  it('keeps executions with their visited states and refuses a name twice', async () => {
    const books = new MemoryBooks(700, [1000, -300]);
    const runtime = new LocalStepFunctions();
    runtime.register(arn, definition, services(realReconcile(books)), { waitTimeOverrides: { WaitForLedgerToSettle: 0 } });
    runtime.start(arn, 'wal-1-abc-100', input);
    expect(() => runtime.start(arn, 'wal-1-abc-100', input)).toThrow(ExecutionAlreadyExistsError);
    await runtime.settled();

    const [execution, ...others] = runtime.list();
    expect(others).toEqual([]);
    expect(execution).toMatchObject({
      name: 'wal-1-abc-100',
      status: 'SUCCEEDED',
      input,
      output: { balance: 700 },
      stopDate: expect.any(String),
    });
    expect(execution?.states.map((visit) => [visit.name, visit.status])).toEqual([
      ['WaitForLedgerToSettle', 'succeeded'],
      ['ReconcileWallet', 'succeeded'],
      ['AnyoneToTell', 'succeeded'],
      ['TellCustomer', 'succeeded'],
      ['PublishBalance', 'succeeded'],
      ['PublishBalance', 'succeeded'],
      ['BalanceConfirmed', 'succeeded'],
    ]);
    expect(execution?.states.every((visit) => visit.enteredAt <= (visit.exitedAt ?? ''))).toBe(true);
  });

  it('records a failed execution with its error and the caught state', async () => {
    const runtime = new LocalStepFunctions();
    const harness = services(async () => {
      throw Object.assign(new Error('boom'), { name: 'Error' });
    });
    runtime.register(arn, definition, harness, { waitTimeOverrides: { WaitForLedgerToSettle: 0 } });

    runtime.start(arn, 'exec-fails', input);
    await runtime.settled();

    const [execution] = runtime.list();
    expect(execution).toMatchObject({ status: 'FAILED', error: 'WalletReconciliationFailed' });
    expect(execution?.states.find((visit) => visit.name === 'ReconcileWallet')).toMatchObject({
      status: 'caught',
      error: 'Error',
      cause: 'boom',
    });
  });
});
