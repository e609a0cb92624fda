import { createStartReconciliationHandler } from '../functions/lib/app/start-reconciliation.ts';
import { requireEnv } from '../functions/lib/config.ts';
import { notificationWiring } from './notification-wiring.ts';
import { localStepFunctions } from './step-functions.ts';
import type { Template } from './template.ts';

/**
 * Where the local stack swaps an AWS adapter for a local one. A function listed here is built
 * by its module's `create…Handler(ports)` factory with local ports (the outbox instead of SNS
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
localWiring.StartReconciliationFunction = async (context) =>
  createStartReconciliationHandler({
    // The stack sets each function's template environment just before its factory runs.
    starter: localStepFunctions(context).starter(requireEnv('STATE_MACHINE_ARN')),
    delaySeconds: Number(requireEnv('RECONCILE_DELAY_SECONDS')),
  });
