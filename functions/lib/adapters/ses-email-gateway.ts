import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { type EmailGateway, PermanentDeliveryError } from '#domain/notification-ports.ts';

/** Errors of a message SES will never accept as it stands. */
const PERMANENT = new Set(['MessageRejected', 'BadRequestException', 'MailFromDomainNotVerifiedException', 'NotFoundException']);

export interface SesSettings {
  fromAddress: string;
  configurationSetName?: string;
}

/**
 * One SES v2 SendEmail per recipient: plain text and HTML, tagged for the configuration set's event
 * destinations. Throttling and 5xx are retried by the SDK (runtime/aws-clients.ts).
 */
export class SesEmailGateway implements EmailGateway {
  private readonly client: SESv2Client;
  private readonly settings: SesSettings;

  constructor(client: SESv2Client, settings: SesSettings) {
    this.client = client;
    this.settings = settings;
  }

  async send(request: { to: string; subject: string; text: string; html: string; message: { eventType: string } }): Promise<void> {
    const charset = 'UTF-8';
    try {
      await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.settings.fromAddress,
          Destination: { ToAddresses: [request.to] },
          Content: {
            Simple: {
              Subject: { Data: request.subject, Charset: charset },
              Body: { Text: { Data: request.text, Charset: charset }, Html: { Data: request.html, Charset: charset } },
            },
          },
          ...(this.settings.configurationSetName ? { ConfigurationSetName: this.settings.configurationSetName } : {}),
          EmailTags: [{ Name: 'eventType', Value: request.message.eventType.replace(/[^\w.-]/g, '_') }],
        }),
      );
    } catch (error) {
      if (error instanceof Error && PERMANENT.has(error.name)) throw new PermanentDeliveryError(`SES rejected the email (${error.name})`);
      throw error;
    }
  }
}
