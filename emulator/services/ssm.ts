import { awsError } from './protocol.ts';

/**
 * AWS Systems Manager Parameter Store behind the AWS JSON 1.1 protocol (`X-Amz-Target:
 * AmazonSSM.<Operation>`): GetParameter and GetParameters read the parameters the emulator was
 * given (SecureStrings are returned as given, decrypted or not).
 */
export class LocalSsm {
  private readonly parameters: Map<string, { value: string; version: number; modified: number }>;
  private readonly scope: string;

  /** `scope` is `<region>:<account>`, for the parameters' ARNs. */
  constructor(scope: string, parameters: Record<string, string> = {}) {
    this.scope = scope;
    this.parameters = new Map(Object.entries(parameters).map(([name, value]) => [name, { value, version: 1, modified: Date.now() }]));
  }

  put(name: string, value: string): void {
    const previous = this.parameters.get(name);
    this.parameters.set(name, { value, version: (previous?.version ?? 0) + 1, modified: Date.now() });
  }

  async handle(operation: string, input: Record<string, any>): Promise<unknown> {
    switch (operation) {
      case 'GetParameter': {
        const parameter = this.describe(String(input.Name));
        if (!parameter) throw awsError(400, 'ParameterNotFound', `Parameter ${input.Name} not found.`);
        return { Parameter: parameter };
      }
      case 'GetParameters': {
        const names = (input.Names ?? []) as string[];
        return {
          Parameters: names.map((name) => this.describe(name)).filter(Boolean),
          InvalidParameters: names.filter((name) => !this.parameters.has(name)),
        };
      }
      default:
        throw awsError(400, 'InvalidAction', `the local SSM does not implement ${operation}`);
    }
  }

  private describe(name: string) {
    const stored = this.parameters.get(name);
    if (!stored) return undefined;
    return {
      Name: name,
      Type: 'SecureString',
      Value: stored.value,
      Version: stored.version,
      LastModifiedDate: stored.modified / 1000,
      ARN: `arn:aws:ssm:${this.scope}:parameter${name.startsWith('/') ? '' : '/'}${name}`,
      DataType: 'text',
    };
  }
}
