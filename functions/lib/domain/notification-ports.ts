import type { Channel } from './channels.ts';
import type { DeliveryReport, DeliveryStatus, SendStatus, SuppressedBecause } from './delivery-status.ts';
import type { NotificationMessage } from './notification-message.ts';
import type { PreferenceLevel, PreferenceSubject } from './preferences.ts';
import type { SmsText } from './sms-encoding.ts';
import type { SuppressionEntry } from './suppression.ts';

/** Ports of the notification path, in the domain's words; adapters implement them for AWS and locally. */

export type Clock = () => Date;

/** What a sender records when it lets a claim go. */
export interface Settlement {
  status: SendStatus;
  /** `sent`: the provider's id of the message, which its receipts carry. */
  providerMessageId?: string;
  /** `suppressed`: why not. */
  suppressedBecause?: SuppressedBecause;
  /** `failed`: the provider's reason (no contact details). */
  reason?: string;
}

export type ClaimResult =
  /**
   * This delivery owns the notification until the lease runs out; `token` fences its writes.
   * `reference` names the claim to the provider (an SES tag, an SMS context) so its receipts find it.
   */
  | { kind: 'claimed'; token: string; attempt: number; reference: string }
  /** Another delivery already finished it (or a receipt already told how it ended). */
  | { kind: 'settled'; status: DeliveryStatus }
  /** Another delivery holds a live lease; if it crashes, its own message comes back after the lease. */
  | { kind: 'held' };

/** A notification's claim as a receipt finds it: where it stands now, and the message when it may fall back. */
export interface ClaimState {
  status: DeliveryStatus;
  /** For `failed`: whether it can never succeed (recorded with the report that failed it). */
  permanent?: boolean;
  suppressedBecause?: SuppressedBecause;
  /** Kept only for messages that may fall back (fallback-policy.ts, mayFallBack), without their recipient. */
  message?: NotificationMessage;
}

export interface NotificationClaims {
  claim(message: NotificationMessage, now: Date): Promise<ClaimResult>;
  /** Records how the send ended; only the holder of `token` may, and never moves a status back. */
  settle(message: NotificationMessage, token: string, settlement: Settlement, now: Date): Promise<void>;
  /** Gives the claim up at once after a transient failure, so the retry need not wait for the lease. */
  release(message: NotificationMessage, token: string, now: Date, reason: string): Promise<void>;
  /**
   * Applies a provider's receipt to the claim `reference` names, forward only (delivery-status.ts).
   * Answers where the claim stands afterwards and whether this report moved it; undefined when no
   * such claim exists (a message Parcelcast did not send).
   */
  report(reference: string, report: DeliveryReport, now: Date): Promise<{ applied: boolean; claim: ClaimState } | undefined>;
}

/**
 * Records a notification as `suppressed` with the reason, unless it has a claim already (a retry
 * of a batch whose message went out the first time keeps its outcome). A suppressed notification
 * is settled: a sender that ever sees it sends nothing.
 */
export interface NotificationSuppressions {
  suppress(message: NotificationMessage, reason: string, now: Date): Promise<void>;
}

/** Publishes messages to the notifications topic; answers the indexes of those that were not accepted. */
export interface NotificationPublisher {
  publish(messages: readonly NotificationMessage[]): Promise<{ failed: number[] }>;
}

/** What the SMS provider did with a message: took it (its id), or refused it because the number opted out (STOP). */
export type SmsSendResult = { kind: 'accepted'; providerMessageId: string } | { kind: 'opted_out' };

export interface SmsGateway {
  /** `reference` goes with the message, and comes back on its delivery receipts. */
  send(request: { phoneNumber: string; sms: SmsText; message: NotificationMessage; reference: string }): Promise<SmsSendResult>;
}

export interface EmailGateway {
  /** `preferencesUrl` is the one-click unsubscribe link (List-Unsubscribe); `reference` comes back on the receipts. Answers the provider's message id. */
  send(request: {
    to: string;
    subject: string;
    text: string;
    html: string;
    message: NotificationMessage;
    reference: string;
    preferencesUrl?: string;
  }): Promise<{ providerMessageId: string }>;
}

/**
 * The customer's current contact for a channel (E.164 phone for sms, address for email), from
 * their profile; undefined when the profile is gone or has no contact on that channel. Wallet
 * messages carry no recipient, so contact details stay out of the reconciliation workflow; a
 * fallback finds the other channel's contact here, whichever channels the customer named as theirs:
 * those say where they want to hear first, the fallback is for when that cannot reach them.
 */
export interface CustomerContacts {
  /** `owner` is the warehouse whose customer it is: each warehouse's customers are its own. */
  contactFor(owner: string, customerId: string, channel: Channel): Promise<string | undefined>;
}

/** Puts an SMS back on its queue to be delivered again after `delaySeconds` (quiet hours). */
export interface SmsDeferral {
  redeliver(message: NotificationMessage, delaySeconds: number): Promise<void>;
}

/** Parcelcast's suppression list (suppression.ts). */
export interface SuppressionList {
  find(channel: Channel, contact: string): Promise<SuppressionEntry | undefined>;
  /** Puts a contact on the list; a contact already there keeps its first entry. */
  add(channel: Channel, contact: string, entry: Pick<SuppressionEntry, 'reason' | 'since' | 'source' | 'owner'>): Promise<void>;
}

/** Customers' choices (preferences.ts). */
export interface PreferenceStore {
  levelFor(customer: PreferenceCustomer, channel: Channel): Promise<PreferenceLevel>;
  /** Every channel's level (the default where nothing was chosen). */
  levels(customer: PreferenceCustomer): Promise<Record<Channel, PreferenceLevel>>;
  set(customer: PreferenceCustomer, channel: Channel, level: PreferenceLevel, now: Date): Promise<void>;
}

export type PreferenceCustomer = Omit<PreferenceSubject, 'channel'>;

/** Signed links to a customer's preference page (List-Unsubscribe and the email footer). */
export interface PreferenceLinks {
  linkFor(subject: PreferenceSubject): Promise<string>;
}

/** A failure no retry can cure (an invalid number, a rejected address): recorded as `failed`, not retried. */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}
