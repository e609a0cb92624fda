import type { Template } from '../emulator/template.ts';
import { ACCOUNT, REGION } from './moto.ts';

/**
 * CloudFormation's intrinsic functions over a created stack, for the parts the rehearsal creates
 * or checks through the AWS APIs: Ref and Fn::GetAtt from the stack's physical ids (ARNs in the
 * formats AWS documents), Fn::Sub, Fn::Join, Fn::Select, Fn::If and the condition functions.
 * Written by hand: it is the small slice of CloudFormation that moto leaves out, not a library's job.
 */

const NO_VALUE = Symbol('AWS::NoValue');

export interface StackNames {
  stackName: string;
  parameters: Record<string, string>;
  /** logical id → physical id (a name, an ARN or a URL, as CloudFormation's Ref gives it). */
  physical: Map<string, string>;
  /** Attributes that are not derived from the physical id, e.g. a table's StreamArn. */
  attributes: Map<string, string>;
}

export class Intrinsics {
  private readonly template: Template;
  private readonly names: StackNames;

  constructor(template: Template, names: StackNames) {
    this.template = template;
    this.names = names;
  }

  /** Every parameter's value: the overrides, else the template's default. */
  static parameterValues(template: Template, overrides: Record<string, string>): Record<string, string> {
    return Object.fromEntries(
      Object.entries(template.Parameters ?? {}).map(([name, parameter]) => [name, String(overrides[name] ?? parameter.Default ?? '')]),
    );
  }

  condition(name: string): boolean {
    const definition = (this.template.Conditions as Record<string, unknown> | undefined)?.[name];
    if (definition === undefined) throw new Error(`template.yaml declares no condition ${name}`);
    return Boolean(this.resolve(definition));
  }

  resolve(value: unknown): any {
    const resolved = this.value(value);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  private value(value: unknown): any {
    if (Array.isArray(value)) return value.map((item) => this.value(item)).filter((item) => item !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [[key, argument]] = entries as [[string, any]];
      switch (key) {
        case 'Ref':
          return this.ref(String(argument));
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(argument) ? argument : String(argument).split(/\.(.*)/);
          return this.attribute(String(logicalId), String(this.value(attribute)));
        }
        case 'Fn::Sub':
          return this.sub(argument);
        case 'Fn::Join':
          return (this.value(argument[1]) as unknown[]).join(String(argument[0]));
        case 'Fn::Select':
          return (this.value(argument[1]) as unknown[])[Number(this.value(argument[0]))];
        case 'Fn::If':
          return this.condition(String(argument[0])) ? this.value(argument[1]) : this.value(argument[2]);
        case 'Fn::Equals':
          return String(this.value(argument[0])) === String(this.value(argument[1]));
        case 'Fn::Not':
          return !this.value(argument[0]);
        case 'Fn::And':
          return (argument as unknown[]).every((item) => this.value(item));
        case 'Fn::Or':
          return (argument as unknown[]).some((item) => this.value(item));
        case 'Condition':
          return this.condition(String(argument));
      }
      if (key.startsWith('Fn::')) throw new Error(`the rehearsal does not resolve ${key}`);
    }
    const result: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.value(item);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }

  ref(name: string): string | typeof NO_VALUE {
    switch (name) {
      case 'AWS::Region':
        return REGION;
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.names.stackName;
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    if (name in this.names.parameters) return this.names.parameters[name] as string;
    const physical = this.names.physical.get(name);
    if (physical === undefined) throw new Error(`Ref ${name}: no such parameter or created resource`);
    return physical;
  }

  attribute(logicalId: string, attribute: string): string {
    const known = this.names.attributes.get(`${logicalId}.${attribute}`);
    if (known !== undefined) return known;
    const type = this.template.Resources[logicalId]?.Type;
    const physical = this.names.physical.get(logicalId);
    if (!type || physical === undefined) throw new Error(`Fn::GetAtt ${logicalId}.${attribute}: no such created resource`);
    const last = (separator: string) => physical.slice(physical.lastIndexOf(separator) + 1);
    const rules: Record<string, Record<string, () => string>> = {
      'AWS::SQS::Queue': {
        Arn: () => `arn:aws:sqs:${REGION}:${ACCOUNT}:${last('/')}`,
        QueueName: () => last('/'),
        QueueUrl: () => physical,
      },
      'AWS::SNS::Topic': { TopicArn: () => physical, TopicName: () => last(':') },
      'AWS::KMS::Key': { Arn: () => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${physical}`, KeyId: () => physical },
      'AWS::DynamoDB::Table': { Arn: () => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${physical}` },
      'AWS::Lambda::Function': { Arn: () => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physical}` },
      'AWS::IAM::Role': { Arn: () => `arn:aws:iam::${ACCOUNT}:role/${physical}` },
      'AWS::StepFunctions::StateMachine': { Arn: () => physical, Name: () => last(':') },
      'AWS::Logs::LogGroup': { Arn: () => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical}:*` },
      'AWS::ApiGatewayV2::Api': { ApiId: () => physical, ApiEndpoint: () => `https://${physical}.execute-api.${REGION}.amazonaws.com` },
    };
    const rule = rules[type]?.[attribute];
    if (!rule) throw new Error(`the rehearsal has no rule for Fn::GetAtt ${logicalId}.${attribute} (${type})`);
    return rule();
  }

  private sub(argument: unknown): string {
    const [text, variables] = Array.isArray(argument) ? [String(argument[0]), this.value(argument[1] ?? {})] : [String(argument), {}];
    return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      if (name in (variables as Record<string, unknown>)) return String((variables as Record<string, unknown>)[name]);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) return this.attribute(name.slice(0, dot), name.slice(dot + 1));
      const resolved = this.ref(name);
      if (resolved === NO_VALUE) throw new Error(`Fn::Sub ${whole}: AWS::NoValue`);
      return resolved;
    });
  }
}
