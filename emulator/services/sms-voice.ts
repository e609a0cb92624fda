import { randomUUID } from 'node:crypto';
import { awsError } from './protocol.ts';
import type { ProviderEvents } from './provider-events.ts';
import { numberSimulator } from './simulators.ts';

/**
 * AWS End User Messaging SMS (the SDK's Pinpoint SMS Voice V2) behind its JSON 1.0 protocol:
 * SendTextMessage hands the text to the SMS sink the emulator is given and answers a MessageId;
 * a number on the opt-out list is refused with a ConflictException (DESTINATION_PHONE_NUMBER_OPTED_OUT),
 * as AWS refuses it. Then, for the destination simulator numbers (simulators.ts), the message's final
 * event is published to its configuration set's event destinations with the message's `Context`, as
 * AWS publishes it (https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-format.html).
 */

export interface TextMessage {
  phoneNumber: string;
  message: string;
  messageId: string;
  originationIdentity?: string;
  configurationSetName?: string;
  messageType?: string;
  context: Record<string, string>;
}

export interface TextMessageSink {
  send(message: TextMessage): void | Promise<void>;
  /** Whether the number replied STOP (is on the opt-out list). */
  isOptedOut(phoneNumber: string): boolean | Promise<boolean>;
}

const E164 = /^\+[1-9]\d{1,18}$/;

export class LocalSmsVoiceV2 {
  private readonly sink: TextMessageSink;
  private readonly events: ProviderEvents | undefined;

  constructor(sink: TextMessageSink, events?: ProviderEvents) {
    this.sink = sink;
    this.events = events;
  }

  async handle(operation: string, input: Record<string, any>): Promise<unknown> {
    if (operation !== 'SendTextMessage')
      throw awsError(400, 'UnknownOperationException', `the local End User Messaging does not implement ${operation}`);
    const phoneNumber = String(input.DestinationPhoneNumber ?? '');
    if (!E164.test(phoneNumber)) throw awsError(400, 'ValidationException', 'DestinationPhoneNumber is not an E.164 number');
    const body = String(input.MessageBody ?? '');
    if (!body.trim()) throw awsError(400, 'ValidationException', 'MessageBody is empty');
    const context = (input.Context ?? {}) as Record<string, string>;
    if (Object.keys(context).length > 5) throw awsError(400, 'ValidationException', 'Context holds at most 5 entries');
    if (await this.sink.isOptedOut(phoneNumber)) {
      throw awsError(400, 'ConflictException', 'The destination phone number is opted out.', undefined, {
        Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT',
        ResourceType: 'opt-out-list',
        ResourceId: 'default',
      });
    }
    const message: TextMessage = {
      phoneNumber,
      message: body,
      messageId: randomUUID(),
      ...(input.OriginationIdentity ? { originationIdentity: String(input.OriginationIdentity) } : {}),
      ...(input.ConfigurationSetName ? { configurationSetName: String(input.ConfigurationSetName) } : {}),
      ...(input.MessageType ? { messageType: String(input.MessageType) } : {}),
      context,
    };
    await this.sink.send(message);
    const simulated = numberSimulator(phoneNumber);
    if (simulated) this.events?.schedule(message.configurationSetName, [textEvent(message, simulated, new Date())]);
    return { MessageId: message.messageId };
  }
}

/** The final event End User Messaging publishes for a text: delivered, or (the simulator's failure numbers) invalid. */
export function textEvent(message: TextMessage, simulated: { outcome: 'success' | 'failure'; country: string }, sentAt: Date) {
  const success = simulated.outcome === 'success';
  const eventType = success ? 'TEXT_DELIVERED' : 'TEXT_INVALID';
  return {
    type: eventType,
    aliases: ['ALL', 'TEXT_ALL'],
    body: {
      eventType,
      eventVersion: '1.0',
      eventTimestamp: sentAt.getTime() + 1000,
      isFinal: true,
      originationPhoneNumber: message.originationIdentity ?? '',
      destinationPhoneNumber: message.phoneNumber,
      isoCountryCode: simulated.country,
      isInternationalSend: false,
      messageId: message.messageId,
      messageRequestTimestamp: sentAt.getTime(),
      messageEncoding: /^[\x20-\x7e\n\r]*$/.test(message.message) ? 'GSM' : 'UCS2',
      messageType: message.messageType ?? 'TRANSACTIONAL',
      messageStatus: success ? 'DELIVERED' : 'INVALID',
      messageStatusDescription: success ? 'Message has been accepted by phone' : 'Destination phone number is invalid',
      context: message.context,
      totalMessageParts: 1,
      totalMessagePrice: 0.00581,
      totalCarrierFee: 0.0,
    },
  };
}
