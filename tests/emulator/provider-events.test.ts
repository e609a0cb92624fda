import { ConflictException, PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS, localArn, localQueueUrl } from '../../emulator/aws-local.ts';
import { configurationSetDestinations } from '../../emulator/messaging.ts';
import { ProviderEvents } from '../../emulator/services/provider-events.ts';
import { type ServiceEndpoint, startServiceEndpoint } from '../../emulator/services/server.ts';
import { type EmailRequest, LocalSesV2 } from '../../emulator/services/sesv2.ts';
import { LocalSmsVoiceV2, type TextMessage } from '../../emulator/services/sms-voice.ts';
import { LocalSns } from '../../emulator/services/sns.ts';
import { LocalSqs } from '../../emulator/services/sqs.ts';
import type { Template } from '../../emulator/template.ts';

// SES and End User Messaging as the emulator plays them, reached by the real SDK clients: the
// mailbox simulator and the destination simulator numbers report to the configuration sets' SNS
// event destinations, as a template declares them, in AWS's event shapes.

const template = {
  Resources: {
    Receipts: { Type: 'AWS::SNS::Topic' },
    EmailSet: { Type: 'AWS::SES::ConfigurationSet', Properties: { Name: 'mail-set' } },
    EmailReceipts: {
      Type: 'AWS::SES::ConfigurationSetEventDestination',
      Properties: {
        ConfigurationSetName: { Ref: 'EmailSet' },
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: ['BOUNCE', 'COMPLAINT', 'DELIVERY'],
          SnsDestination: { TopicARN: { Ref: 'Receipts' } },
        },
      },
    },
    SmsSet: {
      Type: 'AWS::SMSVOICE::ConfigurationSet',
      Properties: {
        ConfigurationSetName: 'text-set',
        EventDestinations: [
          {
            EventDestinationName: 'd',
            Enabled: true,
            MatchingEventTypes: ['TEXT_DELIVERED', 'TEXT_INVALID'],
            SnsDestination: { TopicArn: { Ref: 'Receipts' } },
          },
        ],
      },
    },
  },
} as unknown as Template;

const queueArn = localArn.queue('ReceiptsQueue');
let endpoint: ServiceEndpoint;
let sqs: LocalSqs;
const emails: EmailRequest[] = [];
const texts: TextMessage[] = [];
let emailEvents: ProviderEvents;
let smsEvents: ProviderEvents;

beforeAll(async () => {
  sqs = new LocalSqs();
  const sns = new LocalSns({ sqs, sms: { send: () => undefined, isOptedOut: () => false } });
  const names = { Receipts: localArn.topic('Receipts'), EmailSet: 'mail-set', SmsSet: 'text-set' };
  const destinations = configurationSetDestinations(template, names);
  const events = (channel: 'email' | 'sms') =>
    new ProviderEvents({
      destinations: (name) => destinations[channel].get(name) ?? [],
      publish: (topicArn, message) => void sns.publish(topicArn, message),
      delayMs: 50,
    });
  emailEvents = events('email');
  smsEvents = events('sms');
  sns.createTopic(names.Receipts);
  endpoint = await startServiceEndpoint({
    sqs,
    sns,
    sesv2: new LocalSesV2({ send: (email) => void emails.push(email) }, emailEvents),
    smsVoice: new LocalSmsVoiceV2({ send: (text) => void texts.push(text), isOptedOut: (number) => number === '+447700900999' }, smsEvents),
  });
  sqs.createQueue({ name: 'ReceiptsQueue', url: localQueueUrl(endpoint.url, 'ReceiptsQueue'), arn: queueArn });
  sns.subscribe({ topicArn: names.Receipts, queueArn, raw: true, scope: 'MessageAttributes' });
});

afterAll(async () => {
  emailEvents?.stop();
  smsEvents?.stop();
  await endpoint?.stop();
});

async function receipts(): Promise<Record<string, any>[]> {
  await Promise.all([emailEvents.idle(), smsEvents.idle()]);
  return sqs.peek(queueArn).map((message) => JSON.parse(message.body));
}

const ses = () => new SESv2Client({ ...LOCAL_AWS, endpoint: endpoint.url });
const eum = () => new PinpointSMSVoiceV2Client({ ...LOCAL_AWS, endpoint: endpoint.url });

function sendEmail(to: string, tags: { Name: string; Value: string }[] = [{ Name: 'claim0', Value: 'abc' }]) {
  return ses().send(
    new SendEmailCommand({
      FromEmailAddress: 'n@example.com',
      Destination: { ToAddresses: [to] },
      ConfigurationSetName: 'mail-set',
      EmailTags: tags,
      Content: {
        Simple: {
          Subject: { Data: 'Hi' },
          Body: { Text: { Data: 'Hello' } },
          Headers: [{ Name: 'List-Unsubscribe', Value: '<https://example.com/u>' }],
        },
      },
    }),
  );
}

describe('the local SES mailbox simulator', () => {
  it('bounces bounce@ (with a label) hard, tells complaint@ delivered then complained, and reports nothing for an ordinary address', async () => {
    const bounced = await sendEmail('bounce+one@simulator.amazonses.com');
    const complained = await sendEmail('complaint@simulator.amazonses.com');
    await sendEmail('someone@example.com');

    const events = await receipts();
    const mine = (id: string | undefined) => events.filter((event) => event.mail?.messageId === id).map((event) => event.eventType);
    expect(mine(bounced.MessageId)).toEqual(['Bounce']);
    expect(mine(complained.MessageId)).toEqual(['Delivery', 'Complaint']);
    expect(events.filter((event) => event.mail?.destination?.[0] === 'someone@example.com')).toEqual([]);

    const bounce = events.find((event) => event.mail?.messageId === bounced.MessageId);
    expect(bounce).toMatchObject({
      eventType: 'Bounce',
      mail: { destination: ['bounce+one@simulator.amazonses.com'], tags: { claim0: ['abc'], 'ses:configuration-set': ['mail-set'] } },
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [{ emailAddress: 'bounce+one@simulator.amazonses.com', status: '5.1.1' }],
      },
    });
    expect(emails.at(-3)?.headers).toEqual({ 'List-Unsubscribe': '<https://example.com/u>' });
  });

  it('refuses a tag SES would refuse: a `.` is not among its characters', async () => {
    await expect(sendEmail('success@simulator.amazonses.com', [{ Name: 'eventType', Value: 'shipment.shipped' }])).rejects.toMatchObject({
      name: 'BadRequestException',
    });
  });
});

describe('the local End User Messaging SMS', () => {
  it('reports the simulator numbers’ success and failure with the message’s context, and nothing for other numbers', async () => {
    const send = (number: string) =>
      eum().send(
        new SendTextMessageCommand({
          DestinationPhoneNumber: number,
          OriginationIdentity: 'pool-1',
          ConfigurationSetName: 'text-set',
          MessageBody: 'Your parcel is out for delivery.',
          Context: { claim: `c-${number}` },
        }),
      );
    const success = await send('+33755512501');
    const failure = await send('+33755512502');
    await send('+447700900123');

    const events = (await receipts()).filter((event) => String(event.eventType).startsWith('TEXT_'));
    expect(events.map((event) => [event.messageId, event.eventType, event.context.claim])).toEqual([
      [success.MessageId, 'TEXT_DELIVERED', 'c-+33755512501'],
      [failure.MessageId, 'TEXT_INVALID', 'c-+33755512502'],
    ]);
    expect(events[1]).toMatchObject({
      isFinal: true,
      destinationPhoneNumber: '+33755512502',
      isoCountryCode: 'FR',
      messageType: 'TRANSACTIONAL',
    });
    expect(texts.map((text) => text.phoneNumber)).toEqual(['+33755512501', '+33755512502', '+447700900123']);
  });

  it('refuses an opted-out number with the ConflictException and reason the SDK reads', async () => {
    const sent = eum().send(
      new SendTextMessageCommand({ DestinationPhoneNumber: '+447700900999', MessageBody: 'x', OriginationIdentity: 'pool-1' }),
    );
    await expect(sent).rejects.toBeInstanceOf(ConflictException);
    await expect(sent).rejects.toMatchObject({ Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT' });
  });
});
