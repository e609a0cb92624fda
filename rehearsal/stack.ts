import {
  CreateApiCommand,
  CreateStageCommand,
  GetRoutesCommand,
  ReimportApiCommand,
  UpdateRouteCommand,
} from '@aws-sdk/client-apigatewayv2';
import {
  CreateStackCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateContinuousBackupsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { AttachRolePolicyCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import {
  AssociateOriginationIdentityCommand,
  CreateEventDestinationCommand,
  CreateOptOutListCommand,
  CreatePoolCommand,
  CreateConfigurationSetCommand as CreateSmsConfigurationSetCommand,
  PutKeywordCommand,
  RequestPhoneNumberCommand,
  UpdatePoolCommand,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateScheduleGroupCommand } from '@aws-sdk/client-scheduler';
import { CreateConfigurationSetCommand, CreateConfigurationSetEventDestinationCommand } from '@aws-sdk/client-sesv2';
import { DescribeStateMachineCommand, UpdateStateMachineCommand } from '@aws-sdk/client-sfn';
import { SetTopicAttributesCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Resource, Template } from '../emulator/template.ts';
import type { AwsClients } from './aws.ts';
import { Intrinsics, type StackNames } from './intrinsics.ts';
import type { DeploySettings } from './package.ts';

/**
 * `sam deploy`'s CreateStack on moto's CloudFormation, then what moto leaves undone, done as
 * CloudFormation would through the ordinary AWS APIs and listed: resource types moto's
 * CloudFormation has no model for are created from the translated template, and resources it
 * created differently from the template are put right. Each such step is one entry of `steps`.
 */

export interface CreatedResource {
  logicalId: string;
  type: string;
  physicalId: string;
  createdBy: 'CloudFormation' | 'rehearsal (API)';
}

export interface RehearsalStep {
  logicalId: string;
  type: string;
  /** What moto's CloudFormation left undone and which API call did it. */
  what: string;
}

export interface DeployedStack {
  stackName: string;
  resources: CreatedResource[];
  /** Resources moto skipped and the rehearsal created; and ones it had to put right. */
  steps: RehearsalStep[];
  /** Template resources neither moto nor the rehearsal could create: a deploy the rehearsal cannot vouch for. */
  uncreated: RehearsalStep[];
  outputs: Record<string, string>;
  intrinsics: Intrinsics;
  physical(logicalId: string): string;
}

export async function deployStack(clients: AwsClients, translated: Template, settings: DeploySettings): Promise<DeployedStack> {
  const parameters = Intrinsics.parameterValues(translated, settings.parameterOverrides);
  await clients.cloudformation.send(
    new CreateStackCommand({
      StackName: settings.stackName,
      TemplateBody: JSON.stringify(translated),
      Parameters: Object.entries(settings.parameterOverrides).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      Capabilities: settings.capabilities as never,
      Tags: Object.entries(settings.tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  const stack = await waitForStack(clients, settings.stackName);

  const summaries: StackResourceSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await clients.cloudformation.send(new ListStackResourcesCommand({ StackName: settings.stackName, NextToken: nextToken }));
    summaries.push(...(page.StackResourceSummaries ?? []));
    nextToken = page.NextToken;
  } while (nextToken);

  const names: StackNames = { stackName: settings.stackName, parameters, physical: new Map(), attributes: new Map() };
  const resources: CreatedResource[] = [];
  for (const summary of summaries) {
    if (!summary.LogicalResourceId || !translated.Resources[summary.LogicalResourceId]) continue;
    names.physical.set(summary.LogicalResourceId, summary.PhysicalResourceId ?? '');
    resources.push({
      logicalId: summary.LogicalResourceId,
      type: String(summary.ResourceType),
      physicalId: summary.PhysicalResourceId ?? '',
      createdBy: 'CloudFormation',
    });
  }
  const intrinsics = new Intrinsics(translated, names);
  for (const [logicalId, resource] of Object.entries(translated.Resources)) {
    if (resource.Type !== 'AWS::DynamoDB::Table' || !names.physical.has(logicalId)) continue;
    const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: names.physical.get(logicalId) }));
    if (table.Table?.LatestStreamArn) names.attributes.set(`${logicalId}.StreamArn`, table.Table.LatestStreamArn);
  }

  const steps: RehearsalStep[] = [];
  const uncreated: RehearsalStep[] = [];
  const wanted = Object.entries(translated.Resources).filter(
    ([, resource]) => typeof resource.Condition !== 'string' || intrinsics.condition(resource.Condition),
  );
  const skipped = wanted.filter(([logicalId]) => !names.physical.has(logicalId));
  skipped.sort(([, a], [, b]) => creationOrder(a.Type) - creationOrder(b.Type));
  for (const [logicalId, resource] of skipped) {
    const recipe = RECIPES[resource.Type];
    if (!recipe) {
      uncreated.push({
        logicalId,
        type: resource.Type,
        what: "moto's CloudFormation skipped it and the rehearsal has no recipe for this type",
      });
      continue;
    }
    const properties = intrinsics.resolve(resource.Properties ?? {}) as Record<string, any>;
    const { physicalId, what } = await recipe(clients, properties, { logicalId, stackName: settings.stackName, resource, intrinsics });
    names.physical.set(logicalId, physicalId);
    resources.push({ logicalId, type: resource.Type, physicalId, createdBy: 'rehearsal (API)' });
    steps.push({ logicalId, type: resource.Type, what });
  }

  for (const [logicalId, resource] of wanted) {
    const repair = REPAIRS[resource.Type];
    if (!repair || !names.physical.has(logicalId)) continue;
    const done = await repair(clients, names.physical.get(logicalId) as string, resource, intrinsics);
    for (const what of done) steps.push({ logicalId, type: resource.Type, what });
  }

  const reported = Object.fromEntries((stack.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries((translated.Outputs ?? {}) as Record<string, { Value: unknown }>)) {
    outputs[key] = String(intrinsics.resolve(output.Value));
    if (reported[key] !== outputs[key]) {
      steps.push({
        logicalId: key,
        type: 'Output',
        what: `moto's CloudFormation gave ${JSON.stringify(reported[key] ?? null)}; resolved by the rehearsal`,
      });
    }
  }

  return {
    stackName: settings.stackName,
    resources,
    steps,
    uncreated,
    outputs,
    intrinsics,
    physical: (logicalId) => {
      const physical = names.physical.get(logicalId);
      if (physical === undefined) throw new Error(`${logicalId} was not created`);
      return physical;
    },
  };
}

async function waitForStack(clients: AwsClients, stackName: string) {
  for (let attempt = 0; attempt < 600; attempt++) {
    const { Stacks } = await clients.cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (stack && !String(stack.StackStatus).endsWith('_IN_PROGRESS')) {
      if (stack.StackStatus !== 'CREATE_COMPLETE')
        throw new Error(`stack ${stackName}: ${stack.StackStatus} ${stack.StackStatusReason ?? ''}`);
      return stack;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`stack ${stackName} did not finish creating`);
}

interface RecipeContext {
  logicalId: string;
  stackName: string;
  resource: Resource;
  intrinsics: Intrinsics;
}

type Recipe = (
  clients: AwsClients,
  properties: Record<string, any>,
  context: RecipeContext,
) => Promise<{ physicalId: string; what: string }>;

const ORDER = [
  'AWS::SMSVOICE::OptOutList',
  'AWS::SMSVOICE::PhoneNumber',
  'AWS::SMSVOICE::Pool',
  'AWS::SES::ConfigurationSet',
  'AWS::SQS::QueuePolicy',
  'AWS::SNS::TopicPolicy',
  // Both DependsOn the DeliveryEventsTopicPolicy that lets the services publish.
  'AWS::SMSVOICE::ConfigurationSet',
  'AWS::SES::ConfigurationSetEventDestination',
  'AWS::SNS::Subscription',
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Stage',
];
const creationOrder = (type: string) => (ORDER.includes(type) ? ORDER.indexOf(type) : ORDER.length);

/** As CloudFormation names what the template leaves unnamed: stack, logical id, a random suffix. */
const generatedName = (context: RecipeContext) =>
  `${context.stackName}-${context.logicalId}-${Math.random().toString(36).slice(2, 14).toUpperCase()}`;

const asJson = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

const randomId = () => crypto.randomUUID().replaceAll('-', '');

/**
 * CloudFormation's AWS::SMSVOICE::PhoneNumber and ::Pool have no MessageType, which
 * RequestPhoneNumber and CreatePool require: notifications are transactional.
 */
const MESSAGE_TYPE = 'TRANSACTIONAL';

/** PutKeyword for each of a resource's MandatoryKeywords and OptionalKeywords, as CloudFormation sets them. */
async function putKeywords(clients: AwsClients, originationIdentity: string, properties: Record<string, any>): Promise<number> {
  const keywords = [
    ...Object.entries((properties.MandatoryKeywords ?? {}) as Record<string, { Message: string }>).map(([keyword, { Message }]) => ({
      Keyword: keyword,
      KeywordMessage: Message,
    })),
    ...((properties.OptionalKeywords ?? []) as { Keyword: string; Message: string; Action: string }[]).map((keyword) => ({
      Keyword: keyword.Keyword,
      KeywordMessage: keyword.Message,
      KeywordAction: keyword.Action as never,
    })),
  ];
  for (const keyword of keywords)
    await clients.smsVoice.send(new PutKeywordCommand({ OriginationIdentity: originationIdentity, ...keyword }));
  return keywords.length;
}

const tagList = (properties: Record<string, any>) => (properties.Tags as { Key: string; Value: string }[] | undefined) ?? undefined;

/** How CloudFormation creates each type moto's CloudFormation skips, through the service's own API. */
const RECIPES: Record<string, Recipe> = {
  // End User Messaging SMS (moto has none: rehearsal/moto_server.py answers these calls).
  'AWS::SMSVOICE::OptOutList': async (clients, properties, context) => {
    const name = String(properties.OptOutListName ?? generatedName(context));
    await clients.smsVoice.send(new CreateOptOutListCommand({ OptOutListName: name, Tags: tagList(properties) }));
    return { physicalId: name, what: 'sms-voice CreateOptOutList' };
  },
  'AWS::SMSVOICE::PhoneNumber': async (clients, properties) => {
    const number = await clients.smsVoice.send(
      new RequestPhoneNumberCommand({
        IsoCountryCode: properties.IsoCountryCode,
        MessageType: MESSAGE_TYPE,
        NumberCapabilities: properties.NumberCapabilities,
        NumberType: properties.NumberType,
        OptOutListName: properties.OptOutListName,
        DeletionProtectionEnabled: properties.DeletionProtectionEnabled,
        Tags: tagList(properties),
      }),
    );
    const keywords = await putKeywords(clients, String(number.PhoneNumberId), properties);
    return {
      physicalId: String(number.PhoneNumberId),
      what: `sms-voice RequestPhoneNumber (${properties.NumberType}), PutKeyword x${keywords}`,
    };
  },
  'AWS::SMSVOICE::Pool': async (clients, properties) => {
    const [first, ...others] = properties.OriginationIdentities as string[];
    const pool = await clients.smsVoice.send(
      new CreatePoolCommand({
        OriginationIdentity: first,
        MessageType: MESSAGE_TYPE,
        DeletionProtectionEnabled: properties.DeletionProtectionEnabled,
        Tags: tagList(properties),
      }),
    );
    const poolId = String(pool.PoolId);
    for (const identity of others) {
      await clients.smsVoice.send(new AssociateOriginationIdentityCommand({ PoolId: poolId, OriginationIdentity: identity }));
    }
    await clients.smsVoice.send(
      new UpdatePoolCommand({
        PoolId: poolId,
        OptOutListName: properties.OptOutListName,
        SelfManagedOptOutsEnabled: properties.SelfManagedOptOutsEnabled,
        SharedRoutesEnabled: properties.SharedRoutesEnabled,
      }),
    );
    const keywords = await putKeywords(clients, poolId, properties);
    const associated = others.length > 0 ? `, AssociateOriginationIdentity x${others.length}` : '';
    return { physicalId: poolId, what: `sms-voice CreatePool${associated}, UpdatePool, PutKeyword x${keywords}` };
  },
  'AWS::SMSVOICE::ConfigurationSet': async (clients, properties, context) => {
    const name = String(properties.ConfigurationSetName ?? generatedName(context));
    await clients.smsVoice.send(new CreateSmsConfigurationSetCommand({ ConfigurationSetName: name, Tags: tagList(properties) }));
    const destinations = (properties.EventDestinations ?? []) as Record<string, any>[];
    for (const destination of destinations) {
      await clients.smsVoice.send(
        new CreateEventDestinationCommand({
          ConfigurationSetName: name,
          EventDestinationName: destination.EventDestinationName,
          MatchingEventTypes: destination.MatchingEventTypes,
          SnsDestination: destination.SnsDestination,
          CloudWatchLogsDestination: destination.CloudWatchLogsDestination,
          KinesisFirehoseDestination: destination.KinesisFirehoseDestination,
        }),
      );
    }
    return { physicalId: name, what: `sms-voice CreateConfigurationSet, CreateEventDestination x${destinations.length}` };
  },
  // SES v2 event destinations (moto's sesv2 has none: rehearsal/moto_server.py answers these calls).
  'AWS::SES::ConfigurationSetEventDestination': async (clients, properties) => {
    const destination = properties.EventDestination as Record<string, any>;
    await clients.ses.send(
      new CreateConfigurationSetEventDestinationCommand({
        ConfigurationSetName: properties.ConfigurationSetName,
        EventDestinationName: destination.Name ?? randomId(),
        EventDestination: {
          Enabled: destination.Enabled === true || destination.Enabled === 'true',
          MatchingEventTypes: destination.MatchingEventTypes,
          // CloudFormation spells it TopicARN, the API TopicArn.
          ...(destination.SnsDestination ? { SnsDestination: { TopicArn: destination.SnsDestination.TopicARN } } : {}),
        },
      }),
    );
    return { physicalId: randomId(), what: 'sesv2 CreateConfigurationSetEventDestination' };
  },
  'AWS::SNS::Subscription': async (clients, properties) => {
    const attributes: Record<string, string> = {};
    for (const name of ['RawMessageDelivery', 'FilterPolicyScope', 'DeliveryPolicy', 'SubscriptionRoleArn']) {
      if (properties[name] !== undefined) attributes[name] = String(properties[name]);
    }
    for (const name of ['FilterPolicy', 'RedrivePolicy']) {
      if (properties[name] !== undefined) attributes[name] = asJson(properties[name]);
    }
    const { SubscriptionArn } = await clients.sns.send(
      new SubscribeCommand({
        TopicArn: properties.TopicArn,
        Protocol: properties.Protocol,
        Endpoint: properties.Endpoint,
        Attributes: attributes,
        ReturnSubscriptionArn: true,
      }),
    );
    return { physicalId: String(SubscriptionArn), what: `sns Subscribe with ${Object.keys(attributes).join(', ')}` };
  },
  'AWS::SNS::TopicPolicy': async (clients, properties) => {
    for (const topicArn of properties.Topics as string[]) {
      await clients.sns.send(
        new SetTopicAttributesCommand({ TopicArn: topicArn, AttributeName: 'Policy', AttributeValue: asJson(properties.PolicyDocument) }),
      );
    }
    return {
      physicalId: (properties.Topics as string[]).join(','),
      what: `sns SetTopicAttributes Policy on ${properties.Topics.length} topic(s)`,
    };
  },
  'AWS::SQS::QueuePolicy': async (clients, properties) => {
    for (const queueUrl of properties.Queues as string[]) {
      await clients.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: asJson(properties.PolicyDocument) } }),
      );
    }
    return {
      physicalId: (properties.Queues as string[]).join(','),
      what: `sqs SetQueueAttributes Policy on ${properties.Queues.length} queues`,
    };
  },
  'AWS::SES::ConfigurationSet': async (clients, properties, context) => {
    const name = String(properties.Name ?? generatedName(context));
    await clients.ses.send(
      new CreateConfigurationSetCommand({
        ConfigurationSetName: name,
        ...(properties.ReputationOptions ? { ReputationOptions: properties.ReputationOptions } : {}),
        ...(properties.SendingOptions ? { SendingOptions: properties.SendingOptions } : {}),
        ...(properties.SuppressionOptions ? { SuppressionOptions: properties.SuppressionOptions } : {}),
      }),
    );
    return { physicalId: name, what: 'sesv2 CreateConfigurationSet' };
  },
  'AWS::ApiGatewayV2::Api': async (clients, properties) => {
    if (!properties.Body) throw new Error('the rehearsal creates HTTP APIs from an OpenAPI Body only');
    // moto 5.2 answers ImportApi with "not implemented"; CreateApi then ReimportApi makes the same API.
    const { ApiId } = await clients.apigateway.send(
      new CreateApiCommand({ Name: String(properties.Body.info?.title), ProtocolType: 'HTTP' }),
    );
    await clients.apigateway.send(new ReimportApiCommand({ ApiId, Body: JSON.stringify(properties.Body) }));
    // moto's import keeps routes and integrations but not each route's authorization.
    const { Items } = await clients.apigateway.send(new GetRoutesCommand({ ApiId }));
    let authorised = 0;
    for (const [path, methods] of Object.entries(properties.Body.paths ?? {}) as [string, Record<string, any>][]) {
      for (const [method, operation] of Object.entries(methods)) {
        if (!(operation.security ?? []).some((requirement: Record<string, unknown>) => 'AWS_IAM' in requirement)) continue;
        const route = Items?.find((item) => item.RouteKey === `${method.toUpperCase()} ${path}`);
        if (!route) continue;
        await clients.apigateway.send(new UpdateRouteCommand({ ApiId, RouteId: route.RouteId, AuthorizationType: 'AWS_IAM' }));
        authorised++;
      }
    }
    return {
      physicalId: String(ApiId),
      what: `apigatewayv2 CreateApi + ReimportApi (${Items?.length ?? 0} routes), UpdateRoute AWS_IAM on ${authorised}`,
    };
  },
  'AWS::ApiGatewayV2::Stage': async (clients, properties) => {
    await clients.apigateway.send(
      new CreateStageCommand({
        ApiId: properties.ApiId,
        StageName: properties.StageName,
        AutoDeploy: properties.AutoDeploy,
        DefaultRouteSettings: properties.DefaultRouteSettings,
        StageVariables: properties.StageVariables,
      }),
    );
    return { physicalId: String(properties.StageName), what: 'apigatewayv2 CreateStage' };
  },
  'AWS::Scheduler::ScheduleGroup': async (clients, properties, context) => {
    const name = String(properties.Name ?? generatedName(context));
    await clients.scheduler.send(new CreateScheduleGroupCommand({ Name: name }));
    return { physicalId: name, what: 'scheduler CreateScheduleGroup' };
  },
  'AWS::CloudWatch::Alarm': async (clients, properties, context) => {
    const name = String(properties.AlarmName ?? generatedName(context));
    await clients.cloudwatch.send(new PutMetricAlarmCommand({ ...(properties as object), AlarmName: name } as never));
    return { physicalId: name, what: 'cloudwatch PutMetricAlarm' };
  },
};

type Repair = (clients: AwsClients, physicalId: string, resource: Resource, intrinsics: Intrinsics) => Promise<string[]>;

/** Checks of what moto's CloudFormation created against the template, and the API call that puts each right. */
const REPAIRS: Record<string, Repair> = {
  'AWS::IAM::Role': async (clients, roleName, resource, intrinsics) => {
    const done: string[] = [];
    const policies = (resource.Properties?.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[];
    let reput = 0;
    let versioned = 0;
    for (const policy of policies) {
      const stored = await clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policy.PolicyName }));
      if (isJson(stored.PolicyDocument ?? '')) continue;
      const document = intrinsics.resolve(policy.PolicyDocument) as Record<string, unknown>;
      // SAM's policy templates carry no Version, which IAM accepts and moto's IAM refuses. The
      // default (2008-10-17) differs only for policy variables, and these policies use none.
      if (!document.Version) {
        document.Version = '2012-10-17';
        versioned++;
      }
      await clients.iam.send(
        new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policy.PolicyName, PolicyDocument: JSON.stringify(document) }),
      );
      reput++;
    }
    if (reput > 0) {
      const note = versioned > 0 ? ` (Version 2012-10-17 added to ${versioned}: moto refuses a policy without one)` : '';
      done.push(`iam PutRolePolicy x${reput}: moto stored the inline policies in a form its own IAM check cannot read${note}`);
    }
    const attached = await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
    const have = new Set((attached.AttachedPolicies ?? []).map((policy) => policy.PolicyArn));
    const missing = ((intrinsics.resolve(resource.Properties?.ManagedPolicyArns ?? []) as string[]) ?? []).filter((arn) => !have.has(arn));
    for (const arn of missing) await clients.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));
    if (missing.length > 0)
      done.push(`iam AttachRolePolicy ${missing.map((arn) => arn.split('/').pop()).join(', ')}: moto ignored ManagedPolicyArns`);
    return done;
  },
  'AWS::Lambda::Function': async (clients, functionName, resource, intrinsics) => {
    const wanted = Object.fromEntries(
      Object.entries((intrinsics.resolve(resource.Properties?.Environment?.Variables ?? {}) ?? {}) as Record<string, unknown>).map(
        ([name, value]) => [name, String(value)],
      ),
    );
    const actual =
      (await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }))).Environment?.Variables ?? {};
    const differing = Object.keys(wanted).filter((name) => actual[name] !== wanted[name]);
    const extra = Object.keys(actual).filter((name) => !(name in wanted));
    if (differing.length === 0 && extra.length === 0) return [];
    await clients.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: functionName, Environment: { Variables: wanted } }));
    const detail = differing.map((name) => `${name} ${actual[name] === undefined ? 'missing' : `was ${JSON.stringify(actual[name])}`}`);
    return [
      `lambda UpdateFunctionConfiguration Environment: ${[...detail, ...extra.map((name) => `${name} not in the template`)].join('; ')}`,
    ];
  },
  'AWS::StepFunctions::StateMachine': async (clients, stateMachineArn, resource, intrinsics) => {
    const properties = intrinsics.resolve(resource.Properties ?? {}) as Record<string, any>;
    let definition = properties.DefinitionString ?? (properties.Definition ? JSON.stringify(properties.Definition) : undefined);
    if (properties.DefinitionS3Location) {
      const object = await clients.s3.send(
        new GetObjectCommand({ Bucket: properties.DefinitionS3Location.Bucket, Key: properties.DefinitionS3Location.Key }),
      );
      definition = await object.Body?.transformToString();
    }
    for (const [name, value] of Object.entries((properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>)) {
      definition = String(definition).replaceAll(`\${${name}}`, String(value));
    }
    const current = await clients.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    const wrong: string[] = [];
    if (current.definition !== definition) wrong.push(`definition was ${current.definition ? 'different' : 'empty'}`);
    const logging = properties.LoggingConfiguration;
    const loggingConfiguration = logging
      ? {
          level: logging.Level,
          includeExecutionData: logging.IncludeExecutionData,
          destinations: (logging.Destinations ?? []).map((destination: any) => ({
            cloudWatchLogsLogGroup: { logGroupArn: destination.CloudWatchLogsLogGroup.LogGroupArn },
          })),
        }
      : undefined;
    if (logging && current.loggingConfiguration?.level !== logging.Level)
      wrong.push(`logging level was ${current.loggingConfiguration?.level}`);
    const tracing = properties.TracingConfiguration ? { enabled: Boolean(properties.TracingConfiguration.Enabled) } : undefined;
    if (tracing && Boolean(current.tracingConfiguration?.enabled) !== tracing.enabled) wrong.push('tracing was off');
    if (wrong.length === 0) return [];
    await clients.sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn, definition, loggingConfiguration, tracingConfiguration: tracing }),
    );
    return [`states UpdateStateMachine: ${wrong.join(', ')} (moto reads neither DefinitionS3Location nor DefinitionSubstitutions)`];
  },
  'AWS::DynamoDB::Table': async (clients, tableName, resource) => {
    const done: string[] = [];
    const ttl = resource.Properties?.TimeToLiveSpecification;
    if (ttl?.Enabled) {
      const current = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      if (current.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
        await clients.dynamodb.send(
          new UpdateTimeToLiveCommand({
            TableName: tableName,
            TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
          }),
        );
        done.push(`dynamodb UpdateTimeToLive ${ttl.AttributeName}: moto ignored TimeToLiveSpecification`);
      }
    }
    if (resource.Properties?.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled) {
      const current = await clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: tableName }));
      if (current.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus !== 'ENABLED') {
        await clients.dynamodb.send(
          new UpdateContinuousBackupsCommand({
            TableName: tableName,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        );
        done.push('dynamodb UpdateContinuousBackups: moto ignored PointInTimeRecoverySpecification');
      }
    }
    return done;
  },
};

/** IAM answers policy documents URL-encoded; moto answers them as stored. */
function isJson(text: string): boolean {
  try {
    JSON.parse(text.startsWith('%') ? decodeURIComponent(text) : text);
    return true;
  } catch {
    return false;
  }
}
