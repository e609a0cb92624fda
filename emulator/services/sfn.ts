import { awsError } from './protocol.ts';

/**
 * AWS Step Functions behind the AWS JSON 1.0 protocol (`X-Amz-Target: AWSStepFunctions.<Operation>`):
 * StartExecution runs the state machine's real ASL locally (the emulator's step-functions.ts, given
 * as `Executions`); DescribeExecution and ListExecutions read what ran.
 */

/** An execution as the API describes it. */
export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  startDate: string;
  stopDate?: string;
}

/** What runs the executions behind the API. */
export interface Executions {
  /** Throws ExecutionAlreadyExistsError for a name used before, StateMachineDoesNotExistError for an unknown ARN. */
  start(stateMachineArn: string, name: string, input: unknown): ExecutionDescription;
  describe(executionArn: string): ExecutionDescription | undefined;
  list(): ExecutionDescription[];
}

export class ExecutionAlreadyExistsError extends Error {
  override readonly name = 'ExecutionAlreadyExists';
}

export class StateMachineDoesNotExistError extends Error {
  override readonly name = 'StateMachineDoesNotExist';
}

export class LocalSfn {
  private readonly runtime: Executions;

  constructor(runtime: Executions) {
    this.runtime = runtime;
  }

  async handle(operation: string, input: Record<string, any>): Promise<unknown> {
    switch (operation) {
      case 'StartExecution': {
        let parsed: unknown;
        try {
          parsed = JSON.parse(typeof input.input === 'string' ? input.input : '{}');
        } catch {
          throw awsError(400, 'InvalidExecutionInput', 'Invalid execution input: not JSON');
        }
        try {
          const record = this.runtime.start(String(input.stateMachineArn), String(input.name ?? crypto.randomUUID()), parsed);
          return { executionArn: record.executionArn, startDate: Date.parse(record.startDate) / 1000 };
        } catch (error) {
          if (error instanceof ExecutionAlreadyExistsError || error instanceof StateMachineDoesNotExistError) {
            throw awsError(400, error.name, error.message);
          }
          throw error;
        }
      }
      case 'DescribeExecution': {
        const record = this.runtime.describe(String(input.executionArn));
        if (!record) throw awsError(400, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${input.executionArn}'`);
        return {
          ...listed(record),
          input: JSON.stringify(record.input),
          ...(record.output !== undefined ? { output: JSON.stringify(record.output) } : {}),
          ...(record.error ? { error: record.error, cause: record.cause } : {}),
        };
      }
      case 'ListExecutions':
        return {
          executions: this.runtime
            .list()
            .filter((record) => !input.stateMachineArn || record.stateMachineArn === input.stateMachineArn)
            .map(listed),
        };
      default:
        throw awsError(400, 'UnknownOperationException', `the local Step Functions does not implement ${operation}`);
    }
  }
}

/** An execution as ListExecutions lists it (DescribeExecution adds its input, output and error); times in epoch seconds. */
function listed(record: ExecutionDescription) {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: Date.parse(record.startDate) / 1000,
    ...(record.stopDate ? { stopDate: Date.parse(record.stopDate) / 1000 } : {}),
  };
}
