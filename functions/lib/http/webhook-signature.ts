import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { ConfigurationError, SignatureError } from '#domain/errors.ts';

/**
 * Standard Webhooks verification (standardwebhooks.com) with several active secrets, so a
 * warehouse can move to a new secret while the old one still works. The `standardwebhooks`
 * package does the constant-time compare and the 5-minute timestamp tolerance both ways.
 */
export class WebhookVerifier {
  private readonly webhooks: Webhook[];

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new ConfigurationError('at least one webhook signing secret is required');
    this.webhooks = secrets.map((secret) => new Webhook(secret));
  }

  /** Throws SignatureError unless one of the active secrets signed this exact body. */
  verify(body: string, headers: Record<string, string | undefined>): void {
    const signed = {
      'webhook-id': headers['webhook-id'] ?? '',
      'webhook-timestamp': headers['webhook-timestamp'] ?? '',
      'webhook-signature': headers['webhook-signature'] ?? '',
    };
    for (const webhook of this.webhooks) {
      try {
        webhook.verify(body, signed, { jsonParse: false });
        return;
      } catch (error) {
        if (!(error instanceof WebhookVerificationError)) throw error;
      }
    }
    throw new SignatureError('no active secret signed this request');
  }
}

/** Parses `WEBHOOK_SECRETS`-style lists: comma-separated `whsec_…` values. */
export function parseSecretList(list: string): string[] {
  return list
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret.length > 0);
}

/**
 * The verifier for the secrets `read` currently answers (a fixed list, or one that rotates), built
 * again only when the list changes.
 */
export function verifierFor(read: () => Promise<string>): () => Promise<WebhookVerifier> {
  let cached: { list: string; verifier: WebhookVerifier } | undefined;
  return async () => {
    const list = await read();
    if (cached?.list !== list) cached = { list, verifier: new WebhookVerifier(parseSecretList(list)) };
    return cached.verifier;
  };
}
