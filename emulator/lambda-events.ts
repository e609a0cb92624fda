import { createHash, randomUUID } from 'node:crypto';
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2, DynamoDBRecord, SQSRecord } from 'aws-lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION, localArn } from './aws-local.ts';
import type { MessageAttribute } from './services/protocol.ts';

/**
 * The events Lambda hands a function, shaped as AWS shapes them: the HTTP API's payload format
 * 2.0, SQS records and DynamoDB stream records. The emulator's event sources build their events
 * here, and so do tests and tools that invoke a handler directly: one copy of each shape.
 */

export interface HttpRequestParts {
  method: string;
  /** The route as declared in the template, e.g. `/v1/shipments/{shipmentId}`. */
  routePath: string;
  /** The path as requested, e.g. `/v1/shipments/shp-1`. */
  path: string;
  rawQueryString?: string;
  headers: Record<string, string>;
  pathParameters?: Record<string, string>;
  body?: string;
  /** The body is base64 of bytes that are not UTF-8 text, as API Gateway hands a binary body. */
  isBase64Encoded?: boolean;
  sourceIp?: string;
  protocol?: string;
}

/** The HTTP API payload format 2.0 event for a request (also what `sam local invoke -e` takes). */
export function apiGatewayEvent(request: HttpRequestParts): APIGatewayProxyEventV2 {
  const now = new Date();
  const routeKey = `${request.method} ${request.routePath}`;
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
  const query = new URLSearchParams(request.rawQueryString ?? '');
  const queryStringParameters = Object.fromEntries(query.entries());
  return {
    version: '2.0',
    routeKey,
    rawPath: request.path,
    rawQueryString: request.rawQueryString ?? '',
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    ...(request.pathParameters && Object.keys(request.pathParameters).length > 0 ? { pathParameters: request.pathParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method,
        path: request.path,
        protocol: request.protocol ?? 'HTTP/1.1',
        sourceIp: request.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(request.body !== undefined && request.body !== '' ? { body: request.body } : {}),
    isBase64Encoded: request.isBase64Encoded ?? false,
  };
}

export interface SqsMessageParts {
  body: string;
  messageId?: string;
  receiptHandle?: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount?: number;
  sentAt?: number;
  firstReceivedAt?: number;
  messageAttributes?: Record<string, MessageAttribute>;
  /** The queue's ARN; a queue named `Queue` in the local account by default. */
  queueArn?: string;
}

/** One record of an SQS event, as Lambda's SQS event source mapping delivers it. */
export function sqsRecord(message: SqsMessageParts): SQSRecord {
  const messageId = message.messageId ?? randomUUID();
  const sentAt = message.sentAt ?? Date.now();
  return {
    messageId,
    receiptHandle: message.receiptHandle ?? `local-${messageId}`,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount ?? 1),
      SentTimestamp: String(sentAt),
      SenderId: LOCAL_ACCOUNT,
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? sentAt),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.messageAttributes ?? {}).map(([name, value]) => [
        name,
        { dataType: value.DataType, stringValue: value.StringValue, stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: createHash('md5').update(message.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: message.queueArn ?? localArn.queue('Queue'),
    awsRegion: LOCAL_REGION,
  };
}

/** A local table's stream ARN, for records built by hand. */
export const localStreamArn = (table: string) => `${localArn.table(table)}/stream/local`;

export interface StreamRecordParts {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** Plain values; marshalled here as DynamoDB Streams would carry them. */
  keys: Record<string, unknown>;
  newImage?: Record<string, unknown>;
  oldImage?: Record<string, unknown>;
  sequenceNumber: string;
  streamArn?: string;
  streamViewType?: 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY';
}

/** Marshalled as the stream carries it to Lambda: binary values (B, BS) in base64. */
const toAttributeValues = (item: Record<string, unknown>) =>
  JSON.parse(
    JSON.stringify(marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true }), (_key, value) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
    ),
  ) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'];

/** One record of a DynamoDB stream event, built from plain items, as Lambda's stream event source mapping delivers it. */
export function streamRecord(parts: StreamRecordParts): DynamoDBRecord {
  return {
    eventID: parts.sequenceNumber,
    eventName: parts.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_REGION,
    eventSourceARN: parts.streamArn ?? localStreamArn('Table'),
    dynamodb: {
      Keys: toAttributeValues(parts.keys),
      ...(parts.newImage ? { NewImage: toAttributeValues(parts.newImage) } : {}),
      ...(parts.oldImage ? { OldImage: toAttributeValues(parts.oldImage) } : {}),
      SequenceNumber: parts.sequenceNumber,
      StreamViewType: parts.streamViewType ?? 'NEW_AND_OLD_IMAGES',
    },
  };
}

/**
 * A GetRecords record as the wire carries it (JSON), before the SDK turns it into a `_Record`: its
 * creation time in epoch seconds and binary attributes in base64, as Lambda's event has them.
 */
export type WireStreamRecord = Omit<_Record, 'dynamodb'> & {
  dynamodb?: Omit<NonNullable<_Record['dynamodb']>, 'ApproximateCreationDateTime'> & { ApproximateCreationDateTime?: number };
};

/** A record read with the DynamoDB Streams API (GetRecords), decoded by the SDK or as on the wire, as Lambda hands it to a function. */
export function lambdaStreamRecord(record: _Record | WireStreamRecord, streamArn: string): DynamoDBRecord {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_REGION,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(dynamodb as DynamoDBRecord['dynamodb']),
      ...(ApproximateCreationDateTime
        ? {
            ApproximateCreationDateTime: Math.floor(
              typeof ApproximateCreationDateTime === 'number'
                ? ApproximateCreationDateTime
                : new Date(ApproximateCreationDateTime).getTime() / 1000,
            ),
          }
        : {}),
    },
  };
}
