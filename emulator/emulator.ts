import { DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { HttpApi } from './api-gateway.ts';
import { LOCAL_ACCOUNT, LOCAL_AWS, LOCAL_REGION, LOCAL_SCOPE, localArn, nameOfArn } from './aws-local.ts';
import { createTableFromTemplate } from './dynamodb-local.ts';
import { type CodeLocator, sourceCode } from './function-runner.ts';
import { type LambdaService, startLambdaService, templateMappings } from './lambda-service.ts';
import { configurationSetDestinations, declareMessaging } from './messaging.ts';
import { resourceNames } from './resource-names.ts';
import { ProviderEvents } from './services/provider-events.ts';
import { LocalScheduler, type ScheduleRecord } from './services/scheduler.ts';
import { startServiceEndpoint } from './services/server.ts';
import { type EmailSink, LocalSesV2 } from './services/sesv2.ts';
import { LocalSfn } from './services/sfn.ts';
import { LocalSmsVoiceV2, type TextMessageSink } from './services/sms-voice.ts';
import { LocalSns, type SmsSink } from './services/sns.ts';
import { type DeadLetter, LocalSqs } from './services/sqs.ts';
import { LocalSsm } from './services/ssm.ts';
import { type ExecutionRecord, LocalStepFunctions, loadDefinition, type PublishRequest } from './step-functions.ts';
import {
  type FunctionDefinition,
  functionDefinitions,
  functionEnvironment,
  httpRoutes,
  resourcesOfType,
  type Template,
} from './template.ts';

/**
 * What AWS does around the functions of a SAM template, on this machine: the template's tables in
 * a DynamoDB endpoint (DynamoDB Local), its topics, queues and state machines behind local AWS
 * endpoints, each function in its own worker with exactly its own environment, and the event
 * sources that invoke them: the HTTP API, the table streams, the queues and the state machines'
 * Task states. The functions reach all of it as deployed code reaches AWS: through the SDK's
 * standard endpoint variables. Nothing here knows one function, table or topic by name.
 */

export interface EmulatorOptions {
  template: Template;
  /** The template's folder: DefinitionUri and the functions' code are relative to it. */
  root: string;
  /** Where each function's code is; the TypeScript source under `root` by default. */
  code?: CodeLocator;
  /** The DynamoDB endpoint the template's tables are created in (DynamoDB Local). */
  dynamodbEndpoint: string;
  /** Resolves once that endpoint answers; the functions start loading meanwhile. */
  dynamodbReady?: Promise<unknown>;
  /** The physical name of each table; `local-<LogicalId>` by default. */
  tableName?: (logicalId: string) => string;
  /** Template parameter values, as `sam local --parameter-overrides`. */
  parameterOverrides?: Record<string, string>;
  /** Parameter Store contents (name → value) the functions may read. */
  ssmParameters?: Record<string, string>;
  /** Where SMS published to phone numbers go, and who has opted out. */
  sms: SmsSink;
  /** Where SES v2 emails go. */
  email: EmailSink;
  /** Where End User Messaging SMS text messages go, and who has opted out; by default they go nowhere and nobody has. */
  textMessages?: TextMessageSink;
  /** How long after a send SES and End User Messaging publish its events (ms); AWS takes seconds. */
  deliveryEventDelayMs?: number;
  /** Variables a function gets on top of its template environment and the runtime's (e.g. log levels). */
  environmentOverrides?: (functionId: string) => Record<string, string>;
  onOutput?: (functionId: string, stream: 'stdout' | 'stderr', text: string) => void;
  /** Modules every function worker imports first (file URLs), e.g. a benchmark's request counter. */
  preload?: string[];
  /** Told about each stream batch a mapping gave up on (it also goes to the template's OnFailure queue). */
  onStreamFailure?: (failure: { functionId: string; records: DynamoDBRecord[]; error: string }) => void;
  /** Told about each message SQS moved to a dead-letter queue. */
  onDeadLetter?: (moved: DeadLetter) => void;
  /** How long a failed SQS message stays invisible locally before it is retried (seconds). */
  sqsRetryDelaySeconds?: number;
}

/** A message a state machine published to a topic. */
export interface PublishedMessage extends PublishRequest {
  messageId: string;
  at: string;
  /** The queues the topic's subscriptions delivered it to. */
  deliveredTo: string[];
}

export interface Emulator {
  /** Local names by logical id (`Ref`) and `<LogicalId>.<Attribute>` (`GetAtt`): table names, ARNs, queue URLs. */
  names: Record<string, string>;
  /** The local AWS endpoint (SNS, SQS, SES v2, Step Functions, SSM, EventBridge Scheduler). */
  servicesUrl: string;
  /** Physical table names by logical id. */
  tableNames: Record<string, string>;
  api: HttpApi;
  /** Resolves once every function has loaded (its init phase); rejects with the first that failed. */
  functionsReady: Promise<void>;
  invoke(functionId: string, event: unknown): Promise<unknown>;
  /** Every function's environment, as its worker sees it. */
  environmentOf(functionId: string): Record<string, string>;
  /** Resolves once every stream record, queue message and execution started so far has been handled. */
  settled(): Promise<void>;
  /** Holds the stream consumers back until the returned function is called; settled() still drains them. */
  holdStreams(): () => void;
  executions(): ExecutionRecord[];
  /** EventBridge Scheduler's schedules, soonest first (one-time schedules deleted after completion are gone). */
  schedules(): ScheduleRecord[];
  published(): PublishedMessage[];
  sqs: LocalSqs;
  /** Parameter Store, to change what the functions read while they run (e.g. a rotated secret). */
  ssm: LocalSsm;
  stop(): Promise<void>;
}

/** SES and End User Messaging report within seconds; locally they wait this long unless told otherwise. */
export const DEFAULT_DELIVERY_EVENT_DELAY_MS = 3000;

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const { template } = options;
  const definitions = functionDefinitions(template);
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const sqs = new LocalSqs({ onDeadLetter: options.onDeadLetter });
    const sns = new LocalSns({ sqs, sms: options.sms });
    const ssm = new LocalSsm(`${LOCAL_REGION}:${LOCAL_ACCOUNT}`, options.ssmParameters);
    const stepFunctions = new LocalStepFunctions();
    // Functions are only known further down; a schedule cannot fire before the emulator has started.
    let invokeLater: ((functionId: string, event: unknown) => Promise<unknown>) | undefined;
    const scheduler = new LocalScheduler({
      scope: LOCAL_SCOPE,
      targets: {
        async sendToQueue(queueArn, body) {
          sqs.send(queueArn, body);
        },
        async invokeFunction(functionArn, payload) {
          void invokeLater?.(nameOfArn(functionArn), JSON.parse(payload)).catch((error: unknown) => {
            console.error(`scheduled invocation of ${functionArn} failed:`, error);
          });
        },
      },
    });
    cleanups.push(() => scheduler.stop());
    // The configuration sets' event destinations are read once the names are known (below).
    let destinations: ReturnType<typeof configurationSetDestinations> = { email: new Map(), sms: new Map() };
    const providerEvents = (channel: 'email' | 'sms') =>
      new ProviderEvents({
        destinations: (name) => destinations[channel].get(name) ?? [],
        publish: (topicArn, message) => void sns.publish(topicArn, message),
        delayMs: options.deliveryEventDelayMs ?? DEFAULT_DELIVERY_EVENT_DELAY_MS,
        onError: (error) => console.error('local provider event not published', error),
      });
    const emailEvents = providerEvents('email');
    const smsEvents = providerEvents('sms');
    cleanups.push(() => {
      emailEvents.stop();
      smsEvents.stop();
    });
    const endpoint = await startServiceEndpoint({
      sqs,
      sns,
      sesv2: new LocalSesV2(options.email, emailEvents),
      smsVoice: new LocalSmsVoiceV2(options.textMessages ?? { send: () => undefined, isOptedOut: () => false }, smsEvents),
      sfn: new LocalSfn(stepFunctions),
      ssm,
      scheduler,
    });
    cleanups.push(() => endpoint.stop());

    const tableNames: Record<string, string> = Object.fromEntries(
      resourcesOfType(template, 'AWS::DynamoDB::Table').map(([id]) => [id, options.tableName?.(id) ?? `local-${id}`]),
    );
    const names: Record<string, string> = { ...options.parameterOverrides, ...tableNames, ...resourceNames(template, endpoint.url) };
    declareMessaging(template, names, sqs, sns);
    for (const [id] of resourcesOfType(template, 'AWS::Scheduler::ScheduleGroup')) scheduler.createGroup(names[id] as string);
    destinations = configurationSetDestinations(template, names);

    // A function's environment may name a table (Ref) but not its Arn or StreamArn, which only the
    // running table knows: the environments are resolved before the tables exist.
    const environments = new Map<string, Record<string, string>>();
    for (const definition of definitions) {
      environments.set(definition.logicalId, {
        ...functionEnvironment(template, definition, names),
        ...runtimeEnvironment(definition, endpoint.url, options.dynamodbEndpoint),
        ...options.environmentOverrides?.(definition.logicalId),
      });
    }

    await options.dynamodbReady;
    const dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: options.dynamodbEndpoint });
    cleanups.push(() => dynamo.destroy());
    for (const [id, tableName] of Object.entries(tableNames)) {
      try {
        await createTableFromTemplate(dynamo, template, id, tableName);
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error; // kept from an earlier run
      }
      const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
      Object.assign(names, {
        [`${id}.Arn`]: Table?.TableArn ?? localArn.table(tableName),
        ...(Table?.LatestStreamArn ? { [`${id}.StreamArn`]: Table.LatestStreamArn } : {}),
      });
    }

    // The functions' init phases start once DynamoDB Local is up: they take seconds of CPU that would
    // otherwise delay its start.
    const lambda: LambdaService = startLambdaService({
      definitions,
      code: options.code ?? sourceCode(options.root),
      environment: (functionId) => environments.get(functionId) as Record<string, string>,
      mappings: templateMappings(template, definitions, names),
      access: () => ({
        ...LOCAL_AWS,
        streamsEndpoint: options.dynamodbEndpoint,
        sqsEndpoint: endpoint.url,
      }),
      sqsRetryDelaySeconds: options.sqsRetryDelaySeconds ?? 1,
      ...(options.onStreamFailure ? { onStreamFailure: options.onStreamFailure } : {}),
      ...(options.onOutput ? { onOutput: options.onOutput } : {}),
      ...(options.preload ? { preload: options.preload } : {}),
    });
    cleanups.push(() => lambda.stop());

    const published: PublishedMessage[] = [];
    for (const [id] of resourcesOfType(template, 'AWS::Serverless::StateMachine')) {
      stepFunctions.register(names[id] as string, loadDefinition(template, id, names, options.root), {
        invoke: (functionId, payload) => lambda.invoke(functionId, payload, 'Step Functions'),
        async publish(request) {
          const { messageId, deliveredTo } = sns.publish(
            request.TopicArn,
            request.Message,
            request.MessageAttributes ?? {},
            request.Subject,
          );
          published.push({ ...request, messageId, at: new Date().toISOString(), deliveredTo });
          return messageId;
        },
      });
    }
    cleanups.push(() => stepFunctions.stop());
    const invoke = (functionId: string, event: unknown) => lambda.invoke(functionId, event);
    invokeLater = invoke;

    return {
      names,
      servicesUrl: endpoint.url,
      tableNames,
      api: new HttpApi(httpRoutes(template), invoke),
      functionsReady: lambda.ready,
      invoke,
      environmentOf: (functionId) => ({ ...environments.get(functionId) }),
      // Provider events published while draining are more work: drain again until a round adds none.
      settled: async () => {
        for (let round = 0; round < 5; round++) {
          const before = emailEvents.published + smsEvents.published;
          await lambda.eventSources.settled(async () => {
            await stepFunctions.settled();
            await Promise.all([emailEvents.idle(), smsEvents.idle()]);
          });
          if (emailEvents.published + smsEvents.published === before) return;
        }
      },
      holdStreams: () => lambda.eventSources.holdStreams(),
      executions: () => stepFunctions.list(),
      schedules: () => scheduler.list(),
      published: () => [...published],
      sqs,
      ssm,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * What Lambda's runtime (and SAM CLI) put in every function's environment, plus the endpoints
 * that lead its AWS SDK clients here: AWS_ENDPOINT_URL_<SERVICE> for the services the emulator
 * answers, AWS_ENDPOINT_URL for anything else (a clear error here rather than a call to AWS).
 */
export function runtimeEnvironment(definition: FunctionDefinition, servicesUrl: string, dynamodbEndpoint: string): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: definition.logicalId,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMb),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(definition.timeoutSeconds),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${definition.logicalId}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/${LOCAL_REGION}`,
    // As SAM CLI sets it: Powertools Tracer, for one, stays off locally.
    AWS_SAM_LOCAL: 'true',
    AWS_ENDPOINT_URL: servicesUrl,
    AWS_ENDPOINT_URL_SNS: servicesUrl,
    AWS_ENDPOINT_URL_SQS: servicesUrl,
    AWS_ENDPOINT_URL_SESV2: servicesUrl,
    AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2: servicesUrl,
    AWS_ENDPOINT_URL_SFN: servicesUrl,
    AWS_ENDPOINT_URL_SSM: servicesUrl,
    AWS_ENDPOINT_URL_SCHEDULER: servicesUrl,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
  };
}
