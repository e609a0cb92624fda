import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '#domain/channels.ts';
import type { CustomerContacts } from '#domain/notification-ports.ts';
import { keys } from './keys.ts';

const CONTACT_ATTRIBUTE: Record<Channel, 'phone' | 'email'> = { sms: 'phone', email: 'email' };

/**
 * The senders' read of a customer's contact: one GetCommand on the profile item
 * (`CUSTOMER#<warehouse>#<id> / PROFILE`, kept by the stream router from shipment states),
 * projecting only the channel's attribute, so a wallet message can travel without its recipient.
 */
export class DynamoCustomerContacts implements CustomerContacts {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async contactFor(owner: string, customerId: string, channel: Channel): Promise<string | undefined> {
    const attribute = CONTACT_ATTRIBUTE[channel];
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.customer(owner, customerId),
        ProjectionExpression: '#contact',
        ExpressionAttributeNames: { '#contact': attribute },
        ConsistentRead: true,
      }),
    );
    const contact = Item?.[attribute];
    return typeof contact === 'string' && contact.length > 0 ? contact : undefined;
  }
}
