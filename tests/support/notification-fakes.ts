import type { Channel } from '../../functions/lib/domain/channels.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import type { PreferenceCustomer, PreferenceStore, SuppressionList } from '../../functions/lib/domain/notification-ports.ts';
import type { PreferenceLevel } from '../../functions/lib/domain/preferences.ts';
import { contactDigest, maskedContact, type SuppressionEntry } from '../../functions/lib/domain/suppression.ts';

/** The suppression list in memory, keyed as the table keys it, for tests of the use cases alone. */
export class MemorySuppressions implements SuppressionList {
  readonly entries = new Map<string, SuppressionEntry>();

  async find(channel: Channel, contact: string): Promise<SuppressionEntry | undefined> {
    return this.entries.get(contactDigest(channel, contact));
  }

  async add(channel: Channel, contact: string, entry: Pick<SuppressionEntry, 'reason' | 'since' | 'source' | 'owner'>): Promise<void> {
    const digest = contactDigest(channel, contact);
    if (!this.entries.has(digest)) this.entries.set(digest, { channel, digest, masked: maskedContact(channel, contact), ...entry });
  }
}

/** Preferences in memory: `all` unless set. */
export class MemoryPreferences implements PreferenceStore {
  readonly levels_ = new Map<string, PreferenceLevel>();
  private key = (customer: PreferenceCustomer, channel: Channel) => `${customer.owner}#${customer.customerId}#${channel}`;

  async levelFor(customer: PreferenceCustomer, channel: Channel): Promise<PreferenceLevel> {
    return this.levels_.get(this.key(customer, channel)) ?? 'all';
  }

  async levels(customer: PreferenceCustomer): Promise<Record<Channel, PreferenceLevel>> {
    return { sms: await this.levelFor(customer, 'sms'), email: await this.levelFor(customer, 'email') };
  }

  async set(customer: PreferenceCustomer, channel: Channel, level: PreferenceLevel): Promise<void> {
    this.levels_.set(this.key(customer, channel), level);
  }
}

/** A `shipped` SMS for shp-1 of ams's customer cus-1, as the stream router publishes it; `overrides` for what a test is about. */
export function shippedSms(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    notificationId: 'shipment#shp-1#shipped#sms',
    eventType: 'shipment.shipped',
    channel: 'sms',
    recipient: '+34600111222',
    locale: 'en',
    customerId: 'cus-1',
    owner: 'ams',
    shipment: { shipmentId: 'shp-1', status: 'shipped' },
    occurredAt: '2026-11-01T08:00:00.000Z',
    ...overrides,
  };
}
