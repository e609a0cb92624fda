import type { ParcelEvent } from '#domain/cloud-events.ts';
import { keys } from './keys.ts';

/**
 * The event record: the CloudEvent as accepted, stored under its idempotency key (source, id).
 * It is always the first item of an event's transaction; see transactions.ts.
 */
export function eventRecordPut(tableName: string, event: ParcelEvent, subjectPartition: string) {
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.event(event.source, event.id),
        entity: 'event',
        type: event.type,
        subjectPartition,
        receivedAt: new Date().toISOString(),
        event,
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}
