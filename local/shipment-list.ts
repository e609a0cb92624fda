import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoShipmentStore } from '../functions/lib/adapters/dynamo-shipment-store.ts';
import { SORT_KEY } from '../functions/lib/adapters/keys.ts';
import { shipmentView } from '../functions/lib/app/read-shipment.ts';
import { LOCAL_AWS } from './dynamodb-local.ts';

/**
 * GET /local/shipments: every shipment of the local table as the read API shows it, most
 * recently changed first. Local only: the contract has no "list shipments" route (a Scan has
 * no place on AWS), but the dashboard needs to find the shipments it draws.
 */

export type ShipmentSummary = ReturnType<typeof shipmentView> & { updatedAt: string };

export interface ShipmentList {
  list(limit?: number): Promise<ShipmentSummary[]>;
  close(): void;
}

export function localShipmentList(endpoint: string, tableName: string): ShipmentList {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL_AWS, endpoint }));
  const store = new DynamoShipmentStore(client, tableName);
  return {
    async list(limit = 200) {
      const heads: { id: string; updatedAt: string }[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: 'SK = :sk',
            ExpressionAttributeValues: { ':sk': SORT_KEY.shipment },
            ProjectionExpression: 'shipmentId, updatedAt',
            ExclusiveStartKey,
          }),
        );
        for (const item of page.Items ?? []) heads.push({ id: String(item.shipmentId), updatedAt: String(item.updatedAt ?? '') });
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      heads.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id));
      const views = await Promise.all(
        heads.slice(0, limit).map(async ({ id, updatedAt }) => {
          const stored = await store.getShipment(id);
          return stored ? { ...shipmentView(stored), updatedAt } : undefined;
        }),
      );
      return views.filter((view): view is ShipmentSummary => view !== undefined);
    },
    close: () => client.destroy(),
  };
}
