import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { Shipment } from '#domain/shipment.ts';
import type { ShipmentChange } from '#lib/app/route-shipment-changes.ts';
import { SORT_KEY } from './keys.ts';

type Image = Record<string, AttributeValue>;

function shipmentOf(image: Image | undefined): Shipment | undefined {
  if (!image) return undefined;
  const item = unmarshall(image);
  if (item.SK !== SORT_KEY.shipment) return undefined;
  const { PK: _pk, SK: _sk, entity: _entity, version: _version, updatedAt: _updatedAt, ...shipment } = item;
  return shipment as Shipment;
}

/** The shipment aggregate before and after one stream record; undefined for anything else (removals, other items). */
export function shipmentChangeOf(record: DynamoDBRecord): ShipmentChange | undefined {
  if (record.eventName === 'REMOVE') return undefined;
  const after = shipmentOf(record.dynamodb?.NewImage as Image | undefined);
  if (!after) return undefined;
  return {
    sequenceNumber: String(record.dynamodb?.SequenceNumber),
    before: shipmentOf(record.dynamodb?.OldImage as Image | undefined),
    after,
  };
}
