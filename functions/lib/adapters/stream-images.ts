import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { ShipmentChange, WalletChange } from '#domain/changes.ts';
import { SORT_KEY } from './keys.ts';
import { decodeShipmentState, decodeShipmentStatus, decodeWalletVersion, decodeWalletWrite, UnreadableItemError } from './stored-items.ts';

/**
 * The table's stream records, decoded into the changes the use cases react to. An image is
 * unmarshalled and checked like an item read from the table (stored-items.ts); a record that is
 * about another kind of item, or a removal, is no change of that kind (undefined). A record that
 * claims to be one but cannot be read throws UnreadableItemError naming its sequence number.
 */

type Image = Record<string, AttributeValue>;

// aws-lambda types the images with its own AttributeValue; the SDK's is the same wire shape.
function itemOf(image: unknown): Record<string, unknown> | undefined {
  return image ? unmarshall(image as Image) : undefined;
}

function sequenceOf(record: DynamoDBRecord): string {
  return String(record.dynamodb?.SequenceNumber);
}

function readable<T>(record: DynamoDBRecord, read: () => T): T {
  try {
    return read();
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new UnreadableItemError(`stream record ${sequenceOf(record)}: ${why}`, { cause: error });
  }
}

/** A shipment's state before and after one stream record; undefined for removals and other items. */
export function shipmentChangeOf(record: DynamoDBRecord): ShipmentChange | undefined {
  if (record.eventName === 'REMOVE') return undefined;
  return readable(record, () => {
    const after = itemOf(record.dynamodb?.NewImage);
    if (after?.SK !== SORT_KEY.shipment) return undefined;
    const before = itemOf(record.dynamodb?.OldImage);
    return {
      sequenceNumber: sequenceOf(record),
      before: before ? decodeShipmentStatus(before) : undefined,
      after: decodeShipmentState(after),
    };
  });
}

/** A wallet item's write as reconciliation needs it; undefined for removals and other items. */
export function walletChangeOf(record: DynamoDBRecord): WalletChange | undefined {
  if (record.eventName === 'REMOVE') return undefined;
  return readable(record, () => {
    const after = itemOf(record.dynamodb?.NewImage);
    if (after?.SK !== SORT_KEY.wallet) return undefined;
    const current = decodeWalletWrite(after);
    const before = itemOf(record.dynamodb?.OldImage);
    return {
      sequenceNumber: sequenceOf(record),
      walletId: current.walletId,
      version: current.version,
      previousVersion: before ? (decodeWalletVersion(before).version ?? 0) : undefined,
      lastEntryAt: current.lastEntryAt,
      reconciliationPending: current.reconciliationPending === true,
    };
  });
}
