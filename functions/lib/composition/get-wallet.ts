import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoWallets } from '#adapters/dynamo-wallets.ts';
import { getWalletHandler } from '#lib/handlers/get-wallet.ts';
import { dynamoClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** GetWalletFunction (GET /v1/wallets/{walletId}), composed once per container. */
export function composeGetWallet(settings: Settings<'get-wallet'> = loadSettings('get-wallet')) {
  const observability = createObservability();
  const documents = documentClient(dynamoClient(observability.tracer));
  return getWalletHandler(new DynamoWallets(documents, settings.TABLE_NAME), observability);
}
