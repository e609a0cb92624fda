import { documentClient } from '#adapters/dynamo-documents.ts';
import { DynamoWallets } from '#adapters/dynamo-wallets.ts';
import { reconcileWalletHandler } from '#lib/handlers/reconcile-wallet.ts';
import { dynamoClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** ReconcileWalletFunction (the state machine's ReconcileWallet task), composed once per container. */
export function composeReconcileWallet(settings: Settings<'reconcile-wallet'> = loadSettings('reconcile-wallet')) {
  const observability = createObservability();
  const documents = documentClient(dynamoClient(observability.tracer));
  return reconcileWalletHandler(new DynamoWallets(documents, settings.TABLE_NAME), observability);
}
