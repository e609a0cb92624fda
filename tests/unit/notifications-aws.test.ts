import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConflictException, PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../emulator/lambda-context.ts';
import { sqsRecord } from '../../emulator/lambda-events.ts';
import { DynamoCustomerContacts } from '../../functions/lib/adapters/dynamo-customer-contacts.ts';
import { EumSmsGateway } from '../../functions/lib/adapters/eum-sms-gateway.ts';
import { SesEmailGateway } from '../../functions/lib/adapters/ses-email-gateway.ts';
import { referenceOfTags } from '../../functions/lib/adapters/ses-tags.ts';
import { SnsNotificationPublisher } from '../../functions/lib/adapters/sns-notification-publisher.ts';
import { SqsSmsDeferral } from '../../functions/lib/adapters/sqs-sms-deferral.ts';
import { deliverEmail, deliverSms, type EmailPorts, type SmsPorts } from '../../functions/lib/app/deliver-notification.ts';
import type { NotificationMessage } from '../../functions/lib/domain/notification-message.ts';
import type { ClaimResult, NotificationClaims, Settlement } from '../../functions/lib/domain/notification-ports.ts';
import { channelSenderHandler } from '../../functions/lib/handlers/channel-sender.ts';
import { createObservability } from '../../functions/lib/runtime/observability.ts';
import { MemoryPreferences, MemorySuppressions, shippedSms } from '../support/notification-fakes.ts';

// aws-sdk-client-mock answers `send` itself, so the SDK's retries (tests/unit/aws-clients.test.ts)
// never run here: a rejected call is a call that failed after them. The publisher's own retry of
// failed entries waits with a sleep that returns at once.
const noWait = { attempts: 3, baseDelayMs: 1, sleep: async () => undefined };
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic';
const POOL = 'arn:aws:sms-voice:us-east-1:000000000000:pool/pool-1';

const sns = mockClient(SNSClient);
const ses = mockClient(SESv2Client);
const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBDocumentClient);
const eum = mockClient(PinpointSMSVoiceV2Client);
afterEach(() => {
  eum.reset();
  sns.reset();
  ses.reset();
  sqs.reset();
  dynamo.reset();
});

const TABLE = 'parcelcast-test';
const contacts = () => new DynamoCustomerContacts(DynamoDBDocumentClient.from(new DynamoDBClient({})), TABLE);

/** A confirmed-balance message as the reconciliation workflow publishes it: no recipient. */
function walletMessage(channel: 'sms' | 'email'): NotificationMessage {
  return {
    notificationId: `wallet#wal-1#exec-1#${channel}`,
    eventType: 'wallet.balance_confirmed',
    channel,
    locale: 'en',
    timeZone: 'UTC',
    customerId: 'cus-1',
    owner: 'ams',
    wallet: { walletId: 'wal-1', balance: 3500, currency: 'EUR', reconciledAt: '2026-11-02T11:59:00.000Z' },
    occurredAt: '2026-11-02T11:59:00.000Z',
  };
}

function message(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return shippedSms({
    locale: 'es-ES',
    timeZone: 'UTC',
    shipment: { shipmentId: 'shp-1', status: 'shipped', trackingNumber: 'JD01' },
    ...overrides,
  });
}

/** Claims as a map, so the sender tests see exactly what was recorded. */
class MemoryClaims implements NotificationClaims {
  readonly outcomes = new Map<string, { outcome: string; reason?: string; suppressedBecause?: string }>();
  async claim(m: NotificationMessage): Promise<ClaimResult> {
    const current = this.outcomes.get(m.notificationId);
    if (current && current.outcome !== 'claimed') return { kind: 'settled', status: current.outcome as 'sent' };
    this.outcomes.set(m.notificationId, { outcome: 'claimed' });
    return { kind: 'claimed', token: 't', attempt: 1, reference: `ref:${m.notificationId}` };
  }
  async settle(m: NotificationMessage, _token: string, settlement: Settlement) {
    const { status, reason, suppressedBecause } = settlement;
    this.outcomes.set(m.notificationId, {
      outcome: status,
      ...(reason ? { reason } : {}),
      ...(suppressedBecause ? { suppressedBecause } : {}),
    });
  }
  async release(m: NotificationMessage) {
    this.outcomes.delete(m.notificationId);
  }
  async report() {
    return undefined;
  }
}

/** The ports every sender shares besides its gateway: nothing suppressed, everyone wants every message. */
const sharedPorts = () => ({
  contacts: contacts(),
  suppressions: new MemorySuppressions(),
  preferences: new MemoryPreferences(),
  publisher: new SnsNotificationPublisher(new SNSClient({}), TOPIC, noWait),
});

function sqsEvent(...bodies: NotificationMessage[]): SQSEvent {
  return {
    Records: bodies.map((body, index) =>
      sqsRecord({ body: JSON.stringify(body), messageId: `msg-${index}`, queueArn: 'arn:aws:sqs:us-east-1:000000000000:SmsQueue' }),
    ),
  };
}

const noon = () => new Date('2026-11-02T12:00:00Z');

function smsHandler(claims = new MemoryClaims(), clock = noon) {
  const ports: SmsPorts = {
    ...sharedPorts(),
    claims,
    sms: new EumSmsGateway(new PinpointSMSVoiceV2Client({}), { originationIdentity: POOL, configurationSetName: 'parcelcast-test' }),
    deferral: new SqsSmsDeferral(new SQSClient({}), 'https://sqs.local/SmsQueue'),
    clock,
  };
  return channelSenderHandler('sms', (m) => deliverSms(ports, m), createObservability());
}

describe('stream-router publisher (SNS PublishBatch)', () => {
  it('splits 23 messages into PublishBatch calls of 10, 10 and 3 with the routing attributes', async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    const messages = Array.from({ length: 23 }, (_, index) => message({ notificationId: `n-${index}` }));

    const result = await new SnsNotificationPublisher(new SNSClient({}), TOPIC, noWait).publish(messages);

    expect(result.failed).toEqual([]);
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls.map((call) => call.args[0].input.PublishBatchRequestEntries?.length)).toEqual([10, 10, 3]);
    expect(calls[0]?.args[0].input.TopicArn).toBe(TOPIC);
    expect(calls[0]?.args[0].input.PublishBatchRequestEntries?.[0]?.MessageAttributes).toEqual({
      channel: { DataType: 'String', StringValue: 'sms' },
      eventType: { DataType: 'String', StringValue: 'shipment.shipped' },
      locale: { DataType: 'String', StringValue: 'es-ES' },
    });
    expect(JSON.parse(calls[2]?.args[0].input.PublishBatchRequestEntries?.[2]?.Message ?? '{}')).toMatchObject({ notificationId: 'n-22' });
  });

  it('answers the indexes of entries SNS rejected, and retries only those that were not the sender’s fault', async () => {
    sns
      .on(PublishBatchCommand)
      .resolvesOnce({
        Failed: [
          { Id: 'm1', Code: 'InvalidParameter', SenderFault: true },
          { Id: 'm2', Code: 'InternalError', SenderFault: false },
        ],
      })
      .resolves({ Failed: [] });

    const result = await new SnsNotificationPublisher(new SNSClient({}), TOPIC, noWait).publish([message(), message(), message()]);

    expect(result.failed).toEqual([1]);
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.PublishBatchRequestEntries?.map((entry) => entry.Id)).toEqual(['m2']);
  });

  it('reports every entry of a call that still failed after the SDK retries, without calling again itself', async () => {
    sns.on(PublishBatchCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));

    const result = await new SnsNotificationPublisher(new SNSClient({}), TOPIC, noWait).publish([message(), message()]);

    expect(result.failed).toEqual([0, 1]);
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 1);
  });

  it('gives up on an entry SNS keeps failing on its side after 3 attempts, and reports it', async () => {
    sns.on(PublishBatchCommand).resolves({ Failed: [{ Id: 'm1', Code: 'InternalError', SenderFault: false }] });

    const result = await new SnsNotificationPublisher(new SNSClient({}), TOPIC, noWait).publish([message(), message()]);

    expect(result.failed).toEqual([1]);
    expect(sns).toHaveReceivedCommandTimes(PublishBatchCommand, 3);
  });
});

describe('send-sms', () => {
  it('sends a transactional SMS from the pool with the configuration set and the claim reference as context', async () => {
    eum.on(SendTextMessageCommand).resolves({ MessageId: 'sms-1' });
    const claims = new MemoryClaims();

    const response = await smsHandler(claims)(sqsEvent(message()), lambdaContext('SendSmsFunction'));

    expect(response.batchItemFailures).toEqual([]);
    expect(eum).toHaveReceivedCommandWith(SendTextMessageCommand, {
      DestinationPhoneNumber: '+34600111222',
      OriginationIdentity: POOL,
      ConfigurationSetName: 'parcelcast-test',
      MessageBody: 'Parcelcast: Tu paquete JD01 ha sido enviado.',
      MessageType: 'TRANSACTIONAL',
      Context: { claim: 'ref:shipment#shp-1#shipped#sms' },
    });
    expect(claims.outcomes.get('shipment#shp-1#shipped#sms')).toEqual({ outcome: 'sent' });
  });

  it('records a number that opted out (STOP) as suppressed and puts it on the suppression list', async () => {
    eum
      .on(SendTextMessageCommand)
      .rejects(new ConflictException({ message: 'opted out', $metadata: {}, Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT' }));
    const claims = new MemoryClaims();
    const suppressions = new MemorySuppressions();
    const ports: SmsPorts = {
      ...sharedPorts(),
      suppressions,
      claims,
      sms: new EumSmsGateway(new PinpointSMSVoiceV2Client({}), { originationIdentity: POOL, configurationSetName: 'parcelcast-test' }),
      deferral: new SqsSmsDeferral(new SQSClient({}), 'https://sqs.local/SmsQueue'),
      clock: noon,
    };

    const outcome = await deliverSms(ports, message());

    expect(outcome).toBe('suppressed');
    expect(claims.outcomes.get('shipment#shp-1#shipped#sms')).toEqual({ outcome: 'suppressed', suppressedBecause: 'opted_out' });
    expect(await suppressions.find('sms', '+34600111222')).toMatchObject({ reason: 'opted_out', source: 'shipment#shp-1#shipped#sms' });
  });

  it('reports only the record whose send kept failing, and frees its claim for the retry', async () => {
    eum
      .on(SendTextMessageCommand, { DestinationPhoneNumber: '+34600000002' })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .on(SendTextMessageCommand, { DestinationPhoneNumber: '+34600111222' })
      .resolves({ MessageId: 'ok' });
    const claims = new MemoryClaims();
    const failing = message({ notificationId: 'shipment#shp-2#shipped#sms', recipient: '+34600000002' });

    const response = await smsHandler(claims)(sqsEvent(message(), failing), lambdaContext('SendSmsFunction'));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'msg-1' }]);
    expect(claims.outcomes.has('shipment#shp-2#shipped#sms')).toBe(false);
    expect(claims.outcomes.get('shipment#shp-1#shipped#sms')).toEqual({ outcome: 'sent' });
  });

  it('records an invalid number as failed with a reason, without retrying it', async () => {
    eum.on(SendTextMessageCommand).rejects(Object.assign(new Error('Invalid destination +34600111222'), { name: 'ValidationException' }));
    const claims = new MemoryClaims();

    const response = await smsHandler(claims)(sqsEvent(message()), lambdaContext('SendSmsFunction'));

    expect(response.batchItemFailures).toEqual([]);
    expect(claims.outcomes.get('shipment#shp-1#shipped#sms')).toEqual({
      outcome: 'failed',
      reason: 'End User Messaging refused the SMS (ValidationException)',
    });
  });

  it('holds an SMS due in quiet hours: back on its queue with a delay of at most 15 minutes, nothing sent', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'later' });
    const night = () => new Date('2026-11-02T23:30:00Z');

    const response = await smsHandler(new MemoryClaims(), night)(sqsEvent(message()), lambdaContext('SendSmsFunction'));

    expect(response.batchItemFailures).toEqual([]);
    expect(eum).not.toHaveReceivedCommand(SendTextMessageCommand);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, { QueueUrl: 'https://sqs.local/SmsQueue', DelaySeconds: 900 });
  });

  it('sends a duplicate delivery of a sent notification no second time', async () => {
    eum.on(SendTextMessageCommand).resolves({ MessageId: 'once' });
    const claims = new MemoryClaims();
    const handler = smsHandler(claims);

    await handler(sqsEvent(message()), lambdaContext('SendSmsFunction'));
    await handler(sqsEvent(message()), lambdaContext('SendSmsFunction'));

    expect(eum).toHaveReceivedCommandTimes(SendTextMessageCommand, 1);
  });

  it('sends a wallet message without recipient to the phone on the customer profile', async () => {
    dynamo.on(GetCommand).resolves({ Item: { phone: '+34600999888' } });
    eum.on(SendTextMessageCommand).resolves({ MessageId: 'sms-w' });
    const claims = new MemoryClaims();

    const response = await smsHandler(claims)(sqsEvent(walletMessage('sms')), lambdaContext('SendSmsFunction'));

    expect(response.batchItemFailures).toEqual([]);
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { PK: 'CUSTOMER#ams#cus-1', SK: 'PROFILE' },
      ProjectionExpression: '#contact',
      ExpressionAttributeNames: { '#contact': 'phone' },
    });
    expect(eum).toHaveReceivedCommandWith(SendTextMessageCommand, {
      DestinationPhoneNumber: '+34600999888',
      MessageBody: expect.stringContaining('35'),
    });
    expect(claims.outcomes.get('wallet#wal-1#exec-1#sms')).toEqual({ outcome: 'sent' });
  });

  it('does not read the profile for a message that names its recipient', async () => {
    eum.on(SendTextMessageCommand).resolves({ MessageId: 'sms-s' });

    await smsHandler()(sqsEvent(message()), lambdaContext('SendSmsFunction'));

    expect(dynamo).not.toHaveReceivedCommand(GetCommand);
    expect(eum).toHaveReceivedCommandWith(SendTextMessageCommand, { DestinationPhoneNumber: '+34600111222' });
  });

  it('records a wallet SMS as failed, without retrying, when the profile has no phone any more', async () => {
    dynamo.on(GetCommand).resolves({ Item: {} });
    const claims = new MemoryClaims();

    const response = await smsHandler(claims)(sqsEvent(walletMessage('sms')), lambdaContext('SendSmsFunction'));

    expect(response.batchItemFailures).toEqual([]);
    expect(eum).not.toHaveReceivedCommand(SendTextMessageCommand);
    expect(claims.outcomes.get('wallet#wal-1#exec-1#sms')).toEqual({
      outcome: 'failed',
      reason: 'customer cus-1 has no phone number on their profile any more',
    });
  });

  it('reports a wallet SMS whose profile could not be read, and frees its claim for the retry', async () => {
    dynamo.on(GetCommand).rejects(Object.assign(new Error('Throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }));
    eum.on(SendTextMessageCommand).resolves({ MessageId: 'ok' });
    const claims = new MemoryClaims();

    const response = await smsHandler(claims)(sqsEvent(message(), walletMessage('sms')), lambdaContext('SendSmsFunction'));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'msg-1' }]);
    expect(eum).toHaveReceivedCommandTimes(SendTextMessageCommand, 1);
    expect(eum).toHaveReceivedCommandWith(SendTextMessageCommand, { DestinationPhoneNumber: '+34600111222' });
    expect(claims.outcomes.has('wallet#wal-1#exec-1#sms')).toBe(false);
    expect(claims.outcomes.get('shipment#shp-1#shipped#sms')).toEqual({ outcome: 'sent' });
  });
});

describe('send-email', () => {
  const email = message({ notificationId: 'shipment#shp-1#shipped#email', channel: 'email', recipient: 'ana@example.com' });
  const handler = (claims = new MemoryClaims()) => {
    const ports: EmailPorts = {
      ...sharedPorts(),
      claims,
      email: new SesEmailGateway(new SESv2Client({}), {
        fromAddress: 'notify@parcelcast.example',
        configurationSetName: 'parcelcast-notifications',
      }),
      links: { linkFor: async (subject) => `https://api.parcelcast.example/v1/preferences/token-of-${subject.customerId}` },
      clock: noon,
    };
    return channelSenderHandler('email', (m) => deliverEmail(ports, m), createObservability());
  };

  it('sends one SES v2 email per recipient with text and HTML bodies, the one-click unsubscribe headers, the configuration set and tags', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'e-1' });
    const link = 'https://api.parcelcast.example/v1/preferences/token-of-cus-1';

    const response = await handler()(sqsEvent(email), lambdaContext('SendEmailFunction'));

    expect(response.batchItemFailures).toEqual([]);
    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, {
      FromEmailAddress: 'notify@parcelcast.example',
      Destination: { ToAddresses: ['ana@example.com'] },
      ConfigurationSetName: 'parcelcast-notifications',
      Content: {
        Simple: {
          Subject: { Data: 'Tu paquete está en camino', Charset: 'UTF-8' },
          Body: {
            Text: { Data: expect.stringContaining(`Tu paquete JD01 ha sido enviado.`), Charset: 'UTF-8' },
            Html: { Data: expect.stringContaining(`<a href="${link}">Elige qué mensajes recibes</a>`), Charset: 'UTF-8' },
          },
          Headers: [
            { Name: 'List-Unsubscribe', Value: `<${link}>` },
            { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
          ],
        },
      },
    });
    const tags = ses.commandCalls(SendEmailCommand)[0]?.args[0].input.EmailTags ?? [];
    expect(tags[0]).toEqual({ Name: 'eventType', Value: 'shipment-shipped' });
    // Every tag SES accepts: ASCII letters, digits, _ and -, at most 256 characters.
    for (const tag of tags) expect(`${tag.Name}=${tag.Value}`).toMatch(/^[A-Za-z0-9_-]{1,256}=[A-Za-z0-9_-]{1,256}$/);
    expect(referenceOfTags(Object.fromEntries(tags.map((tag) => [tag.Name, [tag.Value as string]])))).toBe(
      'ref:shipment#shp-1#shipped#email',
    );
  });

  it('records a rejected message as failed and does not retry it', async () => {
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('Email address is not verified'), { name: 'MessageRejected' }));
    const claims = new MemoryClaims();

    const response = await handler(claims)(sqsEvent(email), lambdaContext('SendEmailFunction'));

    expect(response.batchItemFailures).toEqual([]);
    expect(claims.outcomes.get('shipment#shp-1#shipped#email')).toEqual({
      outcome: 'failed',
      reason: 'SES rejected the email (MessageRejected)',
    });
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
  });

  it('sends a wallet message without recipient to the address on the customer profile', async () => {
    dynamo.on(GetCommand).resolves({ Item: { email: 'ana.new@example.com' } });
    ses.on(SendEmailCommand).resolves({ MessageId: 'e-w' });
    const claims = new MemoryClaims();

    const response = await handler(claims)(sqsEvent(walletMessage('email')), lambdaContext('SendEmailFunction'));

    expect(response.batchItemFailures).toEqual([]);
    expect(dynamo).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE,
      Key: { PK: 'CUSTOMER#ams#cus-1', SK: 'PROFILE' },
      ExpressionAttributeNames: { '#contact': 'email' },
    });
    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, { Destination: { ToAddresses: ['ana.new@example.com'] } });
    expect(claims.outcomes.get('wallet#wal-1#exec-1#email')).toEqual({ outcome: 'sent' });
  });

  it('records a wallet email as failed, without retrying, when the customer profile is gone', async () => {
    dynamo.on(GetCommand).resolves({});
    const claims = new MemoryClaims();

    const response = await handler(claims)(sqsEvent(walletMessage('email')), lambdaContext('SendEmailFunction'));

    expect(response.batchItemFailures).toEqual([]);
    expect(ses).not.toHaveReceivedCommand(SendEmailCommand);
    expect(claims.outcomes.get('wallet#wal-1#exec-1#email')).toEqual({
      outcome: 'failed',
      reason: 'customer cus-1 has no email address on their profile any more',
    });
  });
});
