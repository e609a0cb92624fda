import { InvokeCommand } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, DescribeStateMachineCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { type PublishRequest, taskBindings } from '../emulator/step-functions.ts';
import type { AwsClients } from './aws.ts';
import type { FunctionRunner } from './drive.ts';

/**
 * moto records a started execution but never runs it. Here each execution moto holds is run with
 * aws-local-stepfunctions from the definition moto holds (the deployed, substituted one), Wait
 * states cut short, and its tasks done the way Step Functions does them with the state machine's
 * role: the Lambda task is authorised with an Invoke (DryRun) as that role, then runs the deployed
 * handler; SNS publishes are real Publish calls as that role (so the topic key's permissions count).
 */

export interface WorkflowRun {
  execution: string;
  status: 'SUCCEEDED' | 'FAILED';
  detail: string;
}

export async function runExecutions(
  operator: AwsClients,
  asStateMachine: AwsClients,
  stateMachineArn: string,
  runner: FunctionRunner,
  functionIds: Map<string, string>,
): Promise<WorkflowRun[]> {
  const { definition } = await operator.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
  const parsed = JSON.parse(String(definition)) as StateMachineDefinition;
  const bindings = taskBindings(parsed, {
    invoke: async (functionName, payload) => {
      await asStateMachine.lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'DryRun' }));
      const logicalId = functionIds.get(functionName);
      if (!logicalId) throw new Error(`the state machine invokes ${functionName}, not a function of the stack`);
      const answer = await runner.invoke(logicalId, payload, 'Step Functions');
      if (answer.error) throw Object.assign(new Error(answer.error.errorMessage), { name: answer.error.errorType });
      return answer.result;
    },
    publish: async (request: PublishRequest) => {
      const { MessageId } = await asStateMachine.sns.send(new PublishCommand(request as never));
      return String(MessageId);
    },
  });
  const waits = Object.fromEntries(
    Object.entries(parsed.States)
      .filter(([, state]) => state.Type === 'Wait')
      .map(([name]) => [name, 0]),
  );
  const machine = new StateMachine(parsed);
  const runs: WorkflowRun[] = [];
  const { executions = [] } = await operator.sfn.send(new ListExecutionsCommand({ stateMachineArn }));
  for (const { executionArn, name } of executions) {
    const described = await operator.sfn.send(new DescribeExecutionCommand({ executionArn }));
    const execution = machine.run(JSON.parse(String(described.input ?? '{}')), {
      overrides: { taskResourceLocalHandlers: bindings, waitTimeOverrides: waits },
      context: { Execution: { Id: executionArn, Name: name, Input: JSON.parse(String(described.input ?? '{}')) } } as never,
    });
    try {
      const output = await execution.result;
      runs.push({ execution: String(name), status: 'SUCCEEDED', detail: JSON.stringify(output).slice(0, 300) });
    } catch (error) {
      const failure = error as Error & { cause?: { name?: string; message?: string } };
      runs.push({
        execution: String(name),
        status: 'FAILED',
        detail: `${failure.cause?.name ?? failure.name}: ${failure.cause?.message ?? failure.message}`,
      });
    }
  }
  return runs;
}
