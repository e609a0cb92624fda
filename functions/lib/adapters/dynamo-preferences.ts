import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CHANNELS, type Channel } from '#domain/channels.ts';
import type { PreferenceCustomer, PreferenceStore } from '#domain/notification-ports.ts';
import { DEFAULT_PREFERENCE, type PreferenceLevel } from '#domain/preferences.ts';
import { keys } from './keys.ts';
import { decodePreference } from './stored-items.ts';

/** Customers' choices in the single table: `CUSTOMER#<owner>#<customer> / PREFERENCE#<channel>` {level}; none stored means `all`. */
export class DynamoPreferences implements PreferenceStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async levelFor(customer: PreferenceCustomer, channel: Channel): Promise<PreferenceLevel> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.preference(customer, channel), ConsistentRead: true }),
    );
    return Item ? decodePreference(Item).level : DEFAULT_PREFERENCE;
  }

  async levels(customer: PreferenceCustomer): Promise<Record<Channel, PreferenceLevel>> {
    const levels = Object.fromEntries(CHANNELS.map((channel) => [channel, DEFAULT_PREFERENCE])) as Record<Channel, PreferenceLevel>;
    type Request = Record<string, { Keys: Record<string, unknown>[]; ConsistentRead?: boolean }>;
    let request: Request | undefined = {
      [this.tableName]: { Keys: CHANNELS.map((channel) => keys.preference(customer, channel)), ConsistentRead: true },
    };
    // Two keys: unprocessed ones (throttling) are asked again until none is left.
    for (let attempt = 0; request && attempt < 5; attempt++) {
      const response = await this.client.send(new BatchGetCommand({ RequestItems: request }));
      const { Responses } = response;
      const UnprocessedKeys = response.UnprocessedKeys as Request | undefined;
      for (const item of Responses?.[this.tableName] ?? []) {
        const { channel, level } = decodePreference(item);
        levels[channel] = level;
      }
      request = UnprocessedKeys && Object.keys(UnprocessedKeys).length > 0 ? UnprocessedKeys : undefined;
    }
    if (request) throw new Error('DynamoDB left preference reads unprocessed');
    return levels;
  }

  async set(customer: PreferenceCustomer, channel: Channel, level: PreferenceLevel, now: Date): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.preference(customer, channel), entity: 'preference', channel, level, updatedAt: now.toISOString() },
      }),
    );
  }
}
