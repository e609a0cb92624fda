import { composeStartReconciliation } from './lib/composition/start-reconciliation.ts';

// StartReconciliationFunction: pending wallets on the table's stream → WalletReconciliation executions. Composed once per container, at cold start.
export const handler = composeStartReconciliation();
