import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { HttpApi } from '../emulator/api-gateway.ts';
import { LOCAL_AWS } from '../emulator/aws-local.ts';

/**
 * GET /local/shipments: every shipment of the local table as the read API shows it, most
 * recently changed first. Local only: the contract has no "list shipments" route (a Scan has no
 * place on AWS), so the ids come from a Scan for the shipment state items (docs/data-model.md:
 * sort key `SHIPMENT`) and each view, with the newest page of its history, from
 * GET /v1/shipments/{id}?order=newest, through the deployed function. The split orders' open
 * windows are listed the same way, from a Scan of the order items.
 */

/** A shipment as GET /v1/shipments/{id} answers it, with when its item last changed. */
export type ShipmentSummary = Record<string, unknown> & { shipmentId: string; updatedAt: string; owner?: string };

/** A split order's window still taking members (docs/alerts.md, "Split orders"), as the table holds it. */
export interface OpenOrderWindow {
  owner: string;
  orderId: string;
  status: string;
  members: string[];
  /** The order's parcel count, when a warehouse gave one. */
  parcelCount?: number;
}

export interface ShipmentList {
  list(limit?: number): Promise<ShipmentSummary[]>;
  /** The order windows without `closedAt`: a Scan of the ORDER partitions, local only like the list. */
  openOrderWindows(): Promise<OpenOrderWindow[]>;
  close(): void;
}

export function localShipmentList(endpoint: string, tableName: string, api: HttpApi): ShipmentList {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ ...LOCAL_AWS, endpoint }));
  return {
    async list(limit = 200) {
      const heads: { id: string; updatedAt: string }[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: 'SK = :sk',
            ExpressionAttributeValues: { ':sk': 'SHIPMENT' },
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
          // The newest page of its history: the dashboard shows a shipment's latest events.
          const path = `/v1/shipments/${encodeURIComponent(id)}`;
          const answer = await api.request({ method: 'GET', path, rawQueryString: 'order=newest', headers: {} });
          return answer.status === 200 ? { ...(JSON.parse(answer.body.toString('utf8')) as ShipmentSummary), updatedAt } : undefined;
        }),
      );
      return views.filter((view): view is ShipmentSummary => view !== undefined);
    },
    async openOrderWindows() {
      const items: Record<string, unknown>[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression:
              'begins_with(PK, :order) AND (SK = :orderItem OR (begins_with(SK, :window) AND attribute_not_exists(closedAt)))',
            ExpressionAttributeValues: { ':order': 'ORDER#', ':orderItem': 'ORDER', ':window': 'WINDOW#' },
            ExclusiveStartKey,
          }),
        );
        items.push(...(page.Items ?? []));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      const counts = new Map(items.filter((item) => item.SK === 'ORDER').map((item) => [String(item.PK), item.parcelCount]));
      return items
        .filter((item) => item.SK !== 'ORDER' && typeof item.orderId === 'string')
        .map((item) => {
          const parcelCount = counts.get(String(item.PK));
          return {
            owner: String(item.owner),
            orderId: String(item.orderId),
            status: String(item.status),
            members: [...((item.members as Set<string> | undefined) ?? [])].sort(),
            ...(typeof parcelCount === 'number' ? { parcelCount } : {}),
          };
        })
        .sort((a, b) => a.orderId.localeCompare(b.orderId) || a.status.localeCompare(b.status));
    },
    close: () => client.destroy(),
  };
}
