import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { replayFailures } from '../../scripts/replay-stream-failures.ts';

const sqs = mockClient(SQSClient);
const streams = mockClient(DynamoDBStreamsClient);
const lambda = mockClient(LambdaClient);
afterEach(() => {
  sqs.reset();
  streams.reset();
  lambda.reset();
});

const STREAM = 'arn:aws:dynamodb:eu-west-1:111122223333:table/parcels/stream/2026-11-28T00:00:00.000';
const failure = {
  MessageId: 'm-1',
  ReceiptHandle: 'r-1',
  Body: JSON.stringify({
    requestContext: { condition: 'RetryAttemptsExhausted' },
    DDBStreamBatchInfo: { streamArn: STREAM, shardId: 'shard-1', startSequenceNumber: '200', endSequenceNumber: '300', batchSize: 2 },
  }),
};
const record = (sequence: string) => ({
  eventID: `e-${sequence}`,
  eventName: 'MODIFY' as const,
  dynamodb: { SequenceNumber: sequence, Keys: { PK: { S: 'SHIPMENT#shp-1' }, SK: { S: 'SHIPMENT' } } },
});
const clients = () => ({ sqs: new SQSClient({}), streams: new DynamoDBStreamsClient({}), lambda: new LambdaClient({}) });

describe('replaying stream batches a function gave up on', () => {
  it('reads exactly the failed range back from the stream, invokes the function with it, and deletes the message', async () => {
    // Prepare
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [failure] })
      .resolves({ Messages: [] });
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    streams.on(GetRecordsCommand).resolves({ Records: [record('200'), record('300'), record('301')], NextShardIterator: 'it-2' });
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ batchItemFailures: [] })) as never });

    // Act
    const report = await replayFailures(clients(), { queueUrl: 'https://sqs/q', functionName: 'stream-router' });

    // Assess
    expect(report).toEqual({ replayed: 1, records: 2, kept: [] });
    expect(streams).toHaveReceivedCommandWith(GetShardIteratorCommand, {
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: '200',
      ShardId: 'shard-1',
    });
    const payload = JSON.parse(Buffer.from(lambda.commandCalls(InvokeCommand)[0]?.args[0].input.Payload as Uint8Array).toString('utf8'));
    expect(payload.Records.map((r: { dynamodb: { SequenceNumber: string } }) => r.dynamodb.SequenceNumber)).toEqual(['200', '300']);
    expect(payload.Records[0]).toMatchObject({ eventSource: 'aws:dynamodb', eventSourceARN: STREAM });
    expect(sqs).toHaveReceivedCommandWith(DeleteMessageCommand, { ReceiptHandle: 'r-1' });
  });

  it('keeps the message when the function fails again', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [failure] })
      .resolves({ Messages: [] });
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    streams
      .on(GetRecordsCommand)
      .resolvesOnce({ Records: [record('200')], NextShardIterator: 'it-2' })
      .resolves({ Records: [] });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode('{}') as never });

    const report = await replayFailures(clients(), { queueUrl: 'https://sqs/q', functionName: 'stream-router' });

    expect(report.kept).toEqual([{ messageId: 'm-1', reason: 'Unhandled' }]);
    expect(sqs).not.toHaveReceivedCommand(DeleteMessageCommand);
  });

  it('keeps the message and says why when the records have left the stream', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [failure] })
      .resolves({ Messages: [] });
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-1' });
    streams.on(GetRecordsCommand).resolves({ Records: [] });

    const report = await replayFailures(clients(), { queueUrl: 'https://sqs/q', functionName: 'stream-router' });

    expect(report.kept[0]?.reason).toMatch(/24 h/);
    expect(lambda).not.toHaveReceivedCommand(InvokeCommand);
  });
});
