import { randomUUID } from 'node:crypto';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord, SQSEvent } from 'aws-lambda';
import { queueUrlOfArn } from './aws-local.ts';
import { type CodeLocator, FunctionError, FunctionRunner } from './function-runner.ts';
import { SqsEventSource, sqsSourceSettings } from './sqs-event-source.ts';
import { StreamPoller, type StreamSource, streamSourceSettings } from './stream-poller.ts';
import { type FunctionDefinition, resolveValue, type Template } from './template.ts';

/**
 * What the Lambda service does for a template's functions: it runs each in its own worker with
 * exactly the environment it is given (function-runner.ts), and it runs their event source
 * mappings — a poller per table stream, a poller per queue — through the AWS APIs of whatever
 * endpoint it is pointed at, reading as each function's own credentials, as Lambda reads with the
 * function's role. `npm start` points it at the emulator's services and DynamoDB Local
 * (emulator.ts); the deploy rehearsal at moto, with each function's environment and mappings as
 * Lambda holds them after `sam deploy`. A stream batch a mapping gives up on goes to its OnFailure
 * queue through the SQS API, as Lambda sends it.
 */

/**
 * An event source mapping as Lambda holds one: the function, the stream or queue ARN, and its
 * settings under the names the template's event source properties and Lambda's API share
 * (BatchSize, MaximumBatchingWindowInSeconds, FilterCriteria, FunctionResponseTypes,
 * BisectBatchOnFunctionError, MaximumRetryAttempts, DestinationConfig with an ARN for OnFailure).
 */
export interface EventSourceMapping {
  functionId: string;
  /** The function's ARN, as the OnFailure record names it; made from the stream's region and account if not given. */
  functionArn?: string;
  eventSourceArn: string;
  properties: Record<string, any>;
}

/** Where a function's mappings call AWS, and as whom. */
export interface MappingAccess {
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** DynamoDB Streams (GetRecords and kin). */
  streamsEndpoint: string;
  /** SQS (ReceiveMessage and kin, and OnFailure destinations). */
  sqsEndpoint: string;
}

/** One invocation as the service saw it: who, from where, with how many records, and how it ended. */
export interface Invocation {
  functionId: string;
  /** `stream <table>`, `queue <name>`, or what the caller named (an HTTP route, Step Functions). */
  source: string;
  records: number;
  /** `ok`, `HTTP <status>`, `<n> batch item failures`, or `<errorType>: <message>`. */
  outcome: string;
}

type EventSource = { Type: string; Properties: Record<string, any> };

/** The template's mappings: one per `Type: DynamoDB` or `Type: SQS` event source of a function, its ARNs resolved with `names`. */
export function templateMappings(
  template: Template,
  definitions: readonly FunctionDefinition[],
  names: Record<string, string>,
): EventSourceMapping[] {
  const resolve = (value: unknown) => String(resolveValue(template, value, names));
  const mappings: EventSourceMapping[] = [];
  for (const definition of definitions) {
    for (const source of Object.values((definition.resource.Properties?.Events ?? {}) as Record<string, EventSource>)) {
      if (source.Type !== 'DynamoDB' && source.Type !== 'SQS') continue;
      const { Stream, Queue, DestinationConfig, ScalingConfig, ...properties } = source.Properties;
      const onFailure = DestinationConfig?.OnFailure?.Destination;
      const maximumConcurrency = ScalingConfig?.MaximumConcurrency;
      mappings.push({
        functionId: definition.logicalId,
        functionArn: resolve({ 'Fn::GetAtt': [definition.logicalId, 'Arn'] }),
        eventSourceArn: resolve(source.Type === 'DynamoDB' ? Stream : Queue),
        properties: {
          ...properties,
          ...(onFailure ? { DestinationConfig: { OnFailure: { Destination: resolve(onFailure) } } } : {}),
          ...(maximumConcurrency !== undefined ? { ScalingConfig: { MaximumConcurrency: Number(resolve(maximumConcurrency)) } } : {}),
        },
      });
    }
  }
  return mappings;
}

export interface EventSourceOptions {
  access: (functionId: string) => MappingAccess;
  /** Invokes a function for a mapping; rejects when the function failed. */
  invoke: (functionId: string, event: unknown, source: string, records: number) => Promise<unknown>;
  /** Told about each stream batch a mapping gave up on (it also goes to the mapping's OnFailure queue). */
  onStreamFailure?: (failure: { functionId: string; records: DynamoDBRecord[]; error: string }) => void;
  /**
   * How long a message a function failed stays invisible before it is retried, in seconds. Unset,
   * it waits out the queue's VisibilityTimeout as on AWS (where the function's role may not change
   * it); the local stack sets it short so that a retry does not hold a test for a minute.
   */
  sqsRetryDelaySeconds?: number;
}

export interface EventSources {
  streams: StreamPoller[];
  queues: SqsEventSource[];
  /**
   * Round after round until the streams hand nothing new to a consumer (what the queues and `also`
   * write may feed a stream again); bounded, so steady traffic cannot hold it forever.
   */
  settled(also?: () => Promise<void>): Promise<void>;
  /** Holds the stream consumers back until the returned function is called; settled() still drains them. */
  holdStreams(): () => void;
  stop(): Promise<void>;
}

/** settled() gives up after this many rounds that each still moved stream records. */
const SETTLE_ROUNDS = 10;

const streamTable = (streamArn: string) => streamArn.split('/')[1] ?? streamArn;
const queueName = (queueArn: string) => queueArn.slice(queueArn.lastIndexOf(':') + 1);

/** Starts a poller for every mapping: one per table stream and caller (consumers with one identity share a read), one per queue. */
export function startEventSources(mappings: readonly EventSourceMapping[], options: EventSourceOptions): EventSources {
  const clients: { destroy(): void }[] = [];
  const sqsClients = new Map<string, SQSClient>();
  const sqsFor = (functionId: string) => {
    const access = options.access(functionId);
    const key = `${access.sqsEndpoint}\u0000${access.credentials.accessKeyId}`;
    let client = sqsClients.get(key);
    if (!client) {
      client = new SQSClient({ endpoint: access.sqsEndpoint, region: access.region, credentials: access.credentials, maxAttempts: 1 });
      sqsClients.set(key, client);
      clients.push(client);
    }
    return client;
  };

  const byStream = new Map<string, { access: MappingAccess; streamArn: string; sources: StreamSource[] }>();
  const queues: SqsEventSource[] = [];
  for (const mapping of mappings) {
    const { functionId, eventSourceArn, properties } = mapping;
    const functionArn = mapping.functionArn ?? functionArnOf(eventSourceArn, functionId);
    const access = options.access(functionId);
    if (eventSourceArn.startsWith('arn:aws:sqs:')) {
      queues.push(
        new SqsEventSource(
          sqsFor(functionId),
          {
            functionId,
            queueUrl: queueUrlOfArn(access.sqsEndpoint, eventSourceArn),
            queueArn: eventSourceArn,
            ...sqsSourceSettings(properties),
            ...(options.sqsRetryDelaySeconds !== undefined ? { retryDelaySeconds: options.sqsRetryDelaySeconds } : {}),
          },
          (event: SQSEvent) => options.invoke(functionId, event, `queue ${queueName(eventSourceArn)}`, event.Records.length),
        ),
      );
      continue;
    }
    const destination: string | undefined = properties.DestinationConfig?.OnFailure?.Destination;
    const key = `${eventSourceArn}\u0000${access.streamsEndpoint}\u0000${access.credentials.accessKeyId}`;
    const entry = byStream.get(key) ?? { access, streamArn: eventSourceArn, sources: [] };
    entry.sources.push({
      functionId,
      handler: (event) => options.invoke(functionId, event, `stream ${streamTable(eventSourceArn)}`, event.Records.length) as never,
      ...streamSourceSettings(properties),
      async onFailure(failedId, records, error, shardId) {
        options.onStreamFailure?.({ functionId: failedId, records, error });
        if (!destination) return;
        await sqsFor(functionId).send(
          new SendMessageCommand({
            QueueUrl: queueUrlOfArn(access.sqsEndpoint, destination),
            MessageBody: JSON.stringify(streamFailureRecord(functionArn, eventSourceArn, records, shardId)),
          }),
        );
      },
    });
    byStream.set(key, entry);
  }
  const streams = [...byStream.values()].map(({ access, streamArn, sources }) => {
    const client = new DynamoDBStreamsClient({ endpoint: access.streamsEndpoint, region: access.region, credentials: access.credentials });
    return new StreamPoller(client, streamArn, sources);
  });
  for (const poller of streams) poller.start();
  for (const queue of queues) queue.start();

  return {
    streams,
    queues,
    async settled(also) {
      // The queues' batches skip their window from the start, not only once the streams have
      // drained: what stream consumers publish meanwhile goes on at once, as the streams' own does.
      const hurried = queues.map((queue) => queue.hurry());
      try {
        for (let round = 1; ; round++) {
          let moved = 0;
          for (const poller of streams) moved += await poller.settled();
          if (round > 1 && moved === 0) return;
          for (const queue of queues) await queue.settled();
          await also?.();
          if (round >= SETTLE_ROUNDS) return;
        }
      } finally {
        for (const done of hurried) done();
      }
    },
    holdStreams() {
      for (const poller of streams) poller.hold();
      return () => {
        for (const poller of streams) poller.resume();
      };
    },
    async stop() {
      for (const queue of queues) await queue.stop();
      for (const poller of streams) await poller.stop();
      for (const client of clients) client.destroy();
    },
  };
}

/** The record Lambda sends a stream event source's OnFailure destination: where the batch was, not the records. */
function streamFailureRecord(functionArn: string, streamArn: string, records: DynamoDBRecord[], shardId: string | undefined) {
  const arrival = (record: DynamoDBRecord | undefined) =>
    new Date((record?.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000).toISOString();
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 1,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date().toISOString(),
    DDBStreamBatchInfo: {
      shardId: shardId ?? 'unknown',
      startSequenceNumber: records[0]?.dynamodb?.SequenceNumber,
      endSequenceNumber: records.at(-1)?.dynamodb?.SequenceNumber,
      approximateArrivalOfFirstRecord: arrival(records[0]),
      approximateArrivalOfLastRecord: arrival(records.at(-1)),
      batchSize: records.length,
      streamArn,
    },
  };
}

/** A function's ARN in the stream's region and account. */
function functionArnOf(streamArn: string, functionId: string): string {
  const [, partition = 'aws', , region = '', account = ''] = streamArn.split(':');
  return `arn:${partition}:lambda:${region}:${account}:function:${functionId}`;
}

export interface LambdaServiceOptions {
  definitions: readonly FunctionDefinition[];
  /** Where each function's code is (its TypeScript source, or a built bundle). */
  code: CodeLocator;
  /** Each function's whole environment: its configuration, the runtime's variables, endpoints and credentials. */
  environment: (functionId: string) => Record<string, string>;
  mappings: readonly EventSourceMapping[];
  access: EventSourceOptions['access'];
  onStreamFailure?: EventSourceOptions['onStreamFailure'];
  sqsRetryDelaySeconds?: number;
  onInvocation?: (invocation: Invocation) => void;
  onOutput?: (functionId: string, stream: 'stdout' | 'stderr', text: string) => void;
  /** Modules every function worker imports first (file URLs), e.g. a benchmark's request counter. */
  preload?: string[];
  /** The ARN each function's Lambda context names (the local account's by default). */
  functionArn?: (functionId: string) => string;
}

export interface LambdaService {
  /** Resolves once every function has loaded (its init phase); rejects with the first that failed. */
  ready: Promise<void>;
  /** Invokes a function directly (an HTTP route, a state machine task, a test) and resolves with its result. */
  invoke(functionId: string, event: unknown, source?: string): Promise<unknown>;
  eventSources: EventSources;
  stop(): Promise<void>;
}

/** Starts every function's worker (its init phase, in the background) and every mapping's poller. */
export function startLambdaService(options: LambdaServiceOptions): LambdaService {
  const { functionArn } = options;
  const runner = new FunctionRunner(options.definitions, {
    code: options.code,
    environment: (definition) => options.environment(definition.logicalId),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.preload ? { preload: options.preload } : {}),
    ...(functionArn ? { functionArn: (definition: FunctionDefinition) => functionArn(definition.logicalId) } : {}),
  });
  const invoke = async (functionId: string, event: unknown, source = 'direct', records = 1) => {
    try {
      const result = await runner.invoke(functionId, event);
      options.onInvocation?.({ functionId, source, records, outcome: outcomeOf(result) });
      return result;
    } catch (error) {
      const outcome = error instanceof FunctionError ? `${error.errorType}: ${error.message}` : String(error);
      options.onInvocation?.({ functionId, source, records, outcome });
      throw error;
    }
  };

  // Every function's init phase starts now, in the background, as warm-up. An invocation waits for
  // its function's init, as after a cold start on Lambda; a function whose init fails says so here
  // and fails every invocation with it.
  const ready = Promise.allSettled(
    options.definitions.map(async ({ logicalId }) => {
      try {
        await runner.ready(logicalId);
      } catch (error) {
        console.error(`${logicalId} failed to start: ${error instanceof Error ? `${error.name}: ${error.message}` : error}`);
        throw error;
      }
    }),
  ).then((results) => {
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  });
  ready.catch(() => undefined);

  const eventSources = startEventSources(options.mappings, {
    access: options.access,
    invoke,
    ...(options.onStreamFailure ? { onStreamFailure: options.onStreamFailure } : {}),
    ...(options.sqsRetryDelaySeconds !== undefined ? { sqsRetryDelaySeconds: options.sqsRetryDelaySeconds } : {}),
  });

  return {
    ready,
    invoke: (functionId, event, source) => invoke(functionId, event, source),
    eventSources,
    async stop() {
      await eventSources.stop();
      await runner.stop();
    },
  };
}

function outcomeOf(result: unknown): string {
  if (result === null || result === undefined || typeof result !== 'object') return 'ok';
  const value = result as Record<string, unknown>;
  if (typeof value.statusCode === 'number') return `HTTP ${value.statusCode}`;
  if (Array.isArray(value.batchItemFailures)) return `${value.batchItemFailures.length} batch item failures`;
  return 'ok';
}
