import type { Clock, PreferenceLinks } from '#domain/notification-ports.ts';
import { type PreferenceSubject, signPreferenceToken } from '#domain/preferences.ts';

/**
 * Preference links on the API (`<base>/v1/preferences/<token>`), signed with the first (current)
 * secret of the list; the preference routes accept any secret of it, so a rotation keeps the links
 * already mailed working.
 */
export class SignedPreferenceLinks implements PreferenceLinks {
  private readonly baseUrl: string;
  private readonly secrets: () => Promise<string[]>;
  private readonly clock: Clock;

  constructor(baseUrl: string, secrets: () => Promise<string[]>, clock: Clock) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.secrets = secrets;
    this.clock = clock;
  }

  async linkFor(subject: PreferenceSubject): Promise<string> {
    const [current] = await this.secrets();
    return `${this.baseUrl}/v1/preferences/${signPreferenceToken(subject, current as string, this.clock())}`;
  }
}
