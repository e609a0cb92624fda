import type { SQSClient } from '@aws-sdk/client-sqs';
import type { LocalSns } from './services/sns.ts';
import type { LocalSqs } from './services/sqs.ts';
import { SqsEventSource, sqsSourceSettings } from './sqs-event-source.ts';
import { functionDefinitions, resolveValue, resourcesOfType, type Template } from './template.ts';

/**
 * The template's messaging, as CloudFormation would create it: every AWS::SQS::Queue (with its
 * VisibilityTimeout, DelaySeconds and RedrivePolicy), every AWS::SNS::Topic, every sqs-protocol
 * AWS::SNS::Subscription (FilterPolicy, FilterPolicyScope, RawMessageDelivery), and an event source
 * mapping for every function event source of `Type: SQS` (BatchSize, MaximumBatchingWindowInSeconds,
 * ReportBatchItemFailures).
 */

const asObject = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, any> | undefined;

export function declareMessaging(template: Template, names: Record<string, string>, sqs: LocalSqs, sns: LocalSns): void {
  const resolve = (value: unknown) => String(resolveValue(template, value, names));
  for (const [id, resource] of resourcesOfType(template, 'AWS::SQS::Queue')) {
    const properties = resource.Properties ?? {};
    const redrive = asObject(properties.RedrivePolicy);
    sqs.createQueue({
      name: id,
      url: resolve({ Ref: id }),
      arn: resolve({ 'Fn::GetAtt': [id, 'Arn'] }),
      ...(properties.VisibilityTimeout !== undefined ? { visibilityTimeoutSeconds: Number(properties.VisibilityTimeout) } : {}),
      ...(properties.DelaySeconds !== undefined ? { delaySeconds: Number(properties.DelaySeconds) } : {}),
      ...(redrive
        ? { redrive: { deadLetterTargetArn: resolve(redrive.deadLetterTargetArn), maxReceiveCount: Number(redrive.maxReceiveCount) } }
        : {}),
    });
  }
  for (const [id] of resourcesOfType(template, 'AWS::SNS::Topic')) sns.createTopic(resolve({ Ref: id }));
  for (const [, resource] of resourcesOfType(template, 'AWS::SNS::Subscription')) {
    const properties = resource.Properties ?? {};
    if (properties.Protocol !== 'sqs') continue; // email and other endpoints have no local subscriber
    sns.subscribe({
      topicArn: resolve(properties.TopicArn),
      queueArn: resolve(properties.Endpoint),
      raw: properties.RawMessageDelivery === true || properties.RawMessageDelivery === 'true',
      scope: properties.FilterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes',
      ...(properties.FilterPolicy ? { filterPolicy: asObject(properties.FilterPolicy) } : {}),
    });
  }
}

/** One SQS event source mapping per `Type: SQS` event source, polling through `client`; not started. */
export function queueEventSources(
  template: Template,
  names: Record<string, string>,
  sqs: LocalSqs,
  client: SQSClient,
  invoke: (functionId: string, event: unknown) => Promise<unknown>,
  retryDelaySeconds?: number,
): SqsEventSource[] {
  const sources: SqsEventSource[] = [];
  for (const definition of functionDefinitions(template)) {
    const events = Object.values(
      (definition.resource.Properties?.Events ?? {}) as Record<string, { Type: string; Properties: Record<string, any> }>,
    );
    for (const source of events.filter((candidate) => candidate.Type === 'SQS')) {
      const queue = sqs.queue(String(resolveValue(template, source.Properties.Queue, names)));
      sources.push(
        new SqsEventSource(
          client,
          {
            functionId: definition.logicalId,
            queueUrl: queue.url,
            queueArn: queue.arn,
            ...sqsSourceSettings(source.Properties),
            ...(retryDelaySeconds !== undefined ? { retryDelaySeconds } : {}),
          },
          (event) => invoke(definition.logicalId, event) as never,
        ),
      );
    }
  }
  return sources;
}
