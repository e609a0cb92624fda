import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OrderWindows } from '#domain/ports.ts';
import { keys } from './keys.ts';

/**
 * A split order's items (docs/data-model.md, "Orders"): `ORDER#<owner>#<orderId> / ORDER` holds
 * the set of its shipment ids (so a replayed record counts a shipment once), and
 * `/ WINDOW#<status>` the members of that status's window and, once closed, `closedAt`. A join
 * is conditional on the window being open, so a member either is in the set the closing read
 * answers or is told `closed` and gets its own message: never both, never neither.
 */
export class DynamoOrderWindows implements OrderWindows {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async addShipment(owner: string, orderId: string, shipmentId: string): Promise<number> {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.order(owner, orderId),
        UpdateExpression: 'SET entity = :entity, #owner = :owner, orderId = :order ADD shipmentIds :id',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':entity': 'order', ':owner': owner, ':order': orderId, ':id': new Set([shipmentId]) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return (result.Attributes?.shipmentIds as Set<string> | undefined)?.size ?? 0;
  }

  async shipmentCount(owner: string, orderId: string): Promise<number> {
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.order(owner, orderId),
        ProjectionExpression: 'shipmentIds',
        ConsistentRead: true,
      }),
    );
    return (result.Item?.shipmentIds as Set<string> | undefined)?.size ?? 0;
  }

  async join(owner: string, orderId: string, status: string, shipmentId: string): Promise<'joined' | 'closed'> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.orderWindow(owner, orderId, status),
          UpdateExpression: 'SET entity = :entity ADD members :id',
          ConditionExpression: 'attribute_not_exists(closedAt)',
          ExpressionAttributeValues: { ':entity': 'order-window', ':id': new Set([shipmentId]) },
        }),
      );
      return 'joined';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return 'closed';
      throw error;
    }
  }

  async close(owner: string, orderId: string, status: string, closedAt: string): Promise<string[]> {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.orderWindow(owner, orderId, status),
        UpdateExpression: 'SET entity = :entity, closedAt = if_not_exists(closedAt, :at)',
        ExpressionAttributeValues: { ':entity': 'order-window', ':at': closedAt },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return [...((result.Attributes?.members as Set<string> | undefined) ?? [])].sort();
  }
}
