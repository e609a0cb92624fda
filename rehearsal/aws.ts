import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { REGION } from './moto.ts';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The AWS clients of one principal, all pointed at one endpoint. */
export function awsClients(endpoint: string, credentials: Credentials) {
  const config = { endpoint, region: REGION, credentials, forcePathStyle: true };
  return {
    apigateway: new ApiGatewayV2Client(config),
    cloudformation: new CloudFormationClient(config),
    cloudwatch: new CloudWatchClient(config),
    dynamodb: new DynamoDBClient(config),
    streams: new DynamoDBStreamsClient(config),
    iam: new IAMClient(config),
    lambda: new LambdaClient(config),
    s3: new S3Client(config),
    scheduler: new SchedulerClient(config),
    ses: new SESv2Client(config),
    sfn: new SFNClient(config),
    smsVoice: new PinpointSMSVoiceV2Client(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    ssm: new SSMClient(config),
    sts: new STSClient(config),
  };
}

export type AwsClients = ReturnType<typeof awsClients>;

/** Credentials moto accepts while it checks nothing, for the first IAM calls. */
export const UNCHECKED: Credentials = { accessKeyId: 'AKIAREHEARSALSETUP00', secretAccessKey: 'unchecked' };
