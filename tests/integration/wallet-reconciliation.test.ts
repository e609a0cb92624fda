import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { BatchWriteCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { StreamPoller, streamSourceSettings } from '../../emulator/stream-poller.ts';
import { documentClient } from '../../functions/lib/adapters/dynamo-documents.ts';
import { DynamoWallets } from '../../functions/lib/adapters/dynamo-wallets.ts';
import { SfnWorkflowStarter } from '../../functions/lib/adapters/sfn-workflow-starter.ts';
import { reconcileWallet } from '../../functions/lib/app/reconcile-wallet.ts';
import { parseEvents, type WalletEvent } from '../../functions/lib/domain/cloud-events.ts';
import type { WalletBooks } from '../../functions/lib/domain/ports.ts';
import { reconciliationName, reconciliationWindow } from '../../functions/lib/domain/reconciliation.ts';
import { startReconciliationHandler } from '../../functions/lib/handlers/start-reconciliation.ts';
import { createObservability } from '../../functions/lib/runtime/observability.ts';
import { projectTemplate } from '../../support/project.ts';
import { createTestTable, type TestTable } from '../support/dynamo.ts';
import { walletEvent } from '../support/events.ts';

// Reconciliation against DynamoDB Local tables declared as template.yaml declares ParcelTable.

let table: TestTable;
let ledger: DynamoWallets;

beforeAll(async () => {
  table = await createTestTable();
  ledger = new DynamoWallets(table.documents, table.tableName);
});

const asWalletEvent = (event: unknown) => parseEvents(event).events[0] as WalletEvent;
const OWNER = 'ams';
const record = (target: DynamoWallets, kind: 'debited' | 'credited', walletId: string, value: number) =>
  target.recordWalletEvent(
    asWalletEvent(walletEvent(kind, walletId, value)),
    { warehouseId: OWNER, shared: false },
    { receivedAt: new Date().toISOString(), position: 0 },
  );

async function walletItem(walletId: string) {
  const { Item } = await table.documents.send(
    new GetCommand({ TableName: table.tableName, Key: { PK: `WALLET#${walletId}`, SK: 'WALLET' }, ConsistentRead: true }),
  );
  return Item as Record<string, any>;
}

async function ledgerSum(walletId: string) {
  let sum = 0;
  let count = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await table.documents.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :ledger)',
        ExpressionAttributeValues: { ':pk': `WALLET#${walletId}`, ':ledger': 'LEDGER#' },
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      sum += Number(item.delta);
      count += 1;
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return { sum, count };
}

describe('reconcile-wallet on DynamoDB Local', () => {
  it('sums a ledger of 2,000 entries over several pages and corrects the drifted balance', async () => {
    const walletId = 'wal-big';
    const deltas = Array.from({ length: 2000 }, (_, index) => (index % 3 === 0 ? 1000 + index : -(index % 97) - 1));
    const items = deltas.map((delta, index) => ({
      PutRequest: {
        Item: {
          PK: `WALLET#${walletId}`,
          SK: `LEDGER#%2F%2Fbank#e-${String(index).padStart(5, '0')}`,
          entity: 'ledger',
          walletId,
          delta,
          currency: 'EUR',
        },
      },
    }));
    for (let start = 0; start < items.length; start += 25) {
      let request: Record<string, any> | undefined = { [table.tableName]: items.slice(start, start + 25) };
      while (request && Object.keys(request).length > 0) {
        request = (await table.documents.send(new BatchWriteCommand({ RequestItems: request }))).UnprocessedItems;
      }
    }
    const expected = deltas.reduce((sum, delta) => sum + delta, 0);
    await table.documents.send(
      new BatchWriteCommand({
        RequestItems: {
          [table.tableName]: [
            {
              PutRequest: {
                Item: {
                  PK: `WALLET#${walletId}`,
                  SK: 'WALLET',
                  entity: 'wallet',
                  walletId,
                  owner: OWNER,
                  customerId: 'cus-nobody',
                  currency: 'EUR',
                  balance: expected + 42,
                  version: 2000,
                  entryCount: 2000,
                  reconciliationPending: true,
                },
              },
            },
          ],
        },
      }),
    );
    const client = documentClient(table.client);
    const send = vi.spyOn(client, 'send');
    const books = new DynamoWallets(client, table.tableName, { ledgerPageSize: 300 });

    const result = await reconcileWallet(books, { walletId, executionName: 'exec-big' });

    expect(result).toMatchObject({
      balance: expected,
      drift: 42,
      corrected: true,
      entries: 2000,
      recipients: [],
      nobodyToTell: expect.any(String),
    });
    const queries = send.mock.calls.filter(([command]) => command instanceof QueryCommand);
    expect(queries).toHaveLength(Math.ceil(2000 / 300));
    for (const [command] of queries) expect((command as QueryCommand).input).toMatchObject({ ConsistentRead: true, Limit: 300 });
    expect(await walletItem(walletId)).toMatchObject({
      balance: expected,
      reconciliationPending: false,
      reconciledVersion: 2000,
      lastReconciliation: { execution: 'exec-big', drift: 42, channels: [], nobodyToTell: expect.any(String) },
    });
  });

  it('re-reads and retries when a debit lands between the ledger sum and the write, losing nothing', async () => {
    const walletId = 'wal-race';
    await record(ledger, 'credited', walletId, 5000);
    await record(ledger, 'debited', walletId, 1200);
    const real = new DynamoWallets(table.documents, table.tableName);
    let sums = 0;
    const confirmations: boolean[] = [];
    // The race, made certain: a debit commits right after the first ledger sum.
    const racing: WalletBooks = {
      readWallet: (id) => real.readWallet(id),
      customerProfile: (owner, id) => real.customerProfile(owner, id),
      sumLedger: async (id) => {
        const total = await real.sumLedger(id);
        sums += 1;
        if (sums === 1) await record(ledger, 'debited', walletId, 300);
        return total;
      },
      confirmBalance: async (id, confirmation) => {
        const written = await real.confirmBalance(id, confirmation);
        confirmations.push(written);
        return written;
      },
    };

    const result = await reconcileWallet(racing, { walletId, executionName: 'exec-race' });

    expect(confirmations).toEqual([false, true]);
    expect(result).toMatchObject({ balance: 3500, drift: 0, entries: 3 });
    expect(await walletItem(walletId)).toMatchObject({ balance: 3500, version: 3, reconciledVersion: 3, reconciliationPending: false });
  });

  it('keeps the stored balance equal to the ledger under 20 concurrent entries, and pending unless confirmed at the latest version', async () => {
    const walletId = 'wal-storm';
    await record(ledger, 'credited', walletId, 100_000);
    const books = new DynamoWallets(table.documents, table.tableName);

    const [reconciled] = await Promise.all([
      reconcileWallet(books, { walletId, executionName: 'exec-storm' }, { maxAttempts: 50 }),
      ...Array.from({ length: 20 }, (_, index) => record(ledger, 'debited', walletId, 100 + index)),
    ]);

    const { sum, count } = await ledgerSum(walletId);
    const wallet = await walletItem(walletId);
    expect(count).toBe(21);
    expect(wallet.balance).toBe(sum);
    expect(wallet.version).toBe(21);
    expect(wallet.reconciliationPending).toBe(wallet.reconciledVersion !== wallet.version);
    expect(reconciled.entries).toBe(wallet.reconciledVersion);

    // A reconciliation after the storm confirms the rest.
    await reconcileWallet(books, { walletId, executionName: 'exec-after-storm' });
    expect(await walletItem(walletId)).toMatchObject({ balance: sum, reconciledVersion: 21, reconciliationPending: false });
  });

  it("addresses the confirmed balance to the profile that the wallet owner's shipments introduced", async () => {
    const walletId = 'wal-told';
    const profile = (owner: string, email: string) => ({
      PutRequest: {
        Item: { PK: `CUSTOMER#${owner}#cus-1`, SK: 'PROFILE', entity: 'customer', owner, id: 'cus-1', email, channels: ['sms', 'email'] },
      },
    });
    await table.documents.send(
      new BatchWriteCommand({
        RequestItems: {
          [table.tableName]: [
            // Another warehouse's customer of the same id is another person: never told.
            profile('mad', 'someone-else@example.com'),
            {
              PutRequest: {
                Item: {
                  PK: `CUSTOMER#${OWNER}#cus-1`,
                  SK: 'PROFILE',
                  entity: 'customer',
                  owner: OWNER,
                  id: 'cus-1',
                  phone: '+34600111222',
                  email: 'ana@example.com',
                  locale: 'es-ES',
                  channels: ['email'],
                },
              },
            },
          ],
        },
      }),
    );
    await record(ledger, 'credited', walletId, 2500);
    const books = new DynamoWallets(table.documents, table.tableName);

    const result = await reconcileWallet(books, { walletId, executionName: 'exec-told' });

    expect(result.recipients).toEqual([
      {
        channel: 'email',
        message: expect.objectContaining({
          notificationId: 'wallet#wal-told#exec-told#email',
          customerId: 'cus-1',
          owner: OWNER,
          locale: 'es-ES',
          wallet: expect.objectContaining({ balance: 2500 }),
        }),
      },
    ]);
    // The result is the execution's state: it names the customer, never their contact.
    expect(JSON.stringify(result)).not.toContain('ana@example.com');
    expect(JSON.stringify(result)).not.toContain('+34600111222');
  });
});

describe('start-reconciliation on the real table stream', () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());

  /** Delivers everything on the table's stream to the handler, with the template's FilterCriteria and settings. */
  async function deliverStream(target: TestTable, handler: ReturnType<typeof startReconciliationHandler>) {
    const { Table } = await target.client.send(new DescribeTableCommand({ TableName: target.tableName }));
    const source = projectTemplate().Resources.StartReconciliationFunction?.Properties?.Events.WalletChanges.Properties;
    const invocations: number[] = [];
    const deadLetters: unknown[] = [];
    const responses: { batch: DynamoDBRecord[]; failed: string[] }[] = [];
    const poller = new StreamPoller(target.endpoint, Table?.LatestStreamArn as string, [
      {
        functionId: 'StartReconciliationFunction',
        handler: async (event, context) => {
          invocations.push(event.Records.length);
          const response = await handler(event, context as never);
          responses.push({ batch: event.Records, failed: response.batchItemFailures.map((item) => item.itemIdentifier) });
          return response;
        },
        ...streamSourceSettings(source),
        onFailure: (_id, records) => deadLetters.push(...records),
      },
    ]);
    while ((await poller.pollOnce()) > 0);
    return { invocations, deadLetters, responses };
  }

  it('coalesces ten debits within the delay into one execution, named by wallet and window', async () => {
    const delaySeconds = 3600;
    // Stay clear of a window boundary so the ten entries certainly share one window.
    const untilBoundary = delaySeconds * 1000 - (Date.now() % (delaySeconds * 1000));
    if (untilBoundary < 15_000) await new Promise((resolve) => setTimeout(resolve, untilBoundary + 100));
    const streamTable = await createTestTable();
    const writer = new DynamoWallets(streamTable.documents, streamTable.tableName);
    await record(writer, 'credited', 'wal-burst', 10_000);
    for (let index = 0; index < 9; index++) await record(writer, 'debited', 'wal-burst', 100);
    await record(writer, 'credited', 'wal-other', 500);
    sfn.on(StartExecutionCommand).callsFake(async (input) => {
      const names = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
      // Step Functions: a name already used on this state machine.
      if (names.filter((name) => name === input.name).length > 1)
        throw new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} });
      return { executionArn: `arn:aws:states:us-east-1:000000000000:execution:WalletReconciliation:${input.name}`, startDate: new Date() };
    });
    const handler = startReconciliationHandler(
      {
        starter: new SfnWorkflowStarter(
          new SFNClient({ region: 'us-east-1' }),
          'arn:aws:states:us-east-1:000000000000:stateMachine:WalletReconciliation',
        ),
        delaySeconds,
      },
      createObservability(),
    );

    const { deadLetters, invocations } = await deliverStream(streamTable, handler);

    expect(deadLetters).toEqual([]);
    // Only wallet items reach the function: 11 wallet changes, not the 22 event and ledger items.
    expect(invocations.reduce((sum, size) => sum + size, 0)).toBe(11);
    const starts = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input);
    const burst = starts.filter((input) => JSON.parse(input.input as string).walletId === 'wal-burst');
    const window = reconciliationWindow(new Date(), delaySeconds);
    expect(new Set(burst.map((input) => input.name))).toEqual(new Set([reconciliationName('wal-burst', window)]));
    const input = JSON.parse(burst[0]?.input as string);
    expect(input).toEqual({ walletId: 'wal-burst', delaySeconds: expect.any(Number), window: { start: window.start, end: window.end } });
    // Waits until the window closes, then the full delay: between one and two delays from the first entry.
    expect(input.delaySeconds).toBeGreaterThan(delaySeconds);
    expect(input.delaySeconds).toBeLessThanOrEqual(2 * delaySeconds);
    expect(starts.filter((input) => JSON.parse(input.input as string).walletId === 'wal-other')).toHaveLength(1);

    // Replaying the whole stream (a retried batch) starts nothing new: every name is taken.
    const before = sfn.commandCalls(StartExecutionCommand).length;
    const replay = await deliverStream(streamTable, handler);
    expect(replay.deadLetters).toEqual([]);
    const names = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
    expect(new Set(names).size).toBe(2);
    expect(names.length).toBeGreaterThan(before);
  });

  it('reports the records of a start that failed, so Lambda retries them, and no others', async () => {
    const streamTable = await createTestTable();
    const writer = new DynamoWallets(streamTable.documents, streamTable.tableName);
    await record(writer, 'credited', 'wal-fails', 100);
    await record(writer, 'credited', 'wal-works', 100);
    sfn.on(StartExecutionCommand).callsFake(async (input) => {
      if (JSON.parse(input.input as string).walletId === 'wal-fails')
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return { executionArn: 'arn', startDate: new Date() };
    });
    const handler = startReconciliationHandler(
      {
        starter: new SfnWorkflowStarter(
          new SFNClient({ region: 'us-east-1' }),
          'arn:aws:states:us-east-1:000000000000:stateMachine:WalletReconciliation',
        ),
        delaySeconds: 90,
      },
      createObservability(),
    );

    const { deadLetters, responses } = await deliverStream(streamTable, handler);

    const walletOf = (record: DynamoDBRecord) => record.dynamodb?.NewImage?.walletId?.S;
    const reported = responses.flatMap(({ batch, failed }) =>
      batch.filter((record) => failed.includes(record.dynamodb?.SequenceNumber ?? '')),
    );
    expect(reported.length).toBeGreaterThan(1);
    expect(new Set(reported.map(walletOf))).toEqual(new Set(['wal-fails']));
    // Retried finitely (the template's MaximumRetryAttempts), then the batch from the failed record
    // on goes to the OnFailure destination, as Lambda checkpoints at the lowest failed sequence number.
    expect((deadLetters as DynamoDBRecord[]).map(walletOf)[0]).toBe('wal-fails');
    expect(
      sfn.commandCalls(StartExecutionCommand).filter((call) => JSON.parse(call.args[0].input.input as string).walletId === 'wal-works')
        .length,
    ).toBeGreaterThan(0);
  });
});
