import { startReconciliationHandler } from '../functions/lib/handlers/start-reconciliation.ts';
import { loadSettings } from '../functions/lib/runtime/config.ts';
import { createObservability } from '../functions/lib/runtime/observability.ts';
import { notificationWiring } from './notification-wiring.ts';
import { localStepFunctions } from './step-functions.ts';
import type { Template } from './template.ts';

/**
 * Where the local stack swaps an AWS adapter for a local one. A function listed here is built
 * by the handler factory of functions/lib/handlers/ with local ports (the outbox instead of SNS
 * SMS, the in-process fan-out instead of an SNS topic, …); every other function is imported as
 * deployed, through its `handler` export. DynamoDB is never swapped: it is DynamoDB Local.
 */

export interface LocalContext {
  template: Template;
  /** Local names for template resources: logical id → table name, topic ARN, … */
  names: Record<string, string>;
  /** Folder for local files (outbox, dead letters); `.local/` under the project. */
  dataDir: string;
  /** Invokes another function of the stack by logical id, as an event source would. */
  invoke(functionId: string, event: unknown): Promise<unknown>;
  /** Serves `GET path` on the local API (e.g. /local/outbox) with the JSON the function returns. */
  addLocalRoute(path: string, read: () => unknown | Promise<unknown>): void;
  /** Runs when the stack stops (timers, files, child work). */
  onStop(cleanup: () => Promise<void> | void): void;
  /** Work `settled()` also waits for once the stream is drained (e.g. the in-process queues). */
  onSettled(wait: () => Promise<void>): void;
}

export type LocalHandler = (event: any, context: any) => Promise<any>;
export type LocalFactory = (context: LocalContext) => Promise<LocalHandler>;

export const localWiring: Record<string, LocalFactory> = {
  ...notificationWiring,
};

// Wallet reconciliations start as executions of the real ASL, run locally (local/step-functions.ts).
localWiring.StartReconciliationFunction = async (context) => {
  // The stack sets each function's template environment just before its factory runs.
  const settings = loadSettings('start-reconciliation');
  return startReconciliationHandler(
    { starter: localStepFunctions(context).starter(settings.STATE_MACHINE_ARN), delaySeconds: settings.RECONCILE_DELAY_SECONDS },
    createObservability(),
  );
};
