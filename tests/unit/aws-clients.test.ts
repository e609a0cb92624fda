import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EumSmsGateway } from '../../functions/lib/adapters/eum-sms-gateway.ts';
import { SesEmailGateway } from '../../functions/lib/adapters/ses-email-gateway.ts';
import { SnsNotificationPublisher } from '../../functions/lib/adapters/sns-notification-publisher.ts';
import { SqsSmsDeferral } from '../../functions/lib/adapters/sqs-sms-deferral.ts';
import { PermanentDeliveryError } from '../../functions/lib/domain/notification-ports.ts';
import {
  dynamoClient,
  RETRY_POLICY,
  sesClient,
  sfnClient,
  smsVoiceClient,
  snsClient,
  sqsClient,
  ssmClient,
} from '../../functions/lib/runtime/aws-clients.ts';
import { createObservability } from '../../functions/lib/runtime/observability.ts';
import { type FakeAwsEndpoint, startFakeAwsEndpoint, THROTTLED, UNAVAILABLE } from '../support/aws-endpoint.ts';
import { shippedSms } from '../support/notification-fakes.ts';

// The clients the composition roots build, pointed at a loopback endpoint by the SDK's own
// AWS_ENDPOINT_URL_<SERVICE> settings: the retries seen here are the SDK's, under the one policy.

const { tracer } = createObservability();
let endpoint: FakeAwsEndpoint;
const noWait = { attempts: 3, baseDelayMs: 1, sleep: async () => undefined };

beforeAll(async () => {
  endpoint = await startFakeAwsEndpoint();
  vi.stubEnv('AWS_ENDPOINT_URL_SNS', endpoint.url);
  vi.stubEnv('AWS_ENDPOINT_URL_SQS', endpoint.url);
  vi.stubEnv('AWS_ENDPOINT_URL_SESV2', endpoint.url);
  vi.stubEnv('AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2', endpoint.url);
});
afterEach(() => endpoint.reset());
afterAll(async () => {
  vi.unstubAllEnvs();
  await endpoint?.close();
});

const message = shippedSms();
const sms = { text: 'Parcelcast: shipped.', encoding: 'GSM-7', segments: 1 } as never;
const email = { to: 'ana@example.com', subject: 's', text: 't', html: '<p>t</p>', message, reference: 'ref' };

describe('the AWS clients of every function', () => {
  it('share one retry policy: the SDK standard mode, 3 attempts', async () => {
    const clients = [dynamoClient, snsClient, smsVoiceClient, sqsClient, sesClient, sfnClient, ssmClient].map((build) => build(tracer));

    const policies = await Promise.all(clients.map(async (client) => [client.config.retryMode, await client.config.maxAttempts()]));

    expect(RETRY_POLICY).toEqual({ retryMode: 'standard', maxAttempts: 3 });
    expect(policies).toEqual(clients.map(() => ['standard', 3]));
  });

  it('reach the endpoint AWS_ENDPOINT_URL_<SERVICE> names', async () => {
    await new SqsSmsDeferral(sqsClient(tracer), `${endpoint.url}/000000000000/SmsQueue`).redeliver(message, 60);

    expect(endpoint.received).toMatchObject([{ operation: 'SendMessage', input: { DelaySeconds: 60 } }]);
  });
});

describe('End User Messaging SMS through the SDK retries', () => {
  const gateway = () =>
    new EumSmsGateway(smsVoiceClient(tracer), { originationIdentity: 'pool-1', configurationSetName: 'parcelcast-test' });

  it('retries a throttled SendTextMessage and sends once', async () => {
    endpoint.fail('SendTextMessage', 1, THROTTLED.sms);

    const result = await gateway().send({ phoneNumber: '+34600111222', sms, reference: 'ref' });

    expect(result).toMatchObject({ kind: 'accepted', providerMessageId: expect.any(String) });
    expect(endpoint.count('SendTextMessage')).toBe(2);
  });

  it('does not retry an invalid number, and calls it permanent', async () => {
    endpoint.fail('SendTextMessage', 1, { status: 400, code: 'ValidationException', message: 'Invalid destination' });

    const sent = gateway().send({ phoneNumber: '+1', sms, reference: 'ref' });

    await expect(sent).rejects.toThrow(PermanentDeliveryError);
    expect(endpoint.count('SendTextMessage')).toBe(1);
  });

  it('answers a number that opted out as opted_out, without retrying', async () => {
    endpoint.optedOut.add('+34600111222');

    expect(await gateway().send({ phoneNumber: '+34600111222', sms, reference: 'ref' })).toEqual({ kind: 'opted_out' });
    expect(endpoint.count('SendTextMessage')).toBe(1);
  });
});

describe('SES v2 through the SDK retries', () => {
  it('retries a throttled SendEmail and sends once', async () => {
    endpoint.fail('SendEmail', 1, THROTTLED.ses);

    await new SesEmailGateway(sesClient(tracer), { fromAddress: 'notify@parcelcast.example' }).send(email);

    expect(endpoint.count('SendEmail')).toBe(2);
  });

  it('gives up after 3 attempts at an SES that keeps answering 503, leaving it to the queue', async () => {
    endpoint.fail('SendEmail', Number.POSITIVE_INFINITY, UNAVAILABLE.ses);

    const sent = new SesEmailGateway(sesClient(tracer), { fromAddress: 'notify@parcelcast.example' }).send(email);

    await expect(sent).rejects.toMatchObject({ name: 'ServiceUnavailableException' });
    expect(endpoint.count('SendEmail')).toBe(3);
  });

  it('does not retry a rejected message, and calls it permanent', async () => {
    endpoint.fail('SendEmail', 1, { status: 400, code: 'MessageRejected', message: 'Email address is not verified.' });

    const sent = new SesEmailGateway(sesClient(tracer), { fromAddress: 'notify@parcelcast.example' }).send(email);

    await expect(sent).rejects.toThrow(PermanentDeliveryError);
    expect(endpoint.count('SendEmail')).toBe(1);
  });
});

describe('SQS quiet-hours deferral through the SDK retries', () => {
  it('retries a throttled SendMessage and sends once', async () => {
    endpoint.fail('SendMessage', 1, THROTTLED.sqs);

    await new SqsSmsDeferral(sqsClient(tracer), `${endpoint.url}/000000000000/SmsQueue`).redeliver(message, 900);

    expect(endpoint.count('SendMessage')).toBe(2);
  });
});

describe('the stream router publisher (SNS PublishBatch)', () => {
  const publisher = () => new SnsNotificationPublisher(snsClient(tracer), 'arn:aws:sns:us-east-1:000000000000:NotificationsTopic', noWait);

  it('retries a throttled PublishBatch (the SDK) and publishes every message once', async () => {
    endpoint.fail('PublishBatch', 1, THROTTLED.sns);

    const result = await publisher().publish([message, message]);

    expect(result.failed).toEqual([]);
    expect(endpoint.count('PublishBatch')).toBe(2);
  });

  it('reports every entry of a batch whose throttling outlasts the 3 attempts', async () => {
    endpoint.fail('PublishBatch', Number.POSITIVE_INFINITY, THROTTLED.sns);

    const result = await publisher().publish([message, message]);

    expect(result.failed).toEqual([0, 1]);
    expect(endpoint.count('PublishBatch')).toBe(3);
  });

  it('sends again only the entries SNS failed on its side inside a successful response', async () => {
    endpoint.failEntries(['m1'], 'InternalError', false);

    const result = await publisher().publish([message, message, message]);

    const batches = endpoint.received.filter((request) => request.operation === 'PublishBatch');
    const ids = batches.map((batch) =>
      Object.entries(batch.input)
        .filter(([key]) => key.endsWith('.Id'))
        .map(([, id]) => id),
    );
    expect(result.failed).toEqual([]);
    expect(ids).toEqual([['m0', 'm1', 'm2'], ['m1']]);
  });
});
