import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, paginatedBatchGet, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { contentDigest, type ShipmentEvent } from '#domain/cloud-events.ts';
import { ContentionError, IdReusedError, NotYoursError } from '#domain/errors.ts';
import { idDigest } from '#domain/id-digest.ts';
import { keyProblem } from '#domain/key-limits.ts';
import type { HistoryPage, NotificationRecord, RecordOutcome, ShipmentStates, ShipmentStore, StoredShipment } from '#domain/ports.ts';
import { backoff, type RetryPolicy } from '#domain/retry.ts';
import { type Receipt, type ShipmentEntry, type ShipmentState, timelineKey, toShipmentEntry } from '#domain/shipment.ts';
import { recordEntry } from '#domain/status-episodes.ts';
import { eventSortKeyOf, keys, SORT_KEY, TIMELINE_INDEX } from './keys.ts';
import {
  decodeNotificationRecord,
  decodeShipmentEntry,
  decodeShipmentOwner,
  decodeShipmentState,
  decodeShipmentVersion,
  encodeMarks,
  encodeStatusEntries,
  storedContentDigest,
} from './stored-items.ts';

/** A shipment's state as this adapter knows it: the state and the version its optimistic lock checks. */
interface VersionedState {
  state: ShipmentState;
  version: number;
}

/** How many states a container remembers having written (see `lastWritten`). */
const REMEMBERED_STATES = 1000;

/** Concurrent writers of one state: eight tries, waits of up to 20, 40, … 1280 ms between them. */
const CONTENTION: RetryPolicy = { attempts: 8, baseDelayMs: 20 };

/** DynamoDB allows at most 100 keys per BatchGetItem. */
const BATCH_GET_LIMIT = 100;

/** The error a conditional write answers, with the item it found when it was asked for it (ALL_OLD). */
function conditionFailure(error: unknown): { item: Record<string, unknown> | undefined } | undefined {
  if (!(error instanceof ConditionalCheckFailedException)) return undefined;
  return { item: error.Item ? unmarshall(error.Item) : undefined };
}

function assertKey(key: { PK: string; SK?: string }, what: string): void {
  // The schemas and the warehouse id's bound make this impossible; a key DynamoDB would refuse is never sent.
  const problem = keyProblem(key);
  if (problem) throw new RangeError(`${what}: ${problem}`);
}

/**
 * Shipments in the single table (docs/data-model.md): one item per event in the shipment's
 * partition, which is the event's idempotency record and its place in the history (ordered by
 * the `Timeline` index), and one small item with the current state. An event is two single writes,
 * no transaction: the event item, guarded by `attribute_not_exists`, and the state, merged with
 * `mergeEvent` (commutative, idempotent; `recordEntry` also counts an entry into a status, for
 * the bound on status messages) and written conditionally on its version. A crash
 * between the two is repaired by the warehouse's resend: the duplicate is merged again.
 */
export class DynamoShipmentStore implements ShipmentStore, ShipmentStates {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  /**
   * The states this container wrote last. The next event of the same shipment (the rest of a
   * batch, a warehouse posting in order) starts from it instead of reading first, and knows its
   * owner without asking (an owner never changes).
   */
  private readonly lastWritten = new Map<string, VersionedState>();

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async shipmentOwners(shipmentIds: readonly string[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    const unknown: string[] = [];
    for (const shipmentId of new Set(shipmentIds)) {
      const remembered = this.lastWritten.get(shipmentId);
      if (remembered) owners.set(shipmentId, remembered.state.owner);
      else unknown.push(shipmentId);
    }
    for (let start = 0; start < unknown.length; start += BATCH_GET_LIMIT) {
      // lib-dynamodb's paginator sends the UnprocessedKeys of each response again until none are left.
      const pages = paginatedBatchGet(
        { client: this.client },
        {
          RequestItems: {
            [this.tableName]: {
              Keys: unknown.slice(start, start + BATCH_GET_LIMIT).map((id) => keys.shipment(id)),
              ProjectionExpression: 'shipmentId, #owner',
              ExpressionAttributeNames: { '#owner': 'owner' },
              ConsistentRead: true,
            },
          },
        },
      );
      for await (const page of pages) {
        for (const item of page.Responses?.[this.tableName] ?? []) {
          const { shipmentId, owner } = decodeShipmentOwner(item);
          owners.set(shipmentId, owner);
        }
      }
    }
    return owners;
  }

  async recordShipmentEvent(event: ShipmentEvent, owner: string, receipt: Receipt): Promise<RecordOutcome> {
    const entry = toShipmentEntry(event, owner, receipt);
    let current = await this.firstGuess(entry);
    if (!current) {
      // The shipment's first event claims it for its warehouse: the state is created before the
      // event item, so another warehouse's event can never be stored in it, even for a moment.
      const first = recordEntry(undefined, entry);
      const created = await this.createState(first);
      if (created.won) {
        const stored = await this.putEvent(entry, event);
        // Stored before its shipment's state existed: only if the state was deleted by hand since.
        if (stored) await this.mergeIntoState({ state: first, version: 1 }, stored);
        return stored ? 'duplicate' : 'accepted';
      }
      current = created.existing;
    }
    if (current.state.owner !== owner)
      throw new NotYoursError(`shipment ${idDigest(String(entry.data.shipmentId))} belongs to another warehouse`);
    const stored = await this.putEvent(entry, event);
    // A repeat is merged too, as first received: it mends a state that a crash left without it.
    await this.mergeIntoState(current, stored ?? entry);
    return stored ? 'duplicate' : 'accepted';
  }

  /**
   * The state a first attempt builds on without a read where it can: the one this container wrote
   * last, or none at all for `shipment.created` (a shipment's first event, nearly always). A wrong
   * guess costs only a failed conditional write, which answers the stored state (ALL_OLD).
   */
  private async firstGuess(entry: ShipmentEntry): Promise<VersionedState | undefined> {
    const shipmentId = String(entry.data.shipmentId);
    const remembered = this.lastWritten.get(shipmentId);
    if (remembered || entry.status === 'created') return remembered;
    return this.readState(shipmentId);
  }

  private async createState(state: ShipmentState): Promise<{ won: true } | { won: false; existing: VersionedState }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: stateItem(state, 1),
          ConditionExpression: 'attribute_not_exists(PK)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      this.remember({ state, version: 1 });
      return { won: true };
    } catch (error) {
      const failure = conditionFailure(error);
      if (!failure) throw error;
      const existing = failure.item ? versioned(failure.item) : await this.readState(state.shipmentId);
      // A state is never deleted; gone again would be a table emptied by hand.
      if (!existing) throw new ContentionError(`shipment ${idDigest(state.shipmentId)} vanished while it was being created`);
      return { won: false, existing };
    }
  }

  /**
   * Puts the event item; answers the entry already stored under its key (a repeat), or undefined when
   * it is new. A repeat with other content (its digest differs) is an id reused: IdReusedError, with
   * nothing written. The failed put answers the stored item, so telling them apart costs no read.
   */
  private async putEvent(entry: ShipmentEntry, event: ShipmentEvent): Promise<ShipmentEntry | undefined> {
    const key = keys.shipmentEvent(String(entry.data.shipmentId), entry.owner, entry.source, entry.id);
    assertKey(key, 'event item key');
    assertKey({ PK: key.PK, SK: timelineKey(entry) }, 'timeline key');
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: eventItem(entry, event),
          ConditionExpression: 'attribute_not_exists(PK)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return undefined;
    } catch (error) {
      const failure = conditionFailure(error);
      if (!failure) throw error;
      const item = failure.item ?? (await this.read(key));
      if (!item)
        throw new ContentionError(
          `event ${idDigest(entry.id)} of shipment ${idDigest(String(entry.data.shipmentId))} vanished after its write failed`,
        );
      if (storedContentDigest(item) !== contentDigest(event)) {
        throw new IdReusedError(
          `event ${idDigest(entry.id)} of shipment ${idDigest(String(entry.data.shipmentId))} is stored with other content`,
        );
      }
      return decodeShipmentEntry(item);
    }
  }

  /** Merges the entry into the state and writes it if it changed, conditionally on the version it was merged into. */
  private async mergeIntoState(start: VersionedState, entry: ShipmentEntry): Promise<void> {
    let current = start;
    for (let attempt = 1; ; attempt++) {
      const next = recordEntry(current.state, entry);
      if (next === current.state) {
        this.remember(current);
        return;
      }
      const version = current.version + 1;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: stateItem(next, version),
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': current.version },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        this.remember({ state: next, version });
        return;
      } catch (error) {
        const failure = conditionFailure(error);
        if (!failure) throw error;
        this.lastWritten.delete(current.state.shipmentId);
        if (attempt >= CONTENTION.attempts) {
          throw new ContentionError(`state of shipment ${idDigest(current.state.shipmentId)} still contended after ${attempt} attempts`, {
            cause: error,
          });
        }
        const fresh = failure.item ? versioned(failure.item) : await this.readState(current.state.shipmentId);
        if (!fresh) throw new ContentionError(`shipment ${idDigest(current.state.shipmentId)} vanished while it was being written`);
        current = fresh;
        await backoff(CONTENTION, attempt);
      }
    }
  }

  private remember(written: VersionedState): void {
    this.lastWritten.delete(written.state.shipmentId);
    this.lastWritten.set(written.state.shipmentId, written);
    if (this.lastWritten.size > REMEMBERED_STATES) {
      const oldest = this.lastWritten.keys().next().value as string;
      this.lastWritten.delete(oldest);
    }
  }

  async currentState(shipmentId: string): Promise<{ state: ShipmentState; statusReceivedAt: string } | undefined> {
    const state = (await this.readState(shipmentId))?.state;
    if (!state) return undefined;
    // The status's own event, found from its timeline key (its mark), holds when it was received.
    const sortKey = eventSortKeyOf(state.marks.status);
    const item = sortKey ? await this.read({ PK: keys.shipmentPartition(shipmentId), SK: sortKey }) : undefined;
    if (!item) throw new Error(`the status event of shipment ${idDigest(shipmentId)} is missing`);
    return { state, statusReceivedAt: decodeShipmentEntry(item).receivedAt };
  }

  async getShipment(shipmentId: string, page: HistoryPage): Promise<StoredShipment | undefined> {
    const partition = keys.shipmentPartition(shipmentId);
    const after = page.after === undefined ? undefined : eventSortKeyOf(page.after);
    const [stateItem, history, notifications] = await Promise.all([
      this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.shipment(shipmentId) })),
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TIMELINE_INDEX.name,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': partition },
          ScanIndexForward: page.order === 'oldest',
          // One more than the page, to know whether another page follows without reading an empty one.
          Limit: page.limit + 1,
          ...(page.after !== undefined && after !== undefined
            ? { ExclusiveStartKey: { PK: partition, SK: after, [TIMELINE_INDEX.sortKey]: page.after } }
            : {}),
        }),
      ),
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :notification)',
          ExpressionAttributeValues: { ':pk': partition, ':notification': SORT_KEY.notificationPrefix },
        }),
      ),
    ]);
    if (!stateItem.Item) return undefined;
    const state = decodeShipmentState(stateItem.Item);
    const found = (history.Items ?? []).map((item) => decodeShipmentEntry(item));
    const entries = found.slice(0, page.limit);
    const last = entries.at(-1);
    // More follow when the query found one beyond the page, or stopped early at its 1 MB limit.
    const more = found.length > page.limit || history.LastEvaluatedKey !== undefined;
    return {
      state,
      entries,
      ...(more && last ? { nextAfter: timelineKey(last) } : {}),
      notifications: [
        ...(notifications.Items ?? []).map((item) => decodeNotificationRecord(item)),
        ...(await this.orderNotifications(state)),
      ],
    };
  }

  /**
   * The combined messages of the shipment's order that named it (docs/alerts.md, "Split orders"):
   * their claims live in the order's partition, under the shipment's owner, so only the owner's
   * order is ever read, and they carry their real delivery status.
   */
  private async orderNotifications(state: ShipmentState): Promise<NotificationRecord[]> {
    if (!state.orderId) return [];
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :notification)',
        ExpressionAttributeValues: { ':pk': keys.order(state.owner, state.orderId).PK, ':notification': SORT_KEY.notificationPrefix },
      }),
    );
    return (Items ?? [])
      .map((item) => decodeNotificationRecord(item))
      .filter((record) => record.order?.shipmentIds.includes(state.shipmentId));
  }

  private async readState(shipmentId: string): Promise<VersionedState | undefined> {
    const item = await this.read(keys.shipment(shipmentId));
    return item ? versioned(item) : undefined;
  }

  private async read(Key: { PK: string; SK: string }): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }));
    return Item;
  }
}

/**
 * The state item (`SHIPMENT#<id> / SHIPMENT`): the state's values, its marks stored once each
 * and its entries into each status as one short text (stored-items.ts), the version, and when it
 * was written (for operators; nothing reads it back).
 */
export function stateItem(state: ShipmentState, version: number): Record<string, unknown> {
  const { marks, statusTime: _derived, statusDetails, statusEntries, ...values } = state;
  const entries = encodeStatusEntries(statusEntries);
  return {
    ...keys.shipment(state.shipmentId),
    entity: 'shipment',
    ...values,
    ...(Object.keys(statusDetails).length > 0 ? { statusDetails } : {}),
    ...(entries ? { statusEntries: entries } : {}),
    ...encodeMarks(marks),
    version,
    updatedAt: new Date().toISOString(),
  };
}

/**
 * The event item (`SHIPMENT#<id> / EVENT#<warehouse>#<source>#<id>`): the CloudEvent as accepted,
 * its owner, when it was received, and its timeline key, which puts it in the `Timeline` index.
 */
export function eventItem(entry: ShipmentEntry, event: ShipmentEvent): Record<string, unknown> {
  return {
    ...keys.shipmentEvent(String(entry.data.shipmentId), entry.owner, entry.source, entry.id),
    entity: 'event',
    owner: entry.owner,
    [TIMELINE_INDEX.sortKey]: timelineKey(entry),
    receivedAt: entry.receivedAt,
    position: entry.position,
    event,
    contentDigest: contentDigest(event),
  };
}

function versioned(item: Record<string, unknown>): VersionedState {
  return { state: decodeShipmentState(item), version: decodeShipmentVersion(item).version };
}
