import type { Channel } from './channels.ts';
import type { NotificationMessage } from './notification-message.ts';
import type { SmsText } from './sms-encoding.ts';

/** Ports of the notification path, in the domain's words; adapters implement them for AWS and locally. */

export type Clock = () => Date;

/**
 * What finally happened to one (subject, status, channel) notification, as GET /v1/shipments shows
 * it. `suppressed`: never published, because its warehouse had reached its daily cap.
 */
export type FinalOutcome = 'sent' | 'opted_out' | 'failed' | 'suppressed';

export type ClaimResult =
  /** This delivery owns the notification until the lease runs out; `token` fences its writes. */
  | { kind: 'claimed'; token: string; attempt: number }
  /** Another delivery already finished it. */
  | { kind: 'settled'; outcome: FinalOutcome }
  /** Another delivery holds a live lease; if it crashes, its own message comes back after the lease. */
  | { kind: 'held' };

export interface NotificationClaims {
  claim(message: NotificationMessage, now: Date): Promise<ClaimResult>;
  /** Records the final outcome; only the holder of `token` may. */
  settle(message: NotificationMessage, token: string, outcome: FinalOutcome, now: Date, reason?: string): Promise<void>;
  /** Gives the claim up at once after a transient failure, so the retry need not wait for the lease. */
  release(message: NotificationMessage, token: string, now: Date, reason: string): Promise<void>;
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

export interface SmsGateway {
  isOptedOut(phoneNumber: string): Promise<boolean>;
  send(request: { phoneNumber: string; sms: SmsText; message: NotificationMessage }): Promise<void>;
}

export interface EmailGateway {
  send(request: { to: string; subject: string; text: string; html: string; message: NotificationMessage }): Promise<void>;
}

/**
 * The customer's current contact for a channel (E.164 phone for sms, address for email), from
 * their profile; undefined when the profile is gone or has no contact on that channel. Wallet
 * messages carry no recipient, so contact details stay out of the reconciliation workflow.
 */
export interface CustomerContacts {
  /** `owner` is the warehouse whose customer it is: each warehouse's customers are its own. */
  contactFor(owner: string, customerId: string, channel: Channel): Promise<string | undefined>;
}

/** Puts an SMS back on its queue to be delivered again after `delaySeconds` (quiet hours). */
export interface SmsDeferral {
  redeliver(message: NotificationMessage, delaySeconds: number): Promise<void>;
}

/** A failure no retry can cure (an invalid number, a rejected address): recorded as `failed`, not retried. */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
}
