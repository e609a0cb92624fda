import { InvokeCommand } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, DescribeStateMachineCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { LambdaService } from '../emulator/lambda-service.ts';
import { LocalStepFunctions } from '../emulator/step-functions.ts';
import type { AwsClients } from './aws.ts';

/**
 * moto records a started execution but never runs it. Here each execution moto holds is run by the
 * emulator's Step Functions (the real ASL on aws-local-stepfunctions, as `npm start` runs it) from
 * the definition moto holds (the deployed, substituted one), Wait states cut short, and its tasks
 * done the way Step Functions does them with the state machine's role: the Lambda task is
 * authorised with an Invoke (DryRun) as that role, then runs the deployed handler; SNS publishes
 * are real Publish calls as that role (so the topic key's permissions count).
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
  lambda: LambdaService,
  functionIds: Map<string, string>,
): Promise<WorkflowRun[]> {
  const { definition } = await operator.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
  const parsed = JSON.parse(String(definition)) as StateMachineDefinition;
  const waits = Object.fromEntries(
    Object.entries(parsed.States)
      .filter(([, state]) => state.Type === 'Wait')
      .map(([name]) => [name, 0]),
  );
  const stepFunctions = new LocalStepFunctions();
  stepFunctions.register(
    stateMachineArn,
    parsed,
    {
      // The Task's FunctionName is the deployed function's name.
      invoke: async (functionName, payload) => {
        await asStateMachine.lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'DryRun' }));
        const functionId = functionIds.get(functionName);
        if (!functionId) throw new Error(`the state machine invokes ${functionName}, not a function of the stack`);
        return lambda.invoke(functionId, payload, 'Step Functions');
      },
      publish: async (request) => {
        const { MessageId } = await asStateMachine.sns.send(new PublishCommand(request));
        return String(MessageId);
      },
    },
    { waitTimeOverrides: waits },
  );
  const { executions = [] } = await operator.sfn.send(new ListExecutionsCommand({ stateMachineArn }));
  for (const { executionArn, name } of executions) {
    const described = await operator.sfn.send(new DescribeExecutionCommand({ executionArn }));
    stepFunctions.start(stateMachineArn, String(name), JSON.parse(String(described.input ?? '{}')));
  }
  await stepFunctions.settled();
  return stepFunctions.list().map((record) => ({
    execution: record.name,
    status: record.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
    detail: record.status === 'SUCCEEDED' ? JSON.stringify(record.output).slice(0, 300) : `${record.error}: ${record.cause}`,
  }));
}
