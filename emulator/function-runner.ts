import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SerializedError, WorkerReply, WorkerSetup } from './function-worker.ts';
import type { FunctionDefinition } from './template.ts';

/**
 * Runs a template's functions the way Lambda does, one worker thread per function (as SAM CLI
 * gives each function a container): the worker loads the module the template's Handler names, with
 * exactly the environment it is given and nothing of this process's, so one function's
 * configuration, Powertools settings and log context never reach another. invoke(event) answers
 * what the handler returned, or rejects with a FunctionError carrying its errorType, as Lambda's
 * Invoke reports a function error. A worker that dies (an uncaught error, a crash) fails what it
 * had in flight and is started again on the next invocation: a cold start, as on Lambda.
 */

export class FunctionError extends Error {
  readonly errorType: string;
  readonly trace: string[];

  constructor(functionName: string, error: SerializedError) {
    super(error.errorMessage);
    // Step Functions' Retry and Catch, and event source mappings, match on the error's name.
    this.name = error.errorType;
    this.errorType = error.errorType;
    this.trace = error.trace;
    this.stack = [`${error.errorType}: ${error.errorMessage} (in ${functionName})`, ...error.trace.slice(1)].join('\n');
  }
}

/** Where a function's code is: the module to load for its Handler. */
export type CodeLocator = (definition: FunctionDefinition) => string;

/** The TypeScript source the template's esbuild EntryPoints name, under `root` (what `npm start` runs). */
export const sourceCode =
  (root: string): CodeLocator =>
  (definition) =>
    join(root, definition.entryPoint);

/**
 * A built artifact as `sam build` lays it out, `<buildDir>/<LogicalId>/<module>.{mjs,js,cjs}` for
 * Handler `<module>.<export>`, found the way Lambda's Node.js runtime finds the handler's module.
 */
export const builtCode =
  (buildDir: string): CodeLocator =>
  (definition) => {
    const module = definition.handler.slice(0, definition.handler.lastIndexOf('.'));
    for (const extension of ['.mjs', '.js', '.cjs']) {
      const file = join(buildDir, definition.logicalId, `${module}${extension}`);
      if (existsSync(file)) return file;
    }
    throw new Error(`${definition.logicalId}: no ${module}.mjs, .js or .cjs in ${join(buildDir, definition.logicalId)}`);
  };

export interface RunnerOptions {
  code: CodeLocator;
  /** The exact environment of each function (resolved template variables, runtime and endpoint variables, overrides). */
  environment: (definition: FunctionDefinition) => Record<string, string>;
  /** Where a function's stdout and stderr go; this process's by default. */
  onOutput?: (functionId: string, stream: 'stdout' | 'stderr', text: string) => void;
  /** Modules each worker imports before the function's (file URLs), e.g. instrumentation. */
  preload?: string[];
  /** The ARN each function's context names (the local account's by default). */
  functionArn?: (definition: FunctionDefinition) => string;
}

interface Running {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>;
}

const WORKER = new URL('./function-worker.ts', import.meta.url);

/** How long stop() lets a function still loading finish its init before ending its worker. */
const STOP_GRACE_MS = 5000;

export class FunctionRunner {
  private readonly definitions: Map<string, FunctionDefinition>;
  private readonly options: RunnerOptions;
  private readonly running = new Map<string, Running>();
  private nextId = 1;
  private stopped = false;

  constructor(definitions: readonly FunctionDefinition[], options: RunnerOptions) {
    this.definitions = new Map(definitions.map((definition) => [definition.logicalId, definition]));
    this.options = options;
  }

  get functionIds(): string[] {
    return [...this.definitions.keys()];
  }

  /** Starts every function (its init phase) at once; rejects with the first that fails to load. */
  async start(): Promise<void> {
    await Promise.all(this.functionIds.map((functionId) => this.ready(functionId)));
  }

  /** Starts one function if it is not running, and resolves once its init phase is done. */
  ready(functionId: string): Promise<void> {
    return this.instance(functionId).ready;
  }

  /** Invokes a function by logical id with an event; resolves with its JSON result. */
  async invoke(functionId: string, event: unknown): Promise<unknown> {
    if (this.stopped) throw new Error(`the function runner has stopped; cannot invoke ${functionId}`);
    const running = this.instance(functionId);
    await running.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      running.pending.set(id, { resolve, reject });
      running.worker.postMessage({ id, event: JSON.stringify(event ?? null) });
    });
  }

  /** Ends every worker; invocations still in flight fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    const workers = [...this.running.values()];
    this.running.clear();
    for (const { pending } of workers) {
      for (const { reject } of pending.values()) reject(new Error('the function runner stopped during the invocation'));
      pending.clear();
    }
    await Promise.all(
      workers.map(async ({ worker, ready }) => {
        // A worker terminated while a module that awaits at top level is still evaluating can abort
        // the whole process (V8: "Check failed" in AsyncModuleExecutionFulfilled): its init phase
        // is let finish first, for a few seconds at most.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([ready.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
        clearTimeout(timer);
        await worker.terminate();
      }),
    );
  }

  private instance(functionId: string): Running {
    const existing = this.running.get(functionId);
    if (existing) return existing;
    const definition = this.definitions.get(functionId);
    if (!definition) throw new Error(`no function ${functionId} in the template`);
    const setup: WorkerSetup = {
      functionName: functionId,
      modulePath: this.options.code(definition),
      exportName: definition.exportName,
      timeoutMs: definition.timeoutSeconds * 1000,
      memoryMb: definition.memoryMb,
      preload: this.options.preload ?? [],
      ...(this.options.functionArn ? { functionArn: this.options.functionArn(definition) } : {}),
    };
    const worker = new Worker(WORKER, {
      workerData: setup,
      env: this.options.environment(definition),
      name: functionId,
      stdout: true,
      stderr: true,
    });
    const onOutput =
      this.options.onOutput ??
      ((_id: string, stream: 'stdout' | 'stderr', text: string) =>
        void (stream === 'stdout' ? process.stdout : process.stderr).write(text));
    worker.stdout.setEncoding('utf8').on('data', (text: string) => onOutput(functionId, 'stdout', text));
    worker.stderr.setEncoding('utf8').on('data', (text: string) => onOutput(functionId, 'stderr', text));
    const pending: Running['pending'] = new Map();
    let settleReady: { resolve: () => void; reject: (error: Error) => void } | undefined;
    const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
    // Nobody may be waiting yet: a failed init is reported to whoever invokes or starts.
    ready.catch(() => undefined);
    const running: Running = { worker, ready, pending };
    const failAll = (error: Error) => {
      settleReady?.reject(error);
      for (const { reject } of pending.values()) reject(error);
      pending.clear();
      if (this.running.get(functionId) === running) this.running.delete(functionId);
    };
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') return settleReady?.resolve();
      if (reply.type === 'init-error') return failAll(new FunctionError(functionId, reply.error));
      const waiting = pending.get(reply.id);
      if (!waiting) return;
      pending.delete(reply.id);
      if (reply.type === 'result') waiting.resolve(JSON.parse(reply.payload));
      else waiting.reject(new FunctionError(functionId, reply.error));
    });
    worker.on('error', (error) =>
      failAll(new FunctionError(functionId, { errorType: 'Runtime.ExitError', errorMessage: error.message, trace: [] })),
    );
    worker.on('exit', (code) => {
      if (!this.stopped) {
        failAll(new FunctionError(functionId, { errorType: 'Runtime.ExitError', errorMessage: `worker exited with ${code}`, trace: [] }));
      }
    });
    this.running.set(functionId, running);
    return running;
  }
}
