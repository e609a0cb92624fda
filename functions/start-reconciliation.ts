import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnWorkflowStarter } from '#adapters/sfn-workflow-starter.ts';
import { createStartReconciliationHandler } from '#lib/app/start-reconciliation.ts';
import { requireEnv } from '#lib/config.ts';

// Wallet-item changes on the table stream → one WalletReconciliation execution per wallet and window.
// Built once per container.
export const handler = createStartReconciliationHandler({
  starter: new SfnWorkflowStarter(new SFNClient({}), requireEnv('STATE_MACHINE_ARN')),
  delaySeconds: Number(requireEnv('RECONCILE_DELAY_SECONDS')),
});
