import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { ShipmentEvent } from '#domain/cloud-events.ts';
import type { RecordOutcome, ShipmentStore, StoredShipment } from '#domain/ports.ts';
import { applyEvent, type Shipment, ShipmentHistoryFullError } from '#domain/shipment.ts';
import { eventRecordPut } from './event-record.ts';
import { keys, SORT_KEY } from './keys.ts';
import { decodeNotificationRecord, decodeOwner, decodeShipment, decodeShipmentVersion } from './stored-items.ts';
import { writeEventTransaction } from './transactions.ts';

/** A shipment aggregate as this adapter knows it: the aggregate and the version its optimistic lock checks. */
interface VersionedShipment {
  shipment: Shipment;
  version: number;
  /** The warehouse that first wrote it (absent on aggregates written before owners were recorded). */
  owner: string | undefined;
}

/**
 * DynamoDB items hold at most 400 KB. The aggregate keeps its whole timeline, so a shipment with
 * hundreds of large events would outgrow it and every later event would fail on the server;
 * past this margin the event is refused as the client's (a 400) instead.
 */
const MAX_AGGREGATE_BYTES = 380 * 1024;

/** How many aggregates a container remembers having written (see `lastWritten`). */
const REMEMBERED_AGGREGATES = 1000;

/** Shipment aggregates in the single table, written with an optimistic lock on `version`. */
export class DynamoShipmentStore implements ShipmentStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  /**
   * The aggregates this container wrote last. The next event of the same shipment (the rest of a
   * batch, a warehouse posting in order) starts from it instead of reading first (see firstGuess).
   */
  private readonly lastWritten = new Map<string, VersionedShipment>();

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async recordShipmentEvent(event: ShipmentEvent, owner: string): Promise<RecordOutcome> {
    let attempt = 0;
    let written: VersionedShipment | undefined;
    const outcome = await writeEventTransaction(this.client, async () => {
      attempt += 1;
      const current = attempt === 1 ? await this.firstGuess(event) : await this.readAggregate(event.data.shipmentId);
      const next = applyEvent(current?.shipment, event);
      const version = (current?.version ?? 0) + 1;
      // The first writer owns the shipment; whose notification cap its messages count against.
      const itemOwner = current ? current.owner : owner;
      const item = {
        ...keys.shipment(next.shipmentId),
        entity: 'shipment',
        ...next,
        owner: itemOwner,
        version,
        updatedAt: new Date().toISOString(),
      };
      if (Buffer.byteLength(JSON.stringify(item)) > MAX_AGGREGATE_BYTES) {
        throw new ShipmentHistoryFullError(
          `shipment ${next.shipmentId} holds as much history as one shipment can (${next.timeline.length - 1} events)`,
        );
      }
      written = { shipment: next, version, owner: itemOwner };
      return {
        TransactItems: [
          eventRecordPut(this.tableName, event, keys.shipmentPartition(next.shipmentId)),
          {
            Put: {
              TableName: this.tableName,
              Item: item,
              ...(current
                ? {
                    ConditionExpression: '#version = :expected',
                    ExpressionAttributeNames: { '#version': 'version' },
                    ExpressionAttributeValues: { ':expected': current.version },
                  }
                : { ConditionExpression: 'attribute_not_exists(PK)' }),
            },
          },
        ],
      };
    });
    if (outcome === 'written' && written) this.remember(written);
    if (event.type === 'shipment.created') await this.rememberCustomer(event, outcome === 'written');
    return outcome === 'written' ? 'accepted' : 'duplicate';
  }

  /**
   * The aggregate a first attempt builds on without a read where it can: the one this container
   * wrote last, or none at all for `shipment.created` (a shipment's first event, nearly always).
   * A wrong guess costs only a retry: the write is conditional on the version (or on there being
   * no aggregate), so it is cancelled and the next attempt reads the table.
   */
  private async firstGuess(event: ShipmentEvent): Promise<VersionedShipment | undefined> {
    const remembered = this.lastWritten.get(event.data.shipmentId);
    if (remembered || event.type === 'shipment.created') return remembered;
    return this.readAggregate(event.data.shipmentId);
  }

  private remember(written: VersionedShipment): void {
    this.lastWritten.delete(written.shipment.shipmentId);
    this.lastWritten.set(written.shipment.shipmentId, written);
    if (this.lastWritten.size > REMEMBERED_AGGREGATES) {
      const oldest = this.lastWritten.keys().next().value as string;
      this.lastWritten.delete(oldest);
    }
  }

  /**
   * Keeps the customer's newest contact details (by event time) for messages that no shipment
   * carries, such as a confirmed wallet balance. Outside the event transaction so an older
   * shipment.created arriving late can be ignored without failing the event. A duplicate only
   * fills a missing profile (a crash between the two writes, mended by the warehouse's retry):
   * a repeated event never changes what is stored.
   */
  private async rememberCustomer(event: Extract<ShipmentEvent, { type: 'shipment.created' }>, isNew: boolean): Promise<void> {
    const profileTime = new Date(event.time).toISOString();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.customer(event.data.customer.id), entity: 'customer', ...event.data.customer, profileTime },
          ...(isNew
            ? {
                ConditionExpression: 'attribute_not_exists(PK) OR profileTime <= :profileTime',
                ExpressionAttributeValues: { ':profileTime': profileTime },
              }
            : { ConditionExpression: 'attribute_not_exists(PK)' }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async getShipment(shipmentId: string): Promise<StoredShipment | undefined> {
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': keys.shipmentPartition(shipmentId) },
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    const aggregate = items.find((item) => item.SK === SORT_KEY.shipment);
    if (!aggregate) return undefined;
    const notifications = items
      .filter((item) => String(item.SK).startsWith(SORT_KEY.notificationPrefix))
      .map((item) => decodeNotificationRecord(item));
    return { shipment: decodeShipment(aggregate), notifications };
  }

  private async readAggregate(shipmentId: string): Promise<VersionedShipment | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.shipment(shipmentId), ConsistentRead: true }),
    );
    return Item
      ? { shipment: decodeShipment(Item), version: decodeShipmentVersion(Item).version, owner: decodeOwner(Item).owner }
      : undefined;
  }
}
