import type { WalletBooks } from '#domain/ports.ts';
import { readWallet } from '#lib/app/read-wallet.ts';
import { jsonResponse } from '#lib/http/problem.ts';
import { pathIdentifier } from '#lib/http/request.ts';
import type { Observability } from '#lib/runtime/observability.ts';
import { type HttpHandler, httpHandler } from './middleware.ts';

/** GET /v1/wallets/{walletId} (GetWalletFunction). */
export function getWalletHandler(books: Pick<WalletBooks, 'readWallet'>, observability: Observability): HttpHandler {
  return httpHandler(observability).handler(async (request) => {
    const walletId = pathIdentifier(request, 'walletId');
    return jsonResponse(200, await readWallet(books, walletId));
  });
}
