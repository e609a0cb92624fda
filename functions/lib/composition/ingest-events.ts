import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoShipmentStore } from '#adapters/dynamo-shipment-store.ts';
import { DynamoWallets } from '#adapters/dynamo-wallets.ts';
import { SsmSigningSecrets } from '#adapters/ssm-signing-secrets.ts';
import { ConfigurationError } from '#domain/errors.ts';
import { ingestEventsHandler } from '#lib/handlers/ingest-events.ts';
import { parseSecretList, verifierFor, WebhookVerifier } from '#lib/http/webhook-signature.ts';
import { dynamoClient, ssmClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability, type Observability } from '#lib/runtime/observability.ts';

/**
 * IngestFunction (POST /v1/events), composed once per container.
 */
export function composeIngestEvents(settings: Settings<'ingest-events'> = loadSettings('ingest-events')) {
  const observability = createObservability();
  const documents = documentClient(dynamoClient(observability.tracer));
  return ingestEventsHandler(
    {
      shipments: new DynamoShipmentStore(documents, settings.TABLE_NAME),
      wallets: new DynamoWallets(documents, settings.TABLE_NAME),
      verifier: signingSecrets(settings, observability),
    },
    observability,
  );
}

/**
 * The inline WEBHOOK_SECRETS when set (checked here, at cold start), else the SSM parameter, read
 * through Powertools' cache so that a rotation reaches every container. template.yaml sets only the
 * parameter, and `npm start` serves it from its local SSM; the inline list is for a handler run
 * where no Parameter Store answers: `sam local invoke --env-vars`, and the tests and benchmarks
 * that run the handler in their own process.
 */
function signingSecrets(settings: Settings<'ingest-events'>, observability: Observability): () => Promise<WebhookVerifier> {
  if (settings.WEBHOOK_SECRETS) {
    const fixed = new WebhookVerifier(parseSecretList(settings.WEBHOOK_SECRETS));
    return async () => fixed;
  }
  if (settings.WEBHOOK_SECRETS_PARAMETER) {
    return verifierFor(new SsmSigningSecrets(ssmClient(observability.tracer), settings.WEBHOOK_SECRETS_PARAMETER).read);
  }
  throw new ConfigurationError('set WEBHOOK_SECRETS or WEBHOOK_SECRETS_PARAMETER to the signing secrets');
}
