import { createHmac, randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { SignatureError } from '#domain/errors.ts';
import type { SigningKey } from '#domain/warehouse.ts';

/** How a Standard Webhooks secret is written: `whsec_` and the key in base64. */
const SECRET_PREFIX = 'whsec_';

/**
 * The `standardwebhooks` verifier over the bytes sent. The library signs a Buffer by decoding it as
 * UTF-8 first, so a correctly signed body that is not UTF-8 would never verify (and its sender
 * would get a 401 for a 400's fault). Only the signing of bytes is done here, as the specification
 * says (HMAC-SHA256 of `<id>.<timestamp>.<body>`, base64); parsing the headers, the timestamp
 * tolerance and the constant-time compare stay the library's.
 */
class RawBodyWebhook extends Webhook {
  readonly #key: Buffer;

  constructor(secret: string) {
    super(secret);
    this.#key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  }

  override sign(msgId: string, timestamp: Date, payload: string | Buffer): string {
    if (typeof payload === 'string') return super.sign(msgId, timestamp, payload);
    const signed = createHmac('sha256', this.#key)
      .update(`${msgId}.${Math.floor(timestamp.getTime() / 1000)}.`)
      .update(payload);
    return `v1,${signed.digest('base64')}`;
  }
}

/**
 * Standard Webhooks verification (standardwebhooks.com) against one warehouse's active keys, so a
 * warehouse can move to a new secret while the old one still works. The `standardwebhooks`
 * package does the constant-time compare and the 5-minute timestamp tolerance both ways.
 */
export class SignatureVerifier {
  /** Decoding a secret once per container, not per request; bounded by the registry's size. */
  private readonly webhooks = new Map<string, RawBodyWebhook>();
  /**
   * A key nobody holds, checked when the warehouse is unknown or has no active key, so that those
   * answers take as long as a wrong signature and a warehouse id cannot be told apart by timing.
   */
  private readonly decoy = new RawBodyWebhook(randomBytes(32).toString('base64'));

  /**
   * Throws SignatureError unless one of `keys` signed this exact body; `keys` undefined means the
   * warehouse the request names is not registered (the same 401, with its own audit reason).
   */
  verify(keys: readonly SigningKey[] | undefined, body: string | Buffer, headers: Record<string, string | undefined>): void {
    const signed = {
      'webhook-id': headers['webhook-id'] ?? '',
      'webhook-timestamp': headers['webhook-timestamp'] ?? '',
      'webhook-signature': headers['webhook-signature'] ?? '',
    };
    const candidates = keys && keys.length > 0 ? keys.map((key) => this.webhookFor(key.secret)) : [this.decoy];
    for (const webhook of candidates) {
      try {
        webhook.verify(body, signed, { jsonParse: false });
        if (webhook !== this.decoy) return;
      } catch (error) {
        if (!(error instanceof WebhookVerificationError)) throw error;
      }
    }
    if (keys === undefined) throw new SignatureError('no such warehouse', 'unknown-warehouse');
    throw new SignatureError(keys.length === 0 ? 'the warehouse has no active key' : 'no active key of the warehouse signed this request');
  }

  private webhookFor(secret: string): RawBodyWebhook {
    let webhook = this.webhooks.get(secret);
    if (!webhook) {
      if (this.webhooks.size >= 10_000) this.webhooks.clear();
      webhook = new RawBodyWebhook(secret);
      this.webhooks.set(secret, webhook);
    }
    return webhook;
  }
}
