import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ConfigurationError } from '#domain/errors.ts';

/** How long a fetched secret list is trusted before SSM is asked again (rotation latency). */
const SECRET_CACHE_SECONDS = 300;

/**
 * The warehouses' active signing secrets on AWS: a SecureString in SSM Parameter Store holding
 * comma-separated `whsec_…` values, fetched and cached by Powertools Parameters through the
 * function's own (traced) SSM client, so a rotation reaches every container within 5 minutes.
 */
export class SsmSigningSecrets {
  private readonly provider: SSMProvider;
  private readonly parameterName: string;

  constructor(client: SSMClient, parameterName: string) {
    this.provider = new SSMProvider({ awsSdkV3Client: client });
    this.parameterName = parameterName;
  }

  /** The secret list as stored; the verifier parses it (http/webhook-signature.ts). */
  readonly read = async (): Promise<string> => {
    const list = await this.provider.get(this.parameterName, { decrypt: true, maxAge: SECRET_CACHE_SECONDS });
    if (!list) throw new ConfigurationError(`SSM parameter ${this.parameterName} is empty`);
    return list;
  };
}
