/** The notification channels a customer can opt into; a module of its own so the senders need no event schemas. */
export const CHANNELS = ['sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];
