import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { LOCAL_AWS } from '../../emulator/aws-local.ts';
import { createTableFromTemplate } from '../../emulator/dynamodb-local.ts';
import { projectTemplate } from '../../support/project.ts';

export interface TestTable {
  tableName: string;
  endpoint: string;
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  /** Every item in the table, for asserting that nothing (or exactly something) was written. */
  scan(): Promise<Record<string, unknown>[]>;
}

/** A fresh table, declared exactly as template.yaml's ParcelTable, in the run's DynamoDB Local. */
export async function createTestTable(logicalId = 'ParcelTable'): Promise<TestTable> {
  const endpoint = inject('dynamoEndpoint');
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const tableName = `test-${randomUUID()}`;
  await createTableFromTemplate(client, projectTemplate(), logicalId, tableName);
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    tableName,
    endpoint,
    client,
    documents,
    async scan() {
      const { unmarshall } = await import('@aws-sdk/util-dynamodb');
      const items: Record<string, unknown>[] = [];
      let ExclusiveStartKey: Record<string, never> | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }));
        items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
        ExclusiveStartKey = page.LastEvaluatedKey as typeof ExclusiveStartKey;
      } while (ExclusiveStartKey);
      return items;
    },
  };
}

/** Points the handlers' module-level configuration at a test table; import handlers after this. */
export function useTableForHandlers(table: TestTable): void {
  process.env.TABLE_NAME = table.tableName;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = table.endpoint;
}
