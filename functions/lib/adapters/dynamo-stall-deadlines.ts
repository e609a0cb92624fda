import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ScheduleChange, StallDeadlines } from '#domain/ports.ts';
import { keys } from './keys.ts';

/**
 * The stall timer's item (`SHIPMENT#<id> / STALL`): `dueAt`, the deadline a schedule is armed for
 * (absent when none is), and `alertedFor`, the last stall the customer was told about. Kept apart
 * from the state item, whose version is ingest's optimistic lock, and out of the stream router's
 * filter. Deadlines are ISO instants of one length, so they compare as text. Each write answers
 * the item as it was, which says whether a schedule exists to be moved or must be created.
 */
export class DynamoStallDeadlines implements StallDeadlines {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async bringForward(shipmentId: string, dueAt: string): Promise<ScheduleChange> {
    // `>=`, not `>`: a retried record whose write landed but whose schedule call failed arms again.
    const before = await this.update(shipmentId, 'SET entity = :entity, dueAt = :due', 'attribute_not_exists(dueAt) OR dueAt >= :due', {
      ':entity': 'stall',
      ':due': dueAt,
    });
    if (!before) return 'none';
    return typeof before.dueAt === 'string' ? 'move' : 'create';
  }

  async rearm(shipmentId: string, firedDueAt: string, dueAt: string): Promise<ScheduleChange> {
    const before = await this.update(
      shipmentId,
      'SET entity = :entity, dueAt = :due',
      'attribute_not_exists(dueAt) OR dueAt = :fired OR dueAt >= :due',
      { ':entity': 'stall', ':due': dueAt, ':fired': firedDueAt },
    );
    if (!before) return 'none';
    // The fired schedule deleted itself; one armed since for another deadline still exists.
    return typeof before.dueAt === 'string' && before.dueAt !== firedDueAt ? 'move' : 'create';
  }

  async end(shipmentId: string, firedDueAt: string): Promise<void> {
    await this.update(shipmentId, 'REMOVE dueAt', 'dueAt = :fired', { ':fired': firedDueAt });
  }

  async alerted(shipmentId: string, stallId: string): Promise<boolean> {
    const before = await this.update(
      shipmentId,
      'SET entity = :entity, alertedFor = :stall REMOVE dueAt',
      'attribute_not_exists(alertedFor) OR alertedFor <> :stall',
      { ':entity': 'stall', ':stall': stallId },
    );
    return before !== undefined;
  }

  /** The write, answering the item's attributes before it; undefined when its condition did not hold. */
  private async update(
    shipmentId: string,
    expression: string,
    condition: string,
    values: Record<string, string>,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.stall(shipmentId),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        }),
      );
      return Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}
