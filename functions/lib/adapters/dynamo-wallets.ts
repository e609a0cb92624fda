import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, paginatedBatchGet, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { WalletEvent } from '#domain/cloud-events.ts';
import type { BalanceConfirmation, LedgerTotal, RecordOutcome, WalletBooks, WalletLedger, WalletSnapshot } from '#domain/ports.ts';
import type { Customer } from '#domain/shipment.ts';
import { CurrencyMismatchError, sumLedger, toLedgerEntry } from '#domain/wallet.ts';
import { eventRecordPut } from './event-record.ts';
import { keys, SORT_KEY } from './keys.ts';
import { decodeCustomer, decodeLedgerDelta, decodeWallet, decodeWalletCurrency } from './stored-items.ts';
import { writeEventTransaction } from './transactions.ts';

/** DynamoDB allows at most 100 keys per BatchGetItem. */
const BATCH_GET_LIMIT = 100;

export interface WalletsOptions {
  /** Items per ledger Query page; unset means DynamoDB's 1 MB pages. Tests set it to force paging. */
  ledgerPageSize?: number;
}

/**
 * The wallet aggregate in the single table: the wallet item with its running balance, one item
 * per ledger entry, and the customer profile a confirmed balance is told to. Ingest appends
 * entries (WalletLedger); reconciliation and GET /v1/wallets/{id} read and confirm (WalletBooks).
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

  async recordWalletEvent(event: WalletEvent): Promise<RecordOutcome> {
    const entry = toLedgerEntry(event);
    const now = new Date().toISOString();
    const outcome = await writeEventTransaction(
      this.client,
      async () => ({
        TransactItems: [
          eventRecordPut(this.tableName, event, keys.walletPartition(entry.walletId)),
          {
            Put: {
              TableName: this.tableName,
              Item: { ...keys.ledgerEntry(entry.walletId, entry.source, entry.id), entity: 'ledger', ...entry },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
          {
            // The running balance moves at once with an atomic ADD; reconciliation later checks it.
            // The same write marks the balance unconfirmed; that change on the stream starts the reconciliation.
            Update: {
              TableName: this.tableName,
              Key: keys.wallet(entry.walletId),
              UpdateExpression:
                'SET entity = :entity, walletId = :walletId, customerId = if_not_exists(customerId, :customerId), ' +
                'currency = if_not_exists(currency, :currency), lastEntryAt = :now, reconciliationPending = :pending ' +
                'ADD balance :delta, version :one, entryCount :one',
              ConditionExpression: 'attribute_not_exists(currency) OR currency = :currency',
              ExpressionAttributeValues: {
                ':entity': 'wallet',
                ':walletId': entry.walletId,
                ':customerId': entry.customerId,
                ':currency': entry.currency,
                ':now': now,
                ':pending': true,
                ':delta': entry.delta,
                ':one': 1,
              },
            },
          },
        ],
      }),
      (codes) =>
        codes[2] === 'ConditionalCheckFailed'
          ? new CurrencyMismatchError(`wallet ${entry.walletId} is not held in ${entry.currency}`)
          : undefined,
    );
    return outcome === 'written' ? 'accepted' : 'duplicate';
  }

  async walletCurrencies(walletIds: readonly string[]): Promise<Map<string, string>> {
    const currencies = new Map<string, string>();
    const unique = [...new Set(walletIds)];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      // lib-dynamodb's paginator sends the UnprocessedKeys of each response again until none are left.
      const pages = paginatedBatchGet(
        { client: this.client },
        {
          RequestItems: {
            [this.tableName]: {
              Keys: unique.slice(start, start + BATCH_GET_LIMIT).map((id) => keys.wallet(id)),
              ProjectionExpression: 'walletId, currency',
              ConsistentRead: true,
            },
          },
        },
      );
      for await (const page of pages) {
        for (const item of page.Responses?.[this.tableName] ?? []) {
          const { walletId, currency } = decodeWalletCurrency(item);
          currencies.set(walletId, currency);
        }
      }
    }
    return currencies;
  }

  async readWallet(walletId: string): Promise<WalletSnapshot | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.wallet(walletId), ConsistentRead: true }),
    );
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

  async customerProfile(customerId: string): Promise<Customer | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.customer(customerId), ConsistentRead: true }),
    );
    return Item ? decodeCustomer(Item) : undefined;
  }
}
