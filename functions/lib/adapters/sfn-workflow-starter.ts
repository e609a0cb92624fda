import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { StartOutcome, WorkflowStarter } from '#domain/ports.ts';

/**
 * Starts Step Functions executions by name. A name in use (ExecutionAlreadyExists, or the
 * idempotent answer for a running execution with the same input) means the work is already
 * under way, which is what the caller wanted: success.
 */
export class SfnWorkflowStarter implements WorkflowStarter {
  private readonly client: SFNClient;
  private readonly stateMachineArn: string;

  constructor(client: SFNClient, stateMachineArn: string) {
    this.client = client;
    this.stateMachineArn = stateMachineArn;
  }

  async start(name: string, input: unknown): Promise<StartOutcome> {
    try {
      await this.client.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
      return 'started';
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') return 'already-started';
      throw error;
    }
  }
}
