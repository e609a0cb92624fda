import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NotificationCounts } from '#domain/warehouse.ts';
import { keys } from './keys.ts';
import { decodeNotificationCount } from './stored-items.ts';

/** How long the ingest trusts a count it read: how late it starts refusing a warehouse that reached its cap. */
export const COUNT_CACHE_SECONDS = 10;

/** A day's count stays two days after the day, for operators to read, then TTL removes it. */
const KEEP_SECONDS = 3 * 86_400;

/**
 * Each warehouse's notifications of a UTC day, one item per (warehouse, day) in the single table
 * (keys.ts). The stream router adds a batch's count with one atomic ADD per warehouse; the ingest
 * reads it through a per-container cache, so a busy warehouse costs one read every
 * COUNT_CACHE_SECONDS per container, and no write, on the ingest path.
 */
export class DynamoNotificationCounts implements NotificationCounts {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly cacheMs: number;
  private readonly cache = new Map<string, { count: number; until: number }>();
  private readonly clock: () => number;

  constructor(client: DynamoDBDocumentClient, tableName: string, options: { cacheSeconds?: number; clock?: () => number } = {}) {
    this.client = client;
    this.tableName = tableName;
    this.cacheMs = (options.cacheSeconds ?? COUNT_CACHE_SECONDS) * 1000;
    this.clock = options.clock ?? Date.now;
  }

  async counted(warehouseId: string, day: string): Promise<number> {
    const key = `${warehouseId} ${day}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > this.clock()) return cached.count;
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.warehouseDay(warehouseId, day),
        ProjectionExpression: 'notifications',
      }),
    );
    const count = Item ? decodeNotificationCount(Item).notifications : 0;
    // One entry per warehouse: yesterday's goes when today's is read.
    for (const stale of this.cache.keys()) if (stale.startsWith(`${warehouseId} `)) this.cache.delete(stale);
    this.cache.set(key, { count, until: this.clock() + this.cacheMs });
    return count;
  }

  async add(warehouseId: string, day: string, count: number): Promise<number> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.warehouseDay(warehouseId, day),
        UpdateExpression: 'ADD notifications :count SET entity = :entity, warehouseId = :warehouse, expiresAt = :expiresAt',
        ExpressionAttributeValues: {
          ':count': count,
          ':entity': 'notification-count',
          ':warehouse': warehouseId,
          ':expiresAt': Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + KEEP_SECONDS,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return decodeNotificationCount(Attributes ?? {}).notifications;
  }
}
