import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OrderSize, OrderWindows, WindowJoin } from '#domain/ports.ts';
import { keys } from './keys.ts';

/**
 * A split order's items (docs/data-model.md, "Orders"): `ORDER#<owner>#<orderId> / ORDER` holds
 * the set of its shipment ids (so a replayed record counts a shipment once), and
 * `/ WINDOW#<status>` the members of that status's window (and the status episodes they joined
 * with) and, once closed, `closedAt` (and `publishedAt` once its messages went). A join is
 * conditional on the window being open (or the shipment's episode a member already), so a member
 * either is in the set the closing read answers or is told `closed` and gets its own message:
 * never both, never neither. The ORDER item also keeps
 * the largest `parcelCount` its shipments gave.
 */
export class DynamoOrderWindows implements OrderWindows {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async addShipment(owner: string, orderId: string, shipmentId: string, parcelCount?: number): Promise<number> {
    const add = (count: number | undefined) =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.order(owner, orderId),
          UpdateExpression: `SET entity = :entity, #owner = :owner, orderId = :order${count === undefined ? '' : ', parcelCount = :count'} ADD shipmentIds :id`,
          // The largest count given wins: a smaller one never lets a window close before a parcel it was told of.
          ...(count === undefined ? {} : { ConditionExpression: 'attribute_not_exists(parcelCount) OR parcelCount <= :count' }),
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':entity': 'order',
            ':owner': owner,
            ':order': orderId,
            ':id': new Set([shipmentId]),
            ...(count === undefined ? {} : { ':count': count }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
    let result: Awaited<ReturnType<typeof add>>;
    try {
      result = await add(parcelCount);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      result = await add(undefined);
    }
    return (result.Attributes?.shipmentIds as Set<string> | undefined)?.size ?? 0;
  }

  async size(owner: string, orderId: string): Promise<OrderSize> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.order(owner, orderId),
        ProjectionExpression: 'shipmentIds, parcelCount',
        ConsistentRead: true,
      }),
    );
    const shipments = (result.Item?.shipmentIds as Set<string> | undefined)?.size ?? 0;
    const parcelCount = result.Item?.parcelCount;
    return typeof parcelCount === 'number' ? { shipments, parcelCount } : { shipments };
  }

  async join(owner: string, orderId: string, status: string, shipmentId: string, episode: string): Promise<WindowJoin> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.orderWindow(owner, orderId, status),
          // owner, orderId and status say which window it is to whoever lists them (the local dashboard).
          UpdateExpression:
            'SET entity = :entity, #owner = :owner, orderId = :order, #status = :status ADD members :id, episodes :episodes',
          // A member's episode joins again harmlessly after the close (a replayed record): the combined
          // message names it. Another episode of a member (the status entered again) is news the
          // closed window never told: not joined. A window from before episodes knows members only.
          ConditionExpression:
            'attribute_not_exists(closedAt) OR contains(episodes, :episode) OR (attribute_not_exists(episodes) AND contains(members, :member))',
          ExpressionAttributeNames: { '#owner': 'owner', '#status': 'status' },
          ExpressionAttributeValues: {
            ':entity': 'order-window',
            ':owner': owner,
            ':order': orderId,
            ':status': status,
            ':id': new Set([shipmentId]),
            ':member': shipmentId,
            ':episodes': new Set([memberEpisode(shipmentId, episode)]),
            ':episode': memberEpisode(shipmentId, episode),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { joined: true, members: (result.Attributes?.members as Set<string> | undefined)?.size ?? 1 };
    } catch (error) {
      if (isConditionFailure(error)) return { joined: false };
      throw error;
    }
  }

  async close(owner: string, orderId: string, status: string, closedAt: string): Promise<{ members: string[]; publishedAt?: string }> {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.orderWindow(owner, orderId, status),
        UpdateExpression: 'SET entity = :entity, closedAt = if_not_exists(closedAt, :at)',
        ExpressionAttributeValues: { ':entity': 'order-window', ':at': closedAt },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const members = [...((result.Attributes?.members as Set<string> | undefined) ?? [])].sort();
    const publishedAt = result.Attributes?.publishedAt;
    return typeof publishedAt === 'string' ? { members, publishedAt } : { members };
  }

  async markPublished(owner: string, orderId: string, status: string, at: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.orderWindow(owner, orderId, status),
        UpdateExpression: 'SET publishedAt = if_not_exists(publishedAt, :at)',
        // Only a closed window: never leaves a published mark on a window that is still taking members.
        ConditionExpression: 'attribute_exists(closedAt)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }
}

/** One member's episode in the window's `episodes` set: a JSON pair, as ids may hold any separator. */
function memberEpisode(shipmentId: string, episode: string): string {
  return JSON.stringify([shipmentId, episode]);
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';
}
