import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { NotificationMessage } from '#domain/notification-message.ts';
import type { ClaimResult, FinalOutcome, NotificationClaims, NotificationSuppressions } from '#domain/notification-ports.ts';
import { keys } from './keys.ts';
import { decodeClaimOutcome } from './stored-items.ts';

/** Longer than a sender's timeout (an honest holder finishes), shorter than the queues' visibility timeout. */
export const DEFAULT_LEASE_SECONDS = 30;

/** Where a notification's claim lives: in its shipment's partition, or its wallet's. */
export function claimKeyOf(message: NotificationMessage): { PK: string; SK: string } {
  if (message.shipment) return keys.notification(message.shipment.shipmentId, message.shipment.status, message.channel);
  if (message.wallet) {
    const prefix = `wallet#${message.wallet.walletId}#`;
    const suffix = `#${message.channel}`;
    const id = message.notificationId;
    const reconciliation =
      id.startsWith(prefix) && id.endsWith(suffix) && id.length > prefix.length + suffix.length
        ? id.slice(prefix.length, -suffix.length)
        : id;
    return keys.walletNotification(message.wallet.walletId, reconciliation, message.channel);
  }
  throw new Error(`notification ${message.notificationId} has neither a shipment nor a wallet`);
}

function statusOf(message: NotificationMessage): string {
  return message.shipment?.status ?? message.eventType.replace(/^wallet\./, '');
}

/**
 * Claims in the single table, one item per notification (keys.ts): `pending` with `leaseUntil`
 * while a sender holds it, then `sent`, `opted_out` or `failed`. The attributes (status, channel,
 * outcome, updatedAt, reason) are what GET /v1/shipments/{id} lists as notifications.
 */
export class DynamoNotificationClaims implements NotificationClaims, NotificationSuppressions {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly leaseSeconds: number;

  constructor(client: DynamoDBDocumentClient, tableName: string, leaseSeconds = DEFAULT_LEASE_SECONDS) {
    this.client = client;
    this.tableName = tableName;
    this.leaseSeconds = leaseSeconds;
  }

  async claim(message: NotificationMessage, now: Date): Promise<ClaimResult> {
    const token = randomUUID();
    const Key = claimKeyOf(message);
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression:
            'SET entity = :entity, #status = :status, channel = :channel, notificationId = :id, outcome = :pending, ' +
            'leaseUntil = :leaseUntil, claimToken = :token, updatedAt = :now, attempts = if_not_exists(attempts, :zero) + :one',
          // New, or pending with a lease that ran out (its holder crashed or gave it up).
          ConditionExpression: 'attribute_not_exists(PK) OR (outcome = :pending AND leaseUntil <= :nowMs)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':entity': 'notification',
            ':status': statusOf(message),
            ':channel': message.channel,
            ':id': message.notificationId,
            ':pending': 'pending',
            ':leaseUntil': now.getTime() + this.leaseSeconds * 1000,
            ':token': token,
            ':now': now.toISOString(),
            ':nowMs': now.getTime(),
            ':zero': 0,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', token, attempt: Number(Attributes?.attempts ?? 1) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = error.Item ? unmarshall(error.Item) : await this.read(Key);
      // Gone since the condition failed (it never is: claims are not deleted) counts as held: the message comes back.
      const outcome = current ? decodeClaimOutcome(current).outcome : 'pending';
      return outcome === 'pending' ? { kind: 'held' } : { kind: 'settled', outcome };
    }
  }

  async settle(message: NotificationMessage, token: string, outcome: FinalOutcome, now: Date, reason?: string): Promise<void> {
    await this.fenced(message, token, {
      UpdateExpression: `SET outcome = :outcome, updatedAt = :now${reason ? ', reason = :reason' : ''} REMOVE leaseUntil, claimToken${reason ? '' : ', reason'}`,
      ExpressionAttributeValues: { ':outcome': outcome, ':now': now.toISOString(), ...(reason ? { ':reason': reason } : {}) },
    });
  }

  async release(message: NotificationMessage, token: string, now: Date, reason: string): Promise<void> {
    await this.fenced(message, token, {
      UpdateExpression: 'SET leaseUntil = :zero, updatedAt = :now, reason = :reason',
      ExpressionAttributeValues: { ':zero': 0, ':now': now.toISOString(), ':reason': reason },
    });
  }

  async suppress(message: NotificationMessage, reason: string, now: Date): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...claimKeyOf(message),
            entity: 'notification',
            status: statusOf(message),
            channel: message.channel,
            notificationId: message.notificationId,
            outcome: 'suppressed',
            reason,
            updatedAt: now.toISOString(),
            attempts: 0,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Writes only while `token` still holds the claim; a holder whose lease was taken over changes nothing. */
  private async fenced(
    message: NotificationMessage,
    token: string,
    update: { UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown> },
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: claimKeyOf(message),
          ...update,
          ConditionExpression: 'claimToken = :token',
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':token': token },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private async read(Key: { PK: string; SK: string }): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }));
    return Item;
  }
}
