import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunOptions, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { localArn, nameOfArn } from './aws-local.ts';
import { ExecutionAlreadyExistsError, type ExecutionDescription, type Executions, StateMachineDoesNotExistError } from './services/sfn.ts';
import { resolveValue, type Template } from './template.ts';

/**
 * Step Functions in the emulator: the real ASL files the template names, their
 * DefinitionSubstitutions resolved to local names, executed by aws-local-stepfunctions.
 * Task states are bound to local stand-ins (a Lambda invoke calls the function runner; an SNS
 * publish goes to the local SNS), and every execution is kept with its state history.
 * Execution names are unique per state machine, as on AWS.
 */

type Json = Parameters<StateMachine['run']>[0];

/** Reads a state machine's DefinitionUri (relative to `root`, the template's folder) and fills its `${Placeholders}` from DefinitionSubstitutions. */
export function loadDefinition(template: Template, logicalId: string, names: Record<string, string>, root: string): StateMachineDefinition {
  const resource = template.Resources[logicalId];
  if (resource?.Type !== 'AWS::Serverless::StateMachine') throw new Error(`the template has no state machine ${logicalId}`);
  const properties = resource.Properties ?? {};
  if (typeof properties.DefinitionUri !== 'string') throw new Error(`${logicalId}: only a local DefinitionUri file is supported`);
  const text = readFileSync(join(root, properties.DefinitionUri), 'utf8');
  const substitutions = resolveValue(template, properties.DefinitionSubstitutions ?? {}, names) as Record<string, string>;
  return JSON.parse(substitute(text, substitutions)) as StateMachineDefinition;
}

/** SAM's DefinitionSubstitutions: every `${Name}` must have a value. */
export function substitute(text: string, substitutions: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`no DefinitionSubstitution for \${${name}}`);
    return value;
  });
}

/** Every Task state by name, including those inside Map and Parallel states. */
export function taskStates(definition: Pick<StateMachineDefinition, 'States'>): [string, Record<string, any>][] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const raw = state as Record<string, any>;
    const nested = [raw.ItemProcessor, raw.Iterator, ...(raw.Branches ?? [])].filter(Boolean);
    return [
      ...(raw.Type === 'Task' ? [[name, raw] as [string, Record<string, any>]] : []),
      ...nested.flatMap((machine) => taskStates(machine)),
    ];
  });
}

export interface PublishRequest {
  TopicArn: string;
  Message: string;
  Subject?: string;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string }>;
}

export interface TaskServices {
  /** Invokes a local function by logical id and returns what it returns (or throws its error). */
  invoke(functionId: string, payload: unknown): Promise<unknown>;
  /** The local SNS Publish: returns a message id. */
  publish(request: PublishRequest): Promise<string>;
}

/**
 * The local stand-in for each Task state's resource. Errors keep their `name`, which is what
 * Retry and Catch match, as a Lambda function error's errorType is on AWS.
 */
export function taskBindings(
  definition: StateMachineDefinition,
  services: TaskServices,
): NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers'] {
  const functionIdOf = (arn: string) => {
    const match = /:function:([^:]+)/.exec(arn);
    if (!match) throw new Error(`not a local Lambda ARN: ${arn}`);
    return match[1] as string;
  };
  const bindings: Record<string, (input: Json) => Promise<Json>> = {};
  for (const [name, state] of taskStates(definition)) {
    const resource = String(state.Resource);
    if (resource === 'arn:aws:states:::lambda:invoke') {
      bindings[name] = async (input) => {
        const { FunctionName, Payload } = input as { FunctionName: string; Payload: unknown };
        const result = await services.invoke(functionIdOf(FunctionName), Payload);
        return { ExecutedVersion: '$LATEST', Payload: (result ?? null) as Json, StatusCode: 200 };
      };
    } else if (resource.startsWith('arn:aws:lambda:')) {
      bindings[name] = async (input) => (await services.invoke(functionIdOf(resource), input)) as Json;
    } else if (resource === 'arn:aws:states:::sns:publish') {
      bindings[name] = async (input) => ({ MessageId: await services.publish(input as unknown as PublishRequest) });
    } else {
      throw new Error(`Task ${name}: ${resource} has no local stand-in`);
    }
  }
  return bindings;
}

export interface StateVisit {
  name: string;
  type: string;
  /** Index of the Map iteration the state ran in, for states inside a Map. */
  iteration?: number;
  enteredAt: string;
  exitedAt?: string;
  status: 'running' | 'succeeded' | 'failed' | 'caught';
  retries: number;
  error?: string;
  cause?: string;
}

export interface ExecutionRecord extends ExecutionDescription {
  /** The states visited, in order, with timestamps. */
  states: StateVisit[];
}

interface RegisteredMachine {
  arn: string;
  name: string;
  machine: StateMachine;
  overrides: RunOptions['overrides'];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The executions of the local state machines. */
export class LocalStepFunctions implements Executions {
  private readonly machines = new Map<string, RegisteredMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, { abort: () => void; done: Promise<void> }>();

  register(
    arn: string,
    definition: StateMachineDefinition,
    services: TaskServices,
    overrides: Omit<NonNullable<RunOptions['overrides']>, 'taskResourceLocalHandlers'> = {},
  ): void {
    const name = nameOfArn(arn);
    this.machines.set(arn, {
      arn,
      name,
      machine: new StateMachine(definition),
      overrides: { ...overrides, taskResourceLocalHandlers: taskBindings(definition, services) },
    });
  }

  /** StartExecution: a name used before on this state machine is ExecutionAlreadyExists. */
  start(stateMachineArn: string, name: string, input: unknown): ExecutionRecord {
    const registered = this.machines.get(stateMachineArn);
    if (!registered) throw new StateMachineDoesNotExistError(`State Machine Does Not Exist: '${stateMachineArn}'`);
    // As Step Functions names it: the state machine's ARN, `execution` for `stateMachine`, and the name.
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    if (this.executions.has(executionArn)) throw new ExecutionAlreadyExistsError(`Execution already exists: '${executionArn}'`);
    const startDate = new Date();
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name,
      status: 'RUNNING',
      input,
      startDate: startDate.toISOString(),
      states: [],
    };
    this.executions.set(executionArn, record);
    const execution = registered.machine.run(input as Json, {
      overrides: registered.overrides,
      noThrowOnAbort: true,
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          Input: input as Json,
          StartTime: startDate.toISOString(),
          RoleArn: localArn.role(`${registered.name}Role`),
        },
        StateMachine: { Id: stateMachineArn, Name: registered.name },
      },
    });
    const history = (async () => {
      for await (const event of execution.eventLogs) recordEvent(record, event);
    })();
    const done = execution.result.then(
      async (output) => {
        await history;
        if (record.status === 'RUNNING') Object.assign(record, { status: 'SUCCEEDED', output, stopDate: new Date().toISOString() });
      },
      async (error: Error & { cause?: { name?: string; message?: string } }) => {
        await history.catch(() => undefined);
        if (record.status === 'RUNNING') {
          Object.assign(record, {
            status: 'FAILED',
            error: error.cause?.name ?? error.name,
            cause: error.cause?.message ?? error.message,
            stopDate: new Date().toISOString(),
          });
        }
      },
    );
    this.running.set(executionArn, { abort: execution.abort, done });
    void done.finally(() => this.running.delete(executionArn));
    return record;
  }

  /** One execution by ARN (DescribeExecution). */
  describe(executionArn: string): ExecutionRecord | undefined {
    return this.executions.get(executionArn);
  }

  list(): ExecutionRecord[] {
    return [...this.executions.values()].sort((a, b) => a.startDate.localeCompare(b.startDate));
  }

  /** Resolves when every execution started so far has finished. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((run) => run.done));
  }

  async stop(): Promise<void> {
    for (const [arn, run] of this.running) {
      run.abort();
      const record = this.executions.get(arn);
      if (record?.status === 'RUNNING') Object.assign(record, { status: 'ABORTED', stopDate: new Date().toISOString() });
    }
    await Promise.allSettled([...this.running.values()].map((run) => run.done));
  }
}

type EventLog = Awaited<ReturnType<ReturnType<StateMachine['run']>['eventLogs']['next']>>['value'];

function recordEvent(record: ExecutionRecord, event: EventLog): void {
  if (!event || typeof event !== 'object' || !('type' in event)) return;
  const open = (name: string, iteration?: number) =>
    [...record.states].reverse().find((visit) => visit.name === name && visit.iteration === iteration && visit.status === 'running');
  switch (event.type) {
    case 'StateEntered':
      record.states.push({
        name: event.state.name,
        type: event.state.type,
        ...(event.index !== undefined ? { iteration: event.index } : {}),
        enteredAt: iso(event.timestamp),
        status: 'running',
        retries: 0,
      });
      break;
    case 'StateExited': {
      const visit = open(event.state.name, event.index);
      if (visit) Object.assign(visit, { status: 'succeeded', exitedAt: iso(event.timestamp) });
      break;
    }
    case 'StateRetried': {
      const visit = open(event.state.name, event.index);
      if (visit) visit.retries += 1;
      break;
    }
    case 'StateFailed': {
      const visit = open(event.state.name, event.index);
      if (visit) Object.assign(visit, { error: event.Error, cause: String(event.Cause) });
      break;
    }
    case 'StateCaught': {
      const visit = open(event.state.name, event.index);
      if (visit) Object.assign(visit, { status: 'caught', exitedAt: iso(event.timestamp) });
      break;
    }
    case 'ExecutionSucceeded':
      Object.assign(record, { status: 'SUCCEEDED', output: event.output, stopDate: iso(event.timestamp) });
      break;
    case 'ExecutionFailed':
      for (const visit of record.states)
        if (visit.status === 'running') Object.assign(visit, { status: 'failed', exitedAt: iso(event.timestamp) });
      Object.assign(record, { status: 'FAILED', error: event.Error, cause: String(event.Cause), stopDate: iso(event.timestamp) });
      break;
    default:
      break;
  }
}
