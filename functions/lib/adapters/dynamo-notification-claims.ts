import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type DeliveryReport, statusesBefore } from '#domain/delivery-status.ts';
import { estimateKey } from '#domain/estimated-delivery.ts';
import { mayFallBack } from '#domain/fallback-policy.ts';
import { idDigest } from '#domain/id-digest.ts';
import type { NotificationMessage } from '#domain/notification-message.ts';
import { REVISED_DATE, revisedDateStatus } from '#domain/notification-policy.ts';
import type { ClaimResult, ClaimState, NotificationClaims, NotificationSuppressions, Settlement } from '#domain/notification-ports.ts';
import { stallIdOf, stallNotificationStatus } from '#domain/stall-alerts.ts';
import { keys, SORT_KEY } from './keys.ts';
import { decodeClaimState, LEGACY_CLAIMED_OUTCOME } from './stored-items.ts';

/** Longer than a sender's timeout (an honest holder finishes), shorter than the queues' visibility timeout. */
export const DEFAULT_LEASE_SECONDS = 30;

type Key = { PK: string; SK: string };

/** Where a notification's claim lives: in its shipment's partition, its order's (a combined message) or its wallet's. */
export function claimKeyOf(message: NotificationMessage): Key {
  if (message.order && message.shipment) {
    return keys.orderNotification(message.owner, message.order.orderId, message.shipment.status, message.channel);
  }
  if (message.shipment && message.eventType === STALLED && message.stalledSince) {
    const stallId = stallIdOf({ status: message.shipment.status, statusTime: message.stalledSince });
    return keys.notification(message.shipment.shipmentId, stallNotificationStatus(stallId), message.channel);
  }
  if (message.shipment && message.eventType === REVISED_DATE && message.shipment.estimatedDelivery) {
    return keys.notification(
      message.shipment.shipmentId,
      revisedDateStatus(estimateKey(message.shipment.estimatedDelivery)),
      message.channel,
    );
  }
  if (message.shipment) return keys.notification(message.shipment.shipmentId, message.shipment.status, message.channel, message.episode);
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
  throw new Error(`notification ${idDigest(message.notificationId)} has neither a shipment nor a wallet`);
}

/**
 * The claim's name for the provider, which echoes it on every receipt: its key, `PK|SK` (key parts
 * are URI-encoded, so neither holds a `|`). Receipts need no lookup to find their claim, even when
 * they arrive before the sender has recorded the provider's message id.
 */
export function claimReference(key: Key): string {
  return `${key.PK}|${key.SK}`;
}

/** The claim a reference names; undefined for anything that is not a notification claim's key. */
export function claimKeyOfReference(reference: string): Key | undefined {
  const [PK, SK, extra] = reference.split('|');
  if (!PK || !SK || extra !== undefined || !SK.startsWith(SORT_KEY.notificationPrefix)) return undefined;
  if (!PK.startsWith('SHIPMENT#') && !PK.startsWith('WALLET#') && !PK.startsWith('ORDER#')) return undefined;
  return { PK, SK };
}

const STALLED = 'shipment.stalled';

function statusOf(message: NotificationMessage): string {
  if (message.eventType === STALLED) return 'stalled';
  if (message.eventType === REVISED_DATE) return 'delivery_date_changed';
  return message.shipment?.status ?? message.eventType.replace(/^wallet\./, '');
}

/** A status message's episode (when the status was entered), kept on its claim so GET lists a status's messages in time order. */
function episodeOf(message: NotificationMessage): string | undefined {
  const isStatusMessage = message.shipment && !message.order && message.eventType === `shipment.${message.shipment.status}`;
  return isStatusMessage ? message.episode : undefined;
}

/** What a claim keeps of a message to fall back with: everything but where it was going. */
function keptMessage(message: NotificationMessage): string {
  const { recipient: _recipient, ...kept } = message;
  return JSON.stringify(kept);
}

/**
 * Claims in the single table, one item per notification (keys.ts), carrying its delivery status
 * (domain/delivery-status.ts) in `outcome`: `claimed` with `leaseUntil` while a sender holds it,
 * then `sent`, `suppressed` or `failed`, then what the provider's receipts say. Every write moves
 * the status forward only, so a receipt that lands before the sender's own settle write is kept.
 * The attributes (status, channel, outcome, updatedAt, reason, providerMessageId, sentAt, finalAt,
 * fallbackFrom; orderId and shipmentIds for a combined message) are what GET /v1/shipments/{id}
 * lists as notifications.
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
    const keep = mayFallBack(message);
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression:
            'SET entity = :entity, #status = :status, channel = :channel, notificationId = :id, outcome = :claimed, ' +
            'leaseUntil = :leaseUntil, claimToken = :token, updatedAt = :now, claimedAt = if_not_exists(claimedAt, :now), ' +
            `attempts = if_not_exists(attempts, :zero) + :one${keep ? ', message = :message' : ''}` +
            `${message.fallbackFrom ? ', fallbackFrom = :fallbackFrom' : ''}${episodeOf(message) ? ', statusTime = :statusTime' : ''}` +
            // A combined message names its parcels, so each parcel's GET /v1/shipments/{id} finds it under the order.
            `${message.order ? ', orderId = :orderId, shipmentIds = :parcels' : ''}`,
          // New, or claimed with a lease that ran out (its holder crashed or gave it up).
          ConditionExpression: 'attribute_not_exists(PK) OR (outcome IN (:claimed, :legacyClaimed) AND leaseUntil <= :nowMs)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':entity': 'notification',
            ':status': statusOf(message),
            ':channel': message.channel,
            ':id': message.notificationId,
            ':claimed': 'claimed',
            ':legacyClaimed': LEGACY_CLAIMED_OUTCOME,
            ':leaseUntil': now.getTime() + this.leaseSeconds * 1000,
            ':token': token,
            ':now': now.toISOString(),
            ':nowMs': now.getTime(),
            ':zero': 0,
            ':one': 1,
            ...(keep ? { ':message': keptMessage(message) } : {}),
            ...(message.fallbackFrom ? { ':fallbackFrom': message.fallbackFrom } : {}),
            ...(message.order
              ? { ':orderId': message.order.orderId, ':parcels': message.order.parcels.map((parcel) => parcel.shipmentId) }
              : {}),
            ...(episodeOf(message) ? { ':statusTime': episodeOf(message) } : {}),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', token, attempt: Number(Attributes?.attempts ?? 1), reference: claimReference(Key) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = error.Item ? unmarshall(error.Item) : await this.read(Key);
      // Gone since the condition failed (it never is: claims are not deleted) counts as held: the message comes back.
      const status = current ? decodeClaimState(current).status : 'claimed';
      return status === 'claimed' ? { kind: 'held' } : { kind: 'settled', status };
    }
  }

  async settle(message: NotificationMessage, token: string, settlement: Settlement, now: Date): Promise<void> {
    const values: Record<string, unknown> = { ':now': now.toISOString() };
    const set = ['updatedAt = :now'];
    const remove = ['leaseUntil', 'claimToken'];
    if (settlement.providerMessageId) {
      set.push('providerMessageId = :messageId', 'sentAt = :now');
      values[':messageId'] = settlement.providerMessageId;
    }
    const because = settlement.suppressedBecause;
    const outcome = {
      set: [
        'outcome = :outcome',
        ...(settlement.status === 'sent' ? [] : ['finalAt = :now']),
        ...(settlement.reason ? ['reason = :reason'] : []),
        ...(because ? ['suppressedBecause = :because'] : []),
        ...(settlement.status === 'failed' ? ['permanent = :true'] : []),
      ],
      values: {
        ':outcome': settlement.status,
        ':claimed': 'claimed',
        ...(settlement.reason ? { ':reason': settlement.reason } : {}),
        ...(because ? { ':because': because } : {}),
        ...(settlement.status === 'failed' ? { ':true': true } : {}),
      },
    };
    const written = await this.fenced(message, token, {
      UpdateExpression: `SET ${[...set, ...outcome.set].join(', ')} REMOVE ${[...remove, ...(settlement.reason ? [] : ['reason'])].join(', ')}`,
      ExpressionAttributeValues: { ...values, ...outcome.values },
      ConditionExpression: 'outcome = :claimed',
    });
    // A receipt came first and moved the status on: keep it, record only what the sender knows.
    if (!written) {
      await this.fenced(message, token, {
        UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
        ExpressionAttributeValues: values,
      });
    }
  }

  async release(message: NotificationMessage, token: string, now: Date, reason: string): Promise<void> {
    await this.fenced(message, token, {
      UpdateExpression: 'SET leaseUntil = :zero, updatedAt = :now, reason = :reason',
      ExpressionAttributeValues: { ':zero': 0, ':now': now.toISOString(), ':reason': reason },
    });
  }

  async report(reference: string, report: DeliveryReport, now: Date): Promise<{ applied: boolean; claim: ClaimState } | undefined> {
    const Key = claimKeyOfReference(reference);
    if (!Key) return undefined;
    const before = statusesBefore(report.status);
    const placeholders = before.map((_, index) => `:before${index}`);
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression:
            'SET outcome = :outcome, reason = :reason, permanent = :permanent, finalAt = :at, updatedAt = :now, ' +
            'providerMessageId = if_not_exists(providerMessageId, :messageId)',
          ConditionExpression: `entity = :entity AND outcome IN (${[...placeholders, ':legacyClaimed'].join(', ')})`,
          ExpressionAttributeValues: {
            ':outcome': report.status,
            ':reason': report.reason,
            ':permanent': report.permanent,
            ':at': report.at,
            ':now': now.toISOString(),
            ':messageId': report.providerMessageId,
            ':entity': 'notification',
            ':legacyClaimed': LEGACY_CLAIMED_OUTCOME,
            ...Object.fromEntries(before.map((status, index) => [`:before${index}`, status])),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, claim: decodeClaimState(Attributes) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Already as far or further (a repeated or older receipt), or no claim of ours at all.
      const current = error.Item ? unmarshall(error.Item) : undefined;
      if (current?.entity !== 'notification') return undefined;
      return { applied: false, claim: decodeClaimState(current) };
    }
  }

  /** The stream router's daily cap: the notification ends `suppressed` before any sender sees it (a claim it already has is kept). */
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
            ...(episodeOf(message) ? { statusTime: episodeOf(message) } : {}),
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

  /** Writes only while `token` still holds the claim; a holder whose lease was taken over changes nothing. Answers whether it wrote. */
  private async fenced(
    message: NotificationMessage,
    token: string,
    update: { UpdateExpression: string; ExpressionAttributeValues: Record<string, unknown>; ConditionExpression?: string },
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: claimKeyOf(message),
          UpdateExpression: update.UpdateExpression,
          ConditionExpression: `claimToken = :token${update.ConditionExpression ? ` AND ${update.ConditionExpression}` : ''}`,
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':token': token },
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return false;
    }
  }

  private async read(Key: Key): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }));
    return Item;
  }
}
