import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ConfigurationError } from '#domain/errors.ts';

/** How long a fetched list is trusted before SSM is asked again (rotation latency). */
const CACHE_SECONDS = 300;

/**
 * A comma-separated list of secrets in an SSM SecureString (the current one first, then any still
 * honoured while rotating), fetched and cached by Powertools Parameters through the function's own
 * (traced) SSM client: the preference links' HMAC keys.
 */
export class SsmSecretList {
  private readonly provider: SSMProvider;
  private readonly parameterName: string;

  constructor(client: SSMClient, parameterName: string) {
    this.provider = new SSMProvider({ awsSdkV3Client: client });
    this.parameterName = parameterName;
  }

  readonly read = async (): Promise<string[]> => {
    const list = await this.provider.get(this.parameterName, { decrypt: true, maxAge: CACHE_SECONDS });
    const secrets = (list ?? '')
      .split(',')
      .map((secret) => secret.trim())
      .filter(Boolean);
    if (secrets.length === 0) throw new ConfigurationError(`SSM parameter ${this.parameterName} holds no secret`);
    return secrets;
  };
}
