import { ConflictException, type PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { PermanentDeliveryError, type SmsGateway, type SmsSendResult } from '#domain/notification-ports.ts';
import type { SmsText } from '#domain/sms-encoding.ts';

/** Errors of a request AWS End User Messaging SMS will never accept as it stands (a malformed number, a body it refuses). */
const PERMANENT = new Set(['ValidationException']);

/** ConflictException reasons that are about the destination, not our set-up: no retry changes them. */
const PERMANENT_CONFLICTS = new Set([
  // The sandbox sends only to verified numbers (docs/deployment.md).
  'DESTINATION_PHONE_NUMBER_NOT_VERIFIED',
  'DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION',
  'DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE',
]);

export interface EumSmsSettings {
  /** The pool (id or ARN) every message is sent from; IAM grants SendTextMessage on it alone. */
  originationIdentity: string;
  /** The configuration set whose event destination returns the delivery receipts. */
  configurationSetName: string;
}

/**
 * Transactional SMS through AWS End User Messaging SMS (SendTextMessage) from the stack's pool,
 * with the configuration set that publishes each message's receipts and the claim's reference in
 * `Context`, which every receipt echoes. A number that replied STOP is refused with a
 * ConflictException (DESTINATION_PHONE_NUMBER_OPTED_OUT): answered as `opted_out`. Throttling and
 * 5xx are retried by the SDK (runtime/aws-clients.ts); what still fails goes back to the queue.
 */
export class EumSmsGateway implements SmsGateway {
  private readonly client: PinpointSMSVoiceV2Client;
  private readonly settings: EumSmsSettings;

  constructor(client: PinpointSMSVoiceV2Client, settings: EumSmsSettings) {
    this.client = client;
    this.settings = settings;
  }

  async send({ phoneNumber, sms, reference }: { phoneNumber: string; sms: SmsText; reference: string }): Promise<SmsSendResult> {
    try {
      const { MessageId } = await this.client.send(
        new SendTextMessageCommand({
          DestinationPhoneNumber: phoneNumber,
          OriginationIdentity: this.settings.originationIdentity,
          ConfigurationSetName: this.settings.configurationSetName,
          MessageBody: sms.text,
          // Transactional: routed for reliability, the type shipping updates are registered as.
          MessageType: 'TRANSACTIONAL',
          Context: { claim: reference },
        }),
      );
      if (!MessageId) throw new Error('SendTextMessage answered no MessageId');
      return { kind: 'accepted', providerMessageId: MessageId };
    } catch (error) {
      if (error instanceof ConflictException && error.Reason === 'DESTINATION_PHONE_NUMBER_OPTED_OUT') return { kind: 'opted_out' };
      // The provider's message may quote the number; the recorded reason names only the error.
      if (error instanceof ConflictException && error.Reason && PERMANENT_CONFLICTS.has(error.Reason)) {
        throw new PermanentDeliveryError(`End User Messaging refused the SMS (${error.Reason})`);
      }
      if (error instanceof Error && PERMANENT.has(error.name))
        throw new PermanentDeliveryError(`End User Messaging refused the SMS (${error.name})`);
      throw error;
    }
  }
}
