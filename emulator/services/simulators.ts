/**
 * The addresses and numbers AWS reserves for testing, and what AWS does with a message to each.
 *
 * SES mailbox simulator (https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html,
 * "Using the mailbox simulator manually"), any `+label` included:
 * - success@ is delivered; ooto@ is delivered and answered by an auto-reply (mail, not an event);
 * - bounce@ bounces hard (SMTP 550 5.1.1, "Unknown User");
 * - complaint@ is delivered, then the recipient complains (feedback type abuse);
 * - suppressionlist@ bounces hard as if the address were on the global suppression list.
 *
 * End User Messaging SMS destination simulator numbers
 * (https://docs.aws.amazon.com/sms-voice/latest/userguide/test-phone-numbers.html): per country, one
 * number that reports success and one that reports failure. AWS does not name the failure's event
 * type; locally it is TEXT_INVALID (the destination number is not valid), a permanent failure.
 */

export const MAILBOX_SIMULATOR_DOMAIN = 'simulator.amazonses.com';

export type MailboxOutcome = 'success' | 'ooto' | 'bounce' | 'complaint' | 'suppressionlist';

/** What the mailbox simulator does with `address`, or undefined for any other address. */
export function mailboxSimulator(address: string): MailboxOutcome | undefined {
  const match = /^([a-z]+)(?:\+[^@]*)?@simulator\.amazonses\.com$/i.exec(address.trim());
  const local = match?.[1]?.toLowerCase();
  return local === 'success' || local === 'ooto' || local === 'bounce' || local === 'complaint' || local === 'suppressionlist'
    ? local
    : undefined;
}

/** Success and failure destination simulator numbers, by country. */
export const SIMULATOR_NUMBERS: Record<string, { success: string; failure: string }> = {
  AU: { success: '+61455944038', failure: '+61455944039' },
  AT: { success: '+43676800442031', failure: '+43676800442032' },
  BE: { success: '+32460213922', failure: '+32460213923' },
  CL: { success: '+56229140630', failure: '+56229140631' },
  CZ: { success: '+420790542286', failure: '+420790542287' },
  DK: { success: '+4525919410', failure: '+4525919215' },
  EE: { success: '+37282720792', failure: '+37282720793' },
  FI: { success: '+3584573979110', failure: '+3584573979111' },
  FR: { success: '+33755512501', failure: '+33755512502' },
  HK: { success: '+85257048426', failure: '+85257048854' },
  HU: { success: '+36707178770', failure: '+36707178772' },
  IT: { success: '+394390009172', failure: '+394390009174' },
  JE: { success: '+447937404990', failure: '+447937404992' },
  LU: { success: '+352691385880', failure: '+352691385882' },
  NL: { success: '+3197008100148', failure: '+3197008100150' },
  NO: { success: '+4759449384', failure: '+4759449387' },
  PL: { success: '+48732141440', failure: '+48732141442' },
  PT: { success: '+351927946948', failure: '+351927946950' },
  RO: { success: '+40783900330', failure: '+40783900332' },
  ES: { success: '+34683783440', failure: '+34683783442' },
  SE: { success: '+46790645100', failure: '+46790645102' },
  CH: { success: '+41798075872', failure: '+41798075874' },
  TW: { success: '+886903444630', failure: '+886903444632' },
  GB: { success: '+447860019066', failure: '+447860019067' },
  US: { success: '+14254147755', failure: '+14254147167' },
};

const NUMBER_OUTCOMES = new Map<string, { outcome: 'success' | 'failure'; country: string }>(
  Object.entries(SIMULATOR_NUMBERS).flatMap(([country, numbers]) => [
    [numbers.success, { outcome: 'success' as const, country }],
    [numbers.failure, { outcome: 'failure' as const, country }],
  ]),
);

/** What the destination simulator does with `phoneNumber`, or undefined for any other number. */
export function numberSimulator(phoneNumber: string): { outcome: 'success' | 'failure'; country: string } | undefined {
  return NUMBER_OUTCOMES.get(phoneNumber);
}
