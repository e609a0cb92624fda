import { CheckIfPhoneNumberIsOptedOutCommand, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { PermanentDeliveryError, type SmsGateway } from '#domain/notification-ports.ts';
import type { SmsText } from '#domain/sms-encoding.ts';

/** Errors of a request SNS will never accept (a malformed or unsupported number). */
const PERMANENT = new Set(['InvalidParameterException', 'InvalidParameterValueException', 'InvalidParameter']);

/**
 * Transactional SMS straight to a phone number through SNS, after asking whether it opted out.
 * Throttling and 5xx are retried by the SDK (runtime/aws-clients.ts); what still fails goes back to the queue.
 */
export class SnsSmsGateway implements SmsGateway {
  private readonly client: SNSClient;

  constructor(client: SNSClient) {
    this.client = client;
  }

  async isOptedOut(phoneNumber: string): Promise<boolean> {
    const response = await this.guard(() => this.client.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber })));
    return response.isOptedOut === true;
  }

  async send({ phoneNumber, sms }: { phoneNumber: string; sms: SmsText }): Promise<void> {
    await this.guard(() =>
      this.client.send(
        new PublishCommand({
          PhoneNumber: phoneNumber,
          Message: sms.text,
          MessageAttributes: {
            // Transactional: highest delivery reliability, sent even to numbers on marketing do-not-call lists.
            'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
          },
        }),
      ),
    );
  }

  private async guard<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      // The SNS message may quote the number; the recorded reason names only the error.
      if (error instanceof Error && PERMANENT.has(error.name)) throw new PermanentDeliveryError(`SNS rejected the SMS (${error.name})`);
      throw error;
    }
  }
}
