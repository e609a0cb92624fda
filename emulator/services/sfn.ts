import { ExecutionAlreadyExistsError, type LocalStepFunctions } from '../step-functions.ts';
import { awsError } from './protocol.ts';

/**
 * AWS Step Functions behind the AWS JSON 1.0 protocol (`X-Amz-Target: AWSStepFunctions.<Operation>`):
 * StartExecution runs the state machine's real ASL locally (step-functions.ts); DescribeExecution
 * and ListExecutions read what ran.
 */
export class LocalSfn {
  private readonly runtime: LocalStepFunctions;

  constructor(runtime: LocalStepFunctions) {
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
          if (error instanceof ExecutionAlreadyExistsError) throw awsError(400, 'ExecutionAlreadyExists', error.message);
          if (error instanceof Error && error.message.startsWith('no local state machine')) {
            throw awsError(400, 'StateMachineDoesNotExist', error.message);
          }
          throw error;
        }
      }
      case 'DescribeExecution': {
        const record = this.runtime.describe(String(input.executionArn));
        if (!record) throw awsError(400, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${input.executionArn}'`);
        return {
          executionArn: record.executionArn,
          stateMachineArn: record.stateMachineArn,
          name: record.name,
          status: record.status,
          startDate: Date.parse(record.startDate) / 1000,
          ...(record.stopDate ? { stopDate: Date.parse(record.stopDate) / 1000 } : {}),
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
            .map((record) => ({
              executionArn: record.executionArn,
              stateMachineArn: record.stateMachineArn,
              name: record.name,
              status: record.status,
              startDate: Date.parse(record.startDate) / 1000,
              ...(record.stopDate ? { stopDate: Date.parse(record.stopDate) / 1000 } : {}),
            })),
        };
      default:
        throw awsError(400, 'UnknownOperationException', `the local Step Functions does not implement ${operation}`);
    }
  }
}
