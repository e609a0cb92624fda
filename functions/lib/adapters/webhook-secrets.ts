import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { ConfigurationError } from '#domain/errors.ts';
import { parseSecretList, WebhookVerifier } from '../http/webhook-signature.ts';

/** How long a fetched secret list is trusted before SSM is asked again (rotation latency). */
const SECRET_CACHE_SECONDS = 300;

/**
 * The verifier for the active signing secrets. `WEBHOOK_SECRETS` (comma-separated) wins when
 * set, as in the local stack; on AWS the list is a SecureString in SSM Parameter Store, fetched
 * and cached by Powertools Parameters, so a rotation reaches every container within 5 minutes.
 */
export function webhookVerifierFromEnvironment(env: NodeJS.ProcessEnv = process.env): () => Promise<WebhookVerifier> {
  const inline = env.WEBHOOK_SECRETS;
  if (inline) {
    const verifier = new WebhookVerifier(parseSecretList(inline));
    return async () => verifier;
  }
  const parameterName = env.WEBHOOK_SECRETS_PARAMETER;
  if (!parameterName) {
    throw new ConfigurationError('set WEBHOOK_SECRETS or WEBHOOK_SECRETS_PARAMETER to the signing secrets');
  }
  let cached: { list: string; verifier: WebhookVerifier } | undefined;
  return async () => {
    const list = await getParameter(parameterName, { decrypt: true, maxAge: SECRET_CACHE_SECONDS });
    if (!list) throw new ConfigurationError(`SSM parameter ${parameterName} is empty`);
    if (cached?.list !== list) cached = { list, verifier: new WebhookVerifier(parseSecretList(list)) };
    return cached.verifier;
  };
}
