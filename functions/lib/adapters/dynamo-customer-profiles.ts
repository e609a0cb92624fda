import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CustomerProfiles } from '#domain/ports.ts';
import type { Customer } from '#domain/shipment.ts';
import { keys } from './keys.ts';

/**
 * The customer profiles (`CUSTOMER#<warehouse>#<customerId> / PROFILE`) the stream router keeps
 * from shipment states, for the messages no shipment carries (a confirmed wallet balance). Each
 * write is conditional on the profile's receipt mark, so an older state, a replayed stream record
 * or another shipment's older correction never overwrites a newer one, in whatever order they come.
 */
export class DynamoCustomerProfiles implements CustomerProfiles {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async remember(owner: string, customer: Customer, mark: string): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.customer(owner, customer.id), entity: 'customer', owner, ...customer, mark },
          ConditionExpression: 'attribute_not_exists(PK) OR #mark < :mark',
          ExpressionAttributeNames: { '#mark': 'mark' },
          ExpressionAttributeValues: { ':mark': mark },
        }),
      );
    } catch (error) {
      // The profile holds a newer correction already (or this very one): nothing to do.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
