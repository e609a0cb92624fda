import { composeGetWallet } from './lib/composition/get-wallet.ts';

// GetWalletFunction: GET /v1/wallets/{walletId}. Composed once per container, at cold start.
export const handler = composeGetWallet();
