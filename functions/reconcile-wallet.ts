import { composeReconcileWallet } from './lib/composition/reconcile-wallet.ts';

// ReconcileWalletFunction: the WalletReconciliation state machine's ReconcileWallet task. Composed once per container, at cold start.
export const handler = composeReconcileWallet();
