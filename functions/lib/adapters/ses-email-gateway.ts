import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { type EmailGateway, PermanentDeliveryError } from '#domain/notification-ports.ts';
import { sesTags } from './ses-tags.ts';

/** Errors of a message SES will never accept as it stands. */
const PERMANENT = new Set(['MessageRejected', 'BadRequestException', 'MailFromDomainNotVerifiedException', 'NotFoundException']);

export interface SesSettings {
  fromAddress: string;
  configurationSetName?: string;
}

/**
 * One SES v2 SendEmail per recipient: plain text and HTML, with the RFC 8058 one-click unsubscribe
 * headers, sent with the configuration set whose event destination returns the receipts, and tagged
 * with the event type and the claim's reference (ses-tags.ts), which every receipt echoes in
 * `mail.tags`. Throttling and 5xx are retried by the SDK (runtime/aws-clients.ts).
 */
export class SesEmailGateway implements EmailGateway {
  private readonly client: SESv2Client;
  private readonly settings: SesSettings;

  constructor(client: SESv2Client, settings: SesSettings) {
    this.client = client;
    this.settings = settings;
  }

  async send(request: {
    to: string;
    subject: string;
    text: string;
    html: string;
    message: { eventType: string };
    reference: string;
    preferencesUrl?: string;
  }): Promise<{ providerMessageId: string }> {
    const charset = 'UTF-8';
    try {
      const { MessageId } = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.settings.fromAddress,
          Destination: { ToAddresses: [request.to] },
          Content: {
            Simple: {
              Subject: { Data: request.subject, Charset: charset },
              Body: { Text: { Data: request.text, Charset: charset }, Html: { Data: request.html, Charset: charset } },
              // RFC 8058: one HTTPS URI, then the one-click key; SES's Easy DKIM signs the message with them.
              ...(request.preferencesUrl
                ? {
                    Headers: [
                      { Name: 'List-Unsubscribe', Value: `<${request.preferencesUrl}>` },
                      { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
                    ],
                  }
                : {}),
            },
          },
          ...(this.settings.configurationSetName ? { ConfigurationSetName: this.settings.configurationSetName } : {}),
          EmailTags: sesTags(request.message.eventType, request.reference),
        }),
      );
      if (!MessageId) throw new Error('SendEmail answered no MessageId');
      return { providerMessageId: MessageId };
    } catch (error) {
      if (error instanceof Error && PERMANENT.has(error.name)) throw new PermanentDeliveryError(`SES rejected the email (${error.name})`);
      throw error;
    }
  }
}
