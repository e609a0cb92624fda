import { SfnWorkflowStarter } from '#adapters/sfn-workflow-starter.ts';
import { startReconciliationHandler } from '#lib/handlers/start-reconciliation.ts';
import { sfnClient } from '#lib/runtime/aws-clients.ts';
import { loadSettings, type Settings } from '#lib/runtime/config.ts';
import { createObservability } from '#lib/runtime/observability.ts';

/** StartReconciliationFunction (wallet changes → WalletReconciliation executions), composed once per container. */
export function composeStartReconciliation(settings: Settings<'start-reconciliation'> = loadSettings('start-reconciliation')) {
  const observability = createObservability();
  return startReconciliationHandler(
    {
      starter: new SfnWorkflowStarter(sfnClient(observability.tracer), settings.STATE_MACHINE_ARN),
      delaySeconds: settings.RECONCILE_DELAY_SECONDS,
    },
    observability,
  );
}
