import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';

/**
 * Every AWS client a function uses, built here and only here: one per container, reused across
 * invocations, each traced by the function's Powertools Tracer (an X-Ray subsegment per call)
 * wherever it traces.
 *
 * One retry policy for all of them, the SDK's own `standard` mode: up to 3 attempts with
 * full-jitter exponential backoff (longer for throttling), retrying throttling, 5xx and network
 * errors and nothing else, under a client-side retry quota that stops retry storms. Calls that
 * still fail are the adapters' to classify (permanent → recorded as failed) or to let through to
 * the event source, whose redelivery is the next layer of retry. What the SDK cannot see — a
 * PublishBatch entry failed inside a 200, a cancelled transaction, a moved wallet version — is
 * retried by the adapters and use cases with domain/retry.ts.
 *
 * Endpoints and region come from the SDK's standard configuration (AWS_REGION,
 * AWS_ENDPOINT_URL_<SERVICE>), which is how the local stack and the tests point a function
 * elsewhere without the code knowing.
 */
// Each client package is free of side effects, so a bundle holds only the clients its function builds.
export const RETRY_POLICY = { retryMode: 'standard', maxAttempts: 3 } as const;

/** An X-Ray subsegment per call of the client, when the function traces. */
function traced<Client>(tracer: Tracer | undefined, client: Client): Client {
  return tracer ? tracer.captureAWSv3Client(client) : client;
}

/** The table adapters wrap it in lib-dynamodb's document client (adapters/dynamo-documents.ts). */
export function dynamoClient(tracer: Tracer | undefined): DynamoDBClient {
  return traced(tracer, new DynamoDBClient({ ...RETRY_POLICY }));
}

export function snsClient(tracer: Tracer | undefined): SNSClient {
  return traced(tracer, new SNSClient({ ...RETRY_POLICY }));
}

export function sqsClient(tracer: Tracer | undefined): SQSClient {
  return traced(tracer, new SQSClient({ ...RETRY_POLICY }));
}

export function sesClient(tracer: Tracer | undefined): SESv2Client {
  return traced(tracer, new SESv2Client({ ...RETRY_POLICY }));
}

/** AWS End User Messaging SMS (the SDK still names it Pinpoint SMS Voice V2). */
export function smsVoiceClient(tracer: Tracer | undefined): PinpointSMSVoiceV2Client {
  return traced(tracer, new PinpointSMSVoiceV2Client({ ...RETRY_POLICY }));
}

export function sfnClient(tracer: Tracer | undefined): SFNClient {
  return traced(tracer, new SFNClient({ ...RETRY_POLICY }));
}

export function ssmClient(tracer: Tracer | undefined): SSMClient {
  return traced(tracer, new SSMClient({ ...RETRY_POLICY }));
}

export function schedulerClient(tracer: Tracer | undefined): SchedulerClient {
  return traced(tracer, new SchedulerClient({ ...RETRY_POLICY }));
}
