import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WalletEvent } from '#domain/cloud-events.ts';
import type { RecordOutcome, WalletLedger } from '#domain/ports.ts';
import { CurrencyMismatchError, toLedgerEntry } from '#domain/wallet.ts';
import { eventRecordPut } from './event-record.ts';
import { keys } from './keys.ts';
import { writeEventTransaction } from './transactions.ts';

/** DynamoDB allows at most 100 keys per BatchGetItem. */
const BATCH_GET_LIMIT = 100;

/** Wallet ledgers in the single table: one item per entry plus the wallet's running balance. */
export class DynamoWalletLedger implements WalletLedger {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
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
      let request:
        | Record<string, { Keys: Record<string, unknown>[]; ProjectionExpression?: string; ConsistentRead?: boolean }>
        | undefined = {
        [this.tableName]: {
          Keys: unique.slice(start, start + BATCH_GET_LIMIT).map((id) => keys.wallet(id)),
          ProjectionExpression: 'walletId, currency',
          ConsistentRead: true,
        },
      };
      while (request && Object.keys(request).length > 0) {
        const page = await this.client.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of page.Responses?.[this.tableName] ?? []) {
          if (typeof item.currency === 'string') currencies.set(String(item.walletId), item.currency);
        }
        request = page.UnprocessedKeys as typeof request;
      }
    }
    return currencies;
  }
}
