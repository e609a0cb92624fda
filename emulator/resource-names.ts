import { localArn, localQueueUrl } from './aws-local.ts';
import { resolveValue, type Template } from './template.ts';

/**
 * What `Ref` and `Fn::GetAtt` give for the template's topics, queues, state machines, functions
 * and named resources in the emulator: logical id → name, ARN or queue URL, and
 * `<LogicalId>.<Attribute>` for GetAtt. Tables get theirs from DynamoDB once they exist.
 */
export function resourceNames(template: Template, servicesUrl: string): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    switch (resource.Type) {
      case 'AWS::SNS::Topic':
        Object.assign(names, { [id]: localArn.topic(id), [`${id}.TopicName`]: id, [`${id}.TopicArn`]: localArn.topic(id) });
        break;
      case 'AWS::SQS::Queue':
        Object.assign(names, { [id]: localQueueUrl(servicesUrl, id), [`${id}.Arn`]: localArn.queue(id), [`${id}.QueueName`]: id });
        break;
      case 'AWS::Serverless::StateMachine':
      case 'AWS::StepFunctions::StateMachine':
        Object.assign(names, { [id]: localArn.stateMachine(id), [`${id}.Name`]: id, [`${id}.Arn`]: localArn.stateMachine(id) });
        break;
      case 'AWS::Serverless::Function':
        Object.assign(names, { [id]: id, [`${id}.Arn`]: localArn.function(id) });
        break;
      case 'AWS::KMS::Key':
        Object.assign(names, { [id]: id, [`${id}.Arn`]: localArn.key(id) });
        break;
      case 'AWS::IAM::Role':
        Object.assign(names, { [id]: id, [`${id}.Arn`]: localArn.role(id) });
        break;
      case 'AWS::Scheduler::ScheduleGroup': {
        const name = String(resolveValue(template, resource.Properties?.Name ?? id, names));
        Object.assign(names, { [id]: name, [`${id}.Arn`]: localArn.scheduleGroup(name) });
        break;
      }
      case 'AWS::SES::ConfigurationSet':
        // Named resources keep their template name (e.g. the SES configuration set, per stage).
        names[id] = String(resolveValue(template, resource.Properties?.Name ?? id, names));
        break;
      case 'AWS::SMSVOICE::ConfigurationSet': {
        const name = String(resolveValue(template, resource.Properties?.ConfigurationSetName ?? id, names));
        Object.assign(names, { [id]: name, [`${id}.Arn`]: localArn.smsVoice('configuration-set', name) });
        break;
      }
      case 'AWS::SMSVOICE::OptOutList': {
        const name = String(resolveValue(template, resource.Properties?.OptOutListName ?? id, names));
        Object.assign(names, { [id]: name, [`${id}.Arn`]: localArn.smsVoice('opt-out-list', name) });
        break;
      }
      case 'AWS::SMSVOICE::Pool':
        Object.assign(names, {
          [id]: `pool-${id}`,
          [`${id}.PoolId`]: `pool-${id}`,
          [`${id}.Arn`]: localArn.smsVoice('pool', `pool-${id}`),
        });
        break;
      case 'AWS::SMSVOICE::PhoneNumber':
        Object.assign(names, {
          [id]: `phone-${id}`,
          [`${id}.PhoneNumberId`]: `phone-${id}`,
          [`${id}.Arn`]: localArn.smsVoice('phone-number', `phone-${id}`),
        });
        break;
      default:
        break;
    }
  }
  return names;
}

/**
 * A stand-in for what `Ref` and `Fn::GetAtt` give for every resource of the template (a name, and
 * an ARN-shaped value for each attribute), so a function's environment resolves as it would on
 * AWS without running anything: for checking and building functions, not for reaching them.
 */
export function placeholderNames(template: Template): Record<string, string> {
  const names: Record<string, string> = {};
  for (const id of Object.keys(template.Resources)) {
    names[id] = `${id}-name`;
    for (const attribute of ['Arn', 'StreamArn', 'QueueName', 'QueueUrl', 'TopicName', 'Name']) {
      names[`${id}.${attribute}`] = `arn:aws:placeholder:us-east-1:000000000000:${id}`;
    }
  }
  return names;
}
