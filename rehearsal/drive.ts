import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type _Record, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { matchesPattern } from '../emulator/services/event-patterns.ts';
import type { AwsClients } from './aws.ts';
import { ACCOUNT, REGION } from './moto.ts';

/**
 * The rehearsal's stand-in for Lambda itself, kept to a narrow interface: `invoke(logicalId,
 * event)` runs a function in its own process, and one poller per event source mapping does the
 * mapping's part (read the stream or queue with the function's own role, filter, batch, invoke,
 * honour partial batch responses, report to the OnFailure destination). Each poller's `poll()`
 * delivers what is there now and says how many records it handed over.
 */

export interface FunctionSpec {
  logicalId: string;
  functionArn: string;
  timeoutSeconds: number;
  /** Where the deployed bundle was unpacked (LAMBDA_TASK_ROOT). */
  codeDirectory: string;
  /** The whole environment of the process: the function's configuration, Lambda's own variables, credentials. */
  environment: Record<string, string>;
}

export interface InvokeResult {
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
}

export interface Invocation {
  logicalId: string;
  source: string;
  records: number;
  outcome: string;
}

const RUNTIME = fileURLToPath(new URL('./lambda-runtime.ts', import.meta.url));

export class FunctionRunner {
  readonly invocations: Invocation[] = [];
  /** Every line the functions wrote (stdout and stderr), by logical id. */
  readonly logs = new Map<string, string[]>();
  private readonly specs: Map<string, FunctionSpec>;
  private readonly processes = new Map<string, Promise<ChildProcess>>();
  private sequence = 0;

  constructor(specs: FunctionSpec[]) {
    this.specs = new Map(specs.map((spec) => [spec.logicalId, spec]));
  }

  async invoke(logicalId: string, event: unknown, source = 'direct', records = 1): Promise<InvokeResult> {
    const child = await this.process(logicalId);
    const id = ++this.sequence;
    child.send({ id, event, requestId: randomUUID() });
    const answer = await new Promise<InvokeResult>((resolve) => {
      const listener = (message: InvokeResult & { id?: number }) => {
        if (message.id !== id) return;
        child.off('message', listener);
        resolve(message);
      };
      child.on('message', listener);
    });
    const outcome = answer.error ? `${answer.error.errorType}: ${answer.error.errorMessage}` : summarise(answer.result);
    this.invocations.push({ logicalId, source, records, outcome });
    return answer;
  }

  async stop(): Promise<void> {
    for (const pending of this.processes.values()) {
      const child = await pending.catch(() => undefined);
      if (!child || child.exitCode !== null) continue;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    }
  }

  private process(logicalId: string): Promise<ChildProcess> {
    let pending = this.processes.get(logicalId);
    if (!pending) {
      const spec = this.specs.get(logicalId);
      if (!spec) throw new Error(`no deployed function ${logicalId}`);
      pending = this.start(spec);
      this.processes.set(logicalId, pending);
    }
    return pending;
  }

  private async start(spec: FunctionSpec): Promise<ChildProcess> {
    const child = fork(RUNTIME, [], {
      env: { ...spec.environment, REHEARSAL_TIMEOUT_SECONDS: String(spec.timeoutSeconds), REHEARSAL_FUNCTION_ARN: spec.functionArn },
      cwd: spec.codeDirectory,
      execPath: process.execPath,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const lines: string[] = [];
    this.logs.set(spec.logicalId, lines);
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    }
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`${spec.logicalId} exited (${code}) before it was ready: ${lines.join('\n')}`)));
    });
    return child;
  }
}

function summarise(result: unknown): string {
  if (result === null || result === undefined) return 'ok';
  const value = result as Record<string, unknown>;
  if (typeof value.statusCode === 'number') return `HTTP ${value.statusCode}`;
  if (Array.isArray(value.batchItemFailures)) return `${value.batchItemFailures.length} batch item failures`;
  return 'ok';
}

export interface Poller {
  readonly logicalId: string;
  readonly source: string;
  /** Delivers what the source holds now; resolves to the number of records handed to the function. */
  poll(): Promise<number>;
}

/** Lambda's DynamoDB stream event source mapping, reading the stream with the function's role. */
export class StreamMappingPoller implements Poller {
  readonly logicalId: string;
  readonly source: string;
  private readonly mapping: EventSourceMappingConfiguration;
  private readonly runner: FunctionRunner;
  private readonly clients: AwsClients;
  private readonly filters: Record<string, unknown>[];
  private iterators: Map<string, string> | undefined;
  /** Records read but not yet taken by the function, per shard, oldest first. */
  private readonly pending = new Map<string, _Record[]>();
  private readonly attempts = new Map<string, number>();

  constructor(logicalId: string, mapping: EventSourceMappingConfiguration, runner: FunctionRunner, clients: AwsClients) {
    this.logicalId = logicalId;
    this.source = `stream ${mapping.EventSourceArn?.split('/')[1]}`;
    this.mapping = mapping;
    this.runner = runner;
    this.clients = clients;
    this.filters = (mapping.FilterCriteria?.Filters ?? []).map((filter) => JSON.parse(String(filter.Pattern)) as Record<string, unknown>);
  }

  async poll(): Promise<number> {
    const streamArn = String(this.mapping.EventSourceArn);
    if (!this.iterators) {
      this.iterators = new Map();
      const { StreamDescription } = await this.clients.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
      for (const shard of StreamDescription?.Shards ?? []) {
        const { ShardIterator } = await this.clients.streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: this.mapping.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
          }),
        );
        if (ShardIterator) this.iterators.set(String(shard.ShardId), ShardIterator);
      }
    }
    let delivered = 0;
    for (const [shardId, iterator] of this.iterators) {
      const { Records, NextShardIterator } = await this.clients.streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }),
      );
      if (NextShardIterator) this.iterators.set(shardId, NextShardIterator);
      const kept = (Records ?? []).filter(
        (record) => this.filters.length === 0 || this.filters.some((filter) => matchesPattern(filter, lambdaRecord(record, streamArn))),
      );
      const queue = [...(this.pending.get(shardId) ?? []), ...kept];
      const batchSize = this.mapping.BatchSize ?? 100;
      while (queue.length > 0) {
        const batch = queue.slice(0, batchSize);
        const taken = await this.deliver(batch, streamArn);
        delivered += batch.length;
        if (taken === batch.length) {
          queue.splice(0, batch.length);
          continue;
        }
        queue.splice(0, taken);
        break;
      }
      this.pending.set(shardId, queue);
    }
    return delivered;
  }

  /** Invokes with one batch; how many records from its start are done (taken, or sent to OnFailure). */
  private async deliver(batch: _Record[], streamArn: string): Promise<number> {
    const event = { Records: batch.map((record) => lambdaRecord(record, streamArn)) };
    const answer = await this.runner.invoke(this.logicalId, event, this.source, batch.length);
    const failures = (answer.result as { batchItemFailures?: { itemIdentifier: string }[] } | null)?.batchItemFailures ?? [];
    const reportsItems = (this.mapping.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures');
    let taken = batch.length;
    if (answer.error) taken = 0;
    else if (reportsItems && failures.length > 0) {
      // Lambda checkpoints before the lowest failed sequence number and retries from there.
      const failed = new Set(failures.map((failure) => failure.itemIdentifier));
      taken = batch.findIndex((record) => failed.has(String(record.dynamodb?.SequenceNumber)));
      if (taken < 0) taken = 0;
    }
    if (taken === batch.length) return taken;
    const key = String(batch[taken]?.dynamodb?.SequenceNumber);
    const attempts = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempts);
    const limit = this.mapping.MaximumRetryAttempts ?? -1;
    if (limit < 0 || attempts <= limit) return taken;
    await this.reportFailure(batch.slice(taken), streamArn, answer.error ? 'Function call failed' : 'Batch item failures');
    return batch.length;
  }

  /** What Lambda sends the OnFailure destination: where the batch was, not the records. */
  private async reportFailure(records: _Record[], streamArn: string, condition: string) {
    const destination = this.mapping.DestinationConfig?.OnFailure?.Destination;
    if (!destination) return;
    const first = records[0]?.dynamodb;
    const last = records.at(-1)?.dynamodb;
    await this.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl(destination),
        MessageBody: JSON.stringify({
          requestContext: { functionArn: this.mapping.FunctionArn, condition, approximateInvokeCount: this.mapping.MaximumRetryAttempts },
          DDBStreamBatchInfo: {
            streamArn,
            startSequenceNumber: first?.SequenceNumber,
            endSequenceNumber: last?.SequenceNumber,
            batchSize: records.length,
          },
        }),
      }),
    );
  }
}

/** Lambda's SQS event source mapping, receiving and deleting with the function's role. */
export class QueueMappingPoller implements Poller {
  readonly logicalId: string;
  readonly source: string;
  private readonly mapping: EventSourceMappingConfiguration;
  private readonly runner: FunctionRunner;
  private readonly clients: AwsClients;

  constructor(logicalId: string, mapping: EventSourceMappingConfiguration, runner: FunctionRunner, clients: AwsClients) {
    this.logicalId = logicalId;
    this.source = `queue ${String(mapping.EventSourceArn).split(':').pop()}`;
    this.mapping = mapping;
    this.runner = runner;
    this.clients = clients;
  }

  async poll(): Promise<number> {
    const queueArn = String(this.mapping.EventSourceArn);
    const url = queueUrl(queueArn);
    const { Messages } = await this.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(this.mapping.BatchSize ?? 10, 10),
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    if (!Messages?.length) return 0;
    const event = { Records: Messages.map((message) => sqsRecord(message, queueArn)) };
    const answer = await this.runner.invoke(this.logicalId, event, this.source, Messages.length);
    if (answer.error) return Messages.length; // all return after the visibility timeout, as on AWS
    const reportsItems = (this.mapping.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures');
    const failed = new Set(
      reportsItems
        ? ((answer.result as { batchItemFailures?: { itemIdentifier: string }[] } | null)?.batchItemFailures ?? []).map(
            (item) => item.itemIdentifier,
          )
        : [],
    );
    const done = Messages.filter((message) => !failed.has(String(message.MessageId)));
    if (done.length > 0) {
      await this.clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
    return Messages.length;
  }
}

/** Polls every mapping until a whole round hands nothing over, or the time is up. */
export async function drain(pollers: readonly Poller[], deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    let delivered = 0;
    for (const poller of pollers) delivered += await poller.poll();
    if (delivered === 0) return true;
  }
  return false;
}

/** A queue's URL from its ARN; the SDK sends it to the configured endpoint, which reads the name from it. */
function queueUrl(queueArn: string): string {
  const [, , , , account, name] = queueArn.split(':');
  return `https://sqs.${REGION}.amazonaws.com/${account ?? ACCOUNT}/${name}`;
}

export function lambdaRecord(record: _Record, streamArn: string) {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: REGION,
    eventSourceARN: streamArn,
    dynamodb: {
      ...dynamodb,
      ...(ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(new Date(ApproximateCreationDateTime).getTime() / 1000) }
        : {}),
    },
  };
}

function sqsRecord(message: Message, queueArn: string) {
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body,
    attributes: message.Attributes ?? {},
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        { stringValue: value.StringValue, dataType: value.DataType, stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: message.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: REGION,
  };
}
