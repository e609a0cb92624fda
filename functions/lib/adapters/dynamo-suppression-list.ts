import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '#domain/channels.ts';
import type { SuppressionList } from '#domain/notification-ports.ts';
import { contactDigest, maskedContact, type SuppressionEntry } from '#domain/suppression.ts';
import { keys } from './keys.ts';
import { decodeSuppression } from './stored-items.ts';

/**
 * Parcelcast's suppression list in the single table (domain/suppression.ts): one item per contact,
 * `SUPPRESSION#<channel>#<sha256> / SUPPRESSION`, holding the digest, a masked form, the reason,
 * since when and which notification put it there. Never the contact itself.
 */
export class DynamoSuppressionList implements SuppressionList {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    this.client = client;
    this.tableName = tableName;
  }

  async find(channel: Channel, contact: string): Promise<SuppressionEntry | undefined> {
    return this.findDigest(channel, contactDigest(channel, contact));
  }

  async findDigest(channel: Channel, digest: string): Promise<SuppressionEntry | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.suppression(channel, digest), ConsistentRead: true }),
    );
    return Item ? decodeSuppression(Item) : undefined;
  }

  async add(channel: Channel, contact: string, entry: Pick<SuppressionEntry, 'reason' | 'since' | 'source' | 'owner'>): Promise<void> {
    const digest = contactDigest(channel, contact);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.suppression(channel, digest),
            entity: 'suppression',
            channel,
            digest,
            masked: maskedContact(channel, contact),
            ...entry,
          },
          // The first reason stays: a repeated receipt, or a later one, does not rewrite history.
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Takes a contact off the list (the operator's command); answers whether it was there. */
  async clear(channel: Channel, digest: string): Promise<boolean> {
    const { Attributes } = await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: keys.suppression(channel, digest), ReturnValues: 'ALL_OLD' }),
    );
    return Attributes !== undefined;
  }

  /**
   * Every entry, for the operator's `list`: a Scan filtered to suppression items, which reads the
   * whole table. An operator's occasional command; nothing in the request path lists.
   */
  async list(): Promise<SuppressionEntry[]> {
    const entries: SuppressionEntry[] = [];
    const pages = paginateScan(
      { client: this.client },
      { TableName: this.tableName, FilterExpression: 'entity = :entity', ExpressionAttributeValues: { ':entity': 'suppression' } },
    );
    for await (const page of pages) entries.push(...(page.Items ?? []).map((item) => decodeSuppression(item)));
    return entries.sort((a, b) => a.since.localeCompare(b.since));
  }
}
