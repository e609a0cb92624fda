import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BalanceConfirmation, LedgerTotal, WalletBooks, WalletSnapshot } from '#domain/ports.ts';
import type { Customer } from '#domain/shipment.ts';
import { sumLedger } from '#domain/wallet.ts';
import { keys, SORT_KEY } from './keys.ts';

export interface WalletBooksOptions {
  /** Items per ledger Query page; unset means DynamoDB's 1 MB pages. Tests set it to force paging. */
  ledgerPageSize?: number;
}

/** Reconciliation's view of the single table: wallet items, ledger entries, customer profiles. */
export class DynamoWalletBooks implements WalletBooks {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ledgerPageSize: number | undefined;

  constructor(client: DynamoDBDocumentClient, tableName: string, options: WalletBooksOptions = {}) {
    this.client = client;
    this.tableName = tableName;
    this.ledgerPageSize = options.ledgerPageSize;
  }

  async readWallet(walletId: string): Promise<WalletSnapshot | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.wallet(walletId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      walletId: String(Item.walletId),
      customerId: String(Item.customerId),
      currency: String(Item.currency),
      balance: Number(Item.balance ?? 0),
      version: Number(Item.version ?? 0),
      entryCount: Number(Item.entryCount ?? 0),
      ...(Item.lastEntryAt ? { lastEntryAt: String(Item.lastEntryAt) } : {}),
      ...(Item.reconciledAt ? { reconciledAt: String(Item.reconciledAt) } : {}),
      reconciliationPending: Item.reconciliationPending === true,
    };
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
      for (const item of page.Items ?? []) deltas.push({ delta: Number(item.delta) });
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
    if (!Item) return undefined;
    const { PK: _pk, SK: _sk, entity: _entity, updatedAt: _updatedAt, ...customer } = Item;
    return customer as Customer;
  }
}
