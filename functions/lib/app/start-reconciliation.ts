import type { WalletChange } from '#domain/changes.ts';
import type { WorkflowStarter } from '#domain/ports.ts';
import { type ReconciliationInput, reconciliationName, reconciliationWindow } from '#domain/reconciliation.ts';

export interface StartReconciliationPorts {
  starter: WorkflowStarter;
  /** ReconcileDelaySeconds: the window length and the workflow's wait. */
  delaySeconds: number;
  /** Told about each start that failed and will be retried. */
  onStartFailed?: (name: string, error: unknown) => void;
}

export interface PlannedStart {
  name: string;
  input: ReconciliationInput;
  /** Sequence numbers of the stream records this start covers. */
  records: string[];
}

/**
 * The executions a batch of wallet changes calls for: one per wallet and window. Changes that
 * leave the balance confirmed, or that no entry made (the same version as before), call for none.
 */
export function planStarts(changes: readonly WalletChange[], delaySeconds: number): PlannedStart[] {
  const planned = new Map<string, PlannedStart>();
  for (const change of changes) {
    if (!change.reconciliationPending) continue;
    if (change.previousVersion !== undefined && change.previousVersion === change.version) continue;
    const window = reconciliationWindow(change.lastEntryAt, delaySeconds);
    const name = reconciliationName(change.walletId, window);
    const existing = planned.get(name);
    if (existing) existing.records.push(change.sequenceNumber);
    else
      planned.set(name, {
        name,
        input: {
          walletId: change.walletId,
          delaySeconds: settleSeconds(change.lastEntryAt, window, delaySeconds),
          window: { start: window.start, end: window.end },
        },
        records: [change.sequenceNumber],
      });
  }
  return [...planned.values()];
}

/**
 * How long the execution started for the entry at `entryAt` waits: until its window closes, plus
 * the delay, so the last entry of the window gets the full delay to settle as well as the first.
 */
export function settleSeconds(entryAt: string, window: { end: string }, delaySeconds: number): number {
  const untilWindowEnd = Math.max(0, Math.ceil((Date.parse(window.end) - Date.parse(entryAt)) / 1000));
  return untilWindowEnd + delaySeconds;
}

/**
 * Starts one reconciliation per wallet per window. Bursts and replays coalesce on the execution
 * name; a name already started is success. A start that fails answers the sequence numbers of
 * its records, so the stream retries from there, never skipping a wallet.
 */
export async function startReconciliations(ports: StartReconciliationPorts, changes: readonly WalletChange[]): Promise<string[]> {
  const failed: string[] = [];
  for (const start of planStarts(changes, ports.delaySeconds)) {
    try {
      await ports.starter.start(start.name, start.input);
    } catch (error) {
      ports.onStartFailed?.(start.name, error);
      failed.push(...start.records);
    }
  }
  return failed;
}
