import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, paginatedBatchGet, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { contentDigest, type WalletEvent } from '#domain/cloud-events.ts';
import { IdReusedError, NotYoursError } from '#domain/errors.ts';
import { idDigest } from '#domain/id-digest.ts';
import { keyProblem } from '#domain/key-limits.ts';
import {
  type BalanceConfirmation,
  type LedgerEntryKey,
  type LedgerTotal,
  ledgerEntryId,
  type RecordOutcome,
  type WalletBooks,
  type WalletHead,
  type WalletLedger,
  type WalletSnapshot,
  type WalletWriter,
} from '#domain/ports.ts';
import type { Customer, Receipt } from '#domain/shipment.ts';
import { BalanceLimitError, balanceRangeBefore, CurrencyMismatchError, sumLedger, toLedgerEntry } from '#domain/wallet.ts';
import { keys, SORT_KEY } from './keys.ts';
import { decodeCustomer, decodeLedgerDelta, decodeLedgerKey, decodeWallet, decodeWalletHead, storedContentDigest } from './stored-items.ts';
import { type CancellationReason, writeEventTransaction } from './transactions.ts';

/** DynamoDB allows at most 100 keys per BatchGetItem. */
const BATCH_GET_LIMIT = 100;

export interface WalletsOptions {
  /** Items per ledger Query page; unset means DynamoDB's 1 MB pages. Tests set it to force paging. */
  ledgerPageSize?: number;
}

/**
 * The wallet aggregate in the single table: the wallet item with its running balance and owner,
 * one item per ledger entry (which is also the wallet event's record under its idempotency key),
 * and the customer profiles a confirmed balance is told to. Ingest appends entries
 * (WalletLedger); reconciliation and GET /v1/wallets/{id} read and confirm (WalletBooks).
 */
export class DynamoWallets implements WalletLedger, WalletBooks {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ledgerPageSize: number | undefined;

  constructor(client: DynamoDBDocumentClient, tableName: string, options: WalletsOptions = {}) {
    this.client = client;
    this.tableName = tableName;
    this.ledgerPageSize = options.ledgerPageSize;
  }

  /**
   * One transaction of two items: the ledger entry, guarded by `attribute_not_exists` (a repeat
   * cancels it and is answered `duplicate`), and the wallet's update, guarded by what ingest
   * checked before writing (currency, owner unless shared, balance bound) in case a concurrent
   * request changed it since.
   */
  async recordWalletEvent(event: WalletEvent, writer: WalletWriter, receipt: Receipt): Promise<RecordOutcome> {
    const entry = toLedgerEntry(event);
    const ledgerKey = keys.ledgerEntry(entry.walletId, writer.warehouseId, entry.source, entry.id);
    const problem = keyProblem(ledgerKey);
    // The schemas and the warehouse id's bound make this impossible; a key DynamoDB would refuse is never sent.
    if (problem) throw new RangeError(`ledger entry key: ${problem}`);
    const { min, max } = balanceRangeBefore(entry.delta);
    const ownerCondition = writer.shared ? '' : ' AND #owner = :warehouse';
    const outcome = await writeEventTransaction(
      this.client,
      async () => ({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...ledgerKey,
                entity: 'ledger',
                owner: writer.warehouseId,
                ...entry,
                receivedAt: receipt.receivedAt,
                position: receipt.position,
                event,
                contentDigest: contentDigest(event),
              },
              ConditionExpression: 'attribute_not_exists(PK)',
              // A repeat answers the entry it found, so an id reused for other content is told apart without a read.
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            // The running balance moves at once with an atomic ADD; reconciliation later checks it.
            // The same write marks the balance unconfirmed; that change on the stream starts the reconciliation.
            Update: {
              TableName: this.tableName,
              Key: keys.wallet(entry.walletId),
              UpdateExpression:
                'SET entity = :entity, walletId = :walletId, #owner = if_not_exists(#owner, :warehouse), ' +
                'customerId = if_not_exists(customerId, :customerId), currency = if_not_exists(currency, :currency), ' +
                'lastEntryAt = :now, reconciliationPending = :pending ADD balance :delta, version :one, entryCount :one',
              ConditionExpression: `attribute_not_exists(PK) OR (currency = :currency${ownerCondition} AND balance BETWEEN :min AND :max)`,
              ExpressionAttributeNames: { '#owner': 'owner' },
              ExpressionAttributeValues: {
                ':entity': 'wallet',
                ':walletId': entry.walletId,
                ':warehouse': writer.warehouseId,
                ':customerId': entry.customerId,
                ':currency': entry.currency,
                ':now': new Date().toISOString(),
                ':pending': true,
                ':delta': entry.delta,
                ':one': 1,
                ':min': min,
                ':max': max,
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
        ],
      }),
      (reasons) => this.explain(reasons, entry.walletId, entry.currency, writer, { min, max }),
    );
    if (outcome.kind === 'written') return 'accepted';
    const stored = outcome.stored ?? (await this.read(ledgerKey));
    if (stored && storedContentDigest(stored) !== contentDigest(event)) {
      throw new IdReusedError(`entry ${idDigest(entry.id)} of wallet ${idDigest(entry.walletId)} is stored with other content`);
    }
    return 'duplicate';
  }

  /** Which guard of the wallet's update failed, from the wallet it found; undefined (retry) when none did. */
  private async explain(
    reasons: readonly CancellationReason[],
    walletId: string,
    currency: string,
    writer: WalletWriter,
    range: { min: number; max: number },
  ): Promise<Error | undefined> {
    if (reasons[1]?.code !== 'ConditionalCheckFailed') return undefined;
    const found = reasons[1].item ?? (await this.read(keys.wallet(walletId)));
    if (!found) return undefined;
    const wallet = decodeWalletHead(found);
    if (wallet.currency !== currency) return new CurrencyMismatchError(`wallet ${walletId} is not held in ${currency}`);
    if (!writer.shared && wallet.owner !== writer.warehouseId)
      return new NotYoursError(`wallet ${idDigest(walletId)} belongs to another warehouse`);
    if (wallet.balance < range.min || wallet.balance > range.max)
      return new BalanceLimitError(`wallet ${idDigest(walletId)} is at its balance limit`);
    return undefined;
  }

  async walletHeads(walletIds: readonly string[]): Promise<Map<string, WalletHead>> {
    const heads = new Map<string, WalletHead>();
    const items = await this.batchGet(
      [...new Set(walletIds)].map((id) => keys.wallet(id)),
      'walletId, #owner, currency, balance',
      { '#owner': 'owner' },
    );
    for (const item of items) {
      const { walletId, ...head } = decodeWalletHead(item);
      heads.set(walletId, head);
    }
    return heads;
  }

  async bookedEntries(entries: readonly LedgerEntryKey[]): Promise<Set<string>> {
    const byKey = new Map<string, string>();
    for (const entry of entries) {
      const key = keys.ledgerEntry(entry.walletId, entry.owner, entry.source, entry.id);
      byKey.set(`${key.PK}\n${key.SK}`, ledgerEntryId(entry));
    }
    const found = await this.batchGet(
      [...byKey.keys()].map((joined) => {
        const [PK, SK] = joined.split('\n') as [string, string];
        return { PK, SK };
      }),
      'PK, SK',
    );
    const booked = new Set<string>();
    for (const item of found) {
      const { PK, SK } = decodeLedgerKey(item);
      const id = byKey.get(`${PK}\n${SK}`);
      if (id) booked.add(id);
    }
    return booked;
  }

  /** Strongly consistent BatchGetItem of `itemKeys`, 100 at a time, projecting `projection`. */
  private async batchGet(
    itemKeys: { PK: string; SK: string }[],
    projection: string,
    names?: Record<string, string>,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let start = 0; start < itemKeys.length; start += BATCH_GET_LIMIT) {
      // lib-dynamodb's paginator sends the UnprocessedKeys of each response again until none are left.
      const pages = paginatedBatchGet(
        { client: this.client },
        {
          RequestItems: {
            [this.tableName]: {
              Keys: itemKeys.slice(start, start + BATCH_GET_LIMIT),
              ProjectionExpression: projection,
              ...(names ? { ExpressionAttributeNames: names } : {}),
              ConsistentRead: true,
            },
          },
        },
      );
      for await (const page of pages) items.push(...(page.Responses?.[this.tableName] ?? []));
    }
    return items;
  }

  async readWallet(walletId: string): Promise<WalletSnapshot | undefined> {
    const Item = await this.read(keys.wallet(walletId));
    return Item ? decodeWallet(Item) : undefined;
  }

  /** A strongly consistent, paginated Query over the wallet's ledger entries, reading only `delta`. */
  async sumLedger(walletId: string): Promise<LedgerTotal> {
    const deltas: { delta: number }[] = [];
    const pages = paginateQuery(
      { client: this.client, ...(this.ledgerPageSize ? { pageSize: this.ledgerPageSize } : {}) },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :ledger)',
        ExpressionAttributeValues: { ':pk': keys.walletPartition(walletId), ':ledger': SORT_KEY.ledgerPrefix },
        ProjectionExpression: 'delta',
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) deltas.push(decodeLedgerDelta(item));
    }
    return { balance: sumLedger(deltas), entries: deltas.length };
  }

  async confirmBalance(walletId: string, confirmation: BalanceConfirmation): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.wallet(walletId),
          // Only if no entry landed since the ledger was summed: then the pending flag may go too.
          ConditionExpression: 'attribute_exists(PK) AND version = :version',
          UpdateExpression:
            'SET balance = :balance, entryCount = :entries, reconciledAt = :at, reconciledVersion = :version, ' +
            'reconciliationPending = :false, lastReconciliation = :summary',
          ExpressionAttributeValues: {
            ':version': confirmation.expectedVersion,
            ':balance': confirmation.balance,
            ':entries': confirmation.entries,
            ':at': confirmation.reconciledAt,
            ':false': false,
            ':summary': {
              execution: confirmation.reconciliation,
              at: confirmation.reconciledAt,
              drift: confirmation.drift,
              channels: confirmation.channels,
              ...(confirmation.nobodyToTell ? { nobodyToTell: confirmation.nobodyToTell } : {}),
            },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async customerProfile(owner: string, customerId: string): Promise<Customer | undefined> {
    const Item = await this.read(keys.customer(owner, customerId));
    return Item ? decodeCustomer(Item) : undefined;
  }

  private async read(Key: { PK: string; SK: string }): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }));
    return Item;
  }
}
