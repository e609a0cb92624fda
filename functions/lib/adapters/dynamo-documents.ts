import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The document client every table adapter writes and reads through. Kept apart from
 * runtime/aws-clients.ts because lib-dynamodb is not marked free of side effects: imported there,
 * it would ride along in the bundles of functions that never touch the table.
 */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
