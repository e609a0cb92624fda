import { awsError } from './protocol.ts';

/**
 * AWS Systems Manager Parameter Store behind the AWS JSON 1.1 protocol (`X-Amz-Target:
 * AmazonSSM.<Operation>`): GetParameter, GetParameters and GetParametersByPath read the parameters
 * the emulator was given or was told of since (SecureStrings are returned as given, decrypted or not).
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

  delete(name: string): void {
    this.parameters.delete(name);
  }

  /** Every parameter's name, sorted. */
  names(): string[] {
    return [...this.parameters.keys()].sort();
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
      case 'GetParametersByPath':
        return this.byPath(input);
      default:
        throw awsError(400, 'InvalidAction', `the local SSM does not implement ${operation}`);
    }
  }

  /** As AWS: the path's direct children, or every level below it with Recursive; pages of MaxResults (at most 10). */
  private byPath(input: Record<string, any>) {
    const path = String(input.Path ?? '');
    if (!path.startsWith('/')) throw awsError(400, 'ValidationException', 'The parameter path must begin with a forward slash (/).');
    const prefix = path.endsWith('/') ? path : `${path}/`;
    const matching = this.names().filter(
      (name) => name.startsWith(prefix) && (input.Recursive === true || !name.slice(prefix.length).includes('/')),
    );
    const pageSize = Math.min(Number(input.MaxResults ?? 10), 10);
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const page = matching.slice(start, start + pageSize);
    return {
      Parameters: page.map((name) => this.describe(name)),
      ...(start + pageSize < matching.length ? { NextToken: String(start + pageSize) } : {}),
    };
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
