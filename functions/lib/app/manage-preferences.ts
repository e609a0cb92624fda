import type { Channel } from '#domain/channels.ts';
import type { Clock, PreferenceStore } from '#domain/notification-ports.ts';
import { type PreferenceLevel, type PreferenceSubject, verifyPreferenceToken } from '#domain/preferences.ts';

export interface PreferencePorts {
  preferences: PreferenceStore;
  /** The secrets links may be signed with: the current one first, then any still honoured while rotating. */
  secrets: () => Promise<string[]>;
  clock: Clock;
}

export interface PreferenceView {
  subject: PreferenceSubject;
  levels: Record<Channel, PreferenceLevel>;
}

/** What the link's customer chose so far (GET: changes nothing). */
export async function showPreferences(ports: PreferencePorts, token: string): Promise<PreferenceView> {
  const subject = verifyPreferenceToken(token, await ports.secrets(), ports.clock());
  return { subject, levels: await ports.preferences.levels(customerOf(subject)) };
}

/**
 * Records the customer's choices and answers them. A one-click unsubscribe (RFC 8058) is the
 * choice `essential` for the channel the link came in (`oneClick`); the preference page's form
 * names each channel's level.
 */
export async function changePreferences(
  ports: PreferencePorts,
  token: string,
  change: { oneClick: true } | { levels: Partial<Record<Channel, PreferenceLevel>> },
): Promise<PreferenceView> {
  const now = ports.clock();
  const subject = verifyPreferenceToken(token, await ports.secrets(), now);
  const customer = customerOf(subject);
  const levels: Partial<Record<Channel, PreferenceLevel>> = 'oneClick' in change ? { [subject.channel]: 'essential' } : change.levels;
  for (const [channel, level] of Object.entries(levels) as [Channel, PreferenceLevel][]) {
    await ports.preferences.set(customer, channel, level, now);
  }
  return { subject, levels: await ports.preferences.levels(customer) };
}

function customerOf(subject: PreferenceSubject) {
  return { customerId: subject.customerId, owner: subject.owner };
}
