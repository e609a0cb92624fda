import type { EventDestination } from './services/provider-events.ts';
import type { LocalSns } from './services/sns.ts';
import type { LocalSqs } from './services/sqs.ts';
import { resolveValue, resourcesOfType, type Template } from './template.ts';

/**
 * The template's messaging, as CloudFormation would create it: every AWS::SQS::Queue (with its
 * VisibilityTimeout, DelaySeconds and RedrivePolicy), every AWS::SNS::Topic, every sqs-protocol
 * AWS::SNS::Subscription (FilterPolicy, FilterPolicyScope, RawMessageDelivery). The functions'
 * event source mappings are the Lambda service's (lambda-service.ts).
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

/**
 * Where SES and End User Messaging publish a configuration set's events, as the template declares
 * them: each AWS::SES::ConfigurationSetEventDestination and each AWS::SMSVOICE::ConfigurationSet's
 * inline EventDestinations with an SNS destination, by configuration set name.
 */
export function configurationSetDestinations(
  template: Template,
  names: Record<string, string>,
): { email: Map<string, EventDestination[]>; sms: Map<string, EventDestination[]> } {
  const resolve = (value: unknown) => String(resolveValue(template, value, names));
  const add = (map: Map<string, EventDestination[]>, name: string, destination: EventDestination) =>
    map.set(name, [...(map.get(name) ?? []), destination]);
  const email = new Map<string, EventDestination[]>();
  for (const [, resource] of resourcesOfType(template, 'AWS::SES::ConfigurationSetEventDestination')) {
    const properties = resource.Properties ?? {};
    const destination = properties.EventDestination ?? {};
    if (!destination.SnsDestination) continue; // EventBridge, CloudWatch and Firehose destinations have no local reader
    add(email, resolve(properties.ConfigurationSetName), {
      topicArn: resolve(destination.SnsDestination.TopicARN),
      matchingEventTypes: (destination.MatchingEventTypes ?? []).map((type: string) => type.toUpperCase()),
      enabled: destination.Enabled !== false && destination.Enabled !== 'false',
    });
  }
  const sms = new Map<string, EventDestination[]>();
  for (const [id, resource] of resourcesOfType(template, 'AWS::SMSVOICE::ConfigurationSet')) {
    const properties = resource.Properties ?? {};
    for (const destination of (properties.EventDestinations ?? []) as Record<string, any>[]) {
      if (!destination.SnsDestination) continue;
      add(sms, resolve({ Ref: id }), {
        topicArn: resolve(destination.SnsDestination.TopicArn),
        matchingEventTypes: destination.MatchingEventTypes ?? [],
        enabled: destination.Enabled !== false && destination.Enabled !== 'false',
      });
    }
  }
  return { email, sms };
}
