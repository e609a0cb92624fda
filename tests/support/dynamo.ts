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

type AttributeValue = Record<string, unknown>;

/**
 * An item's size as DynamoDB counts it for capacity units (the "Item sizes" rules of the
 * DynamoDB developer guide): attribute names and string values by UTF-8 length, a number about
 * one byte per two significant digits plus one, a boolean or null one byte, and a list or map 3
 * bytes plus one per element.
 */
export function dynamoItemBytes(item: Record<string, AttributeValue>): number {
  const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');
  const value = (attribute: AttributeValue): number => {
    const [[type, content]] = Object.entries(attribute) as [[string, unknown]];
    if (type === 'S') return utf8(content as string);
    if (type === 'N') return Math.ceil(String(content).replace(/^[-0.]+|\.|0+$/g, '').length / 2) + 1;
    if (type === 'BOOL' || type === 'NULL') return 1;
    if (type === 'L') return 3 + (content as AttributeValue[]).reduce((sum, element) => sum + 1 + value(element), 0);
    if (type === 'M')
      return (
        3 +
        Object.entries(content as Record<string, AttributeValue>).reduce((sum, [name, element]) => sum + 1 + utf8(name) + value(element), 0)
      );
    throw new Error(`no size rule for a ${type} attribute`);
  };
  return Object.entries(item).reduce((sum, [name, attribute]) => sum + utf8(name) + value(attribute), 0);
}
