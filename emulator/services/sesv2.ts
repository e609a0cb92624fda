import { randomUUID } from 'node:crypto';
import { awsError } from './protocol.ts';

/**
 * Amazon SES v2 behind its REST-JSON protocol: SendEmail (POST /v2/email/outbound-emails) hands
 * the simple message to the email sink the emulator is given, and answers a MessageId.
 */

export interface EmailRequest {
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  configurationSetName?: string;
  /** EmailTags, by name. */
  tags: Record<string, string>;
}

export interface EmailSink {
  send(email: EmailRequest): void | Promise<void>;
}

export class LocalSesV2 {
  private readonly sink: EmailSink;

  constructor(sink: EmailSink) {
    this.sink = sink;
  }

  async handle(method: string, path: string, input: Record<string, any>): Promise<unknown> {
    if (method !== 'POST' || path !== '/v2/email/outbound-emails') {
      throw awsError(404, 'NotFoundException', `the local SES v2 does not implement ${method} ${path}`);
    }
    const simple = input.Content?.Simple;
    if (!simple) throw awsError(400, 'BadRequestException', 'only Content.Simple messages are supported locally');
    const to = (input.Destination?.ToAddresses ?? []) as string[];
    if (typeof input.FromEmailAddress !== 'string' || to.length === 0) {
      throw awsError(400, 'BadRequestException', 'FromEmailAddress and Destination.ToAddresses are required');
    }
    await this.sink.send({
      from: input.FromEmailAddress,
      to,
      subject: String(simple.Subject?.Data ?? ''),
      ...(simple.Body?.Text ? { text: String(simple.Body.Text.Data) } : {}),
      ...(simple.Body?.Html ? { html: String(simple.Body.Html.Data) } : {}),
      ...(input.ConfigurationSetName ? { configurationSetName: String(input.ConfigurationSetName) } : {}),
      tags: Object.fromEntries(((input.EmailTags ?? []) as { Name: string; Value: string }[]).map((tag) => [tag.Name, tag.Value])),
    });
    return { MessageId: randomUUID() };
  }
}
