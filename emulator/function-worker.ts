import { enableCompileCache } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { lambdaContext } from './lambda-context.ts';

/**
 * One function's runtime, in its own worker thread with its own `process.env` (function-runner.ts):
 * the init phase imports the module the template's Handler names and takes its export, as
 * Lambda's Node.js runtime does; each invocation gets a Lambda context built here, and its result
 * or error goes back as JSON, as Lambda's Invoke answers.
 */

export interface WorkerSetup {
  functionName: string;
  /** Absolute path of the module to load (TypeScript source or a built bundle). */
  modulePath: string;
  exportName: string;
  timeoutMs: number;
  memoryMb: number;
  /** The ARN the context names; the local account's for the function's name if not given. */
  functionArn?: string;
  /** Modules imported before the function's own, e.g. a benchmark's request counter (file URLs). */
  preload: string[];
}

export type WorkerRequest = { id: number; event: string };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: number; payload: string }
  | { type: 'error'; id: number; error: SerializedError };

export interface SerializedError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}

const setup = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error('function-worker.ts runs as a worker thread of the function runner');

type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let handler: Handler;
// Every worker loads the same SDK and libraries: V8's code cache on disk spares the second and later
// ones (and the next run) compiling them again. A local speed-up only; Lambda has no such cache.
enableCompileCache();
try {
  for (const module of setup.preload) await import(module);
  const loaded = (await import(pathToFileURL(setup.modulePath).href)) as Record<string, unknown>;
  const exported = loaded[setup.exportName];
  if (typeof exported !== 'function') {
    throw Object.assign(new Error(`${setup.modulePath} does not export a function named ${setup.exportName}`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  handler = exported as Handler;
  port.postMessage({ type: 'ready' } satisfies WorkerReply);
} catch (error) {
  port.postMessage({ type: 'init-error', error: serializeError(error) } satisfies WorkerReply);
  process.exit(1);
}

port.on('message', (request: WorkerRequest) => {
  // Named as Lambda's runtime names it, from the variables the function was given.
  const context = lambdaContext(process.env.AWS_LAMBDA_FUNCTION_NAME ?? setup.functionName, {
    timeoutMs: setup.timeoutMs,
    memoryMb: setup.memoryMb,
    ...(setup.functionArn ? { functionArn: setup.functionArn } : {}),
    ...(process.env.AWS_LAMBDA_LOG_GROUP_NAME ? { logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME } : {}),
    ...(process.env.AWS_LAMBDA_LOG_STREAM_NAME ? { logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME } : {}),
  });
  // Invocations interleave on this thread's event loop, as they did in one process before; Lambda
  // would give each concurrent one a container of its own.
  void (async () => {
    try {
      const result = await handler(JSON.parse(request.event), context);
      port.postMessage({ type: 'result', id: request.id, payload: JSON.stringify(result ?? null) } satisfies WorkerReply);
    } catch (error) {
      port.postMessage({ type: 'error', id: request.id, error: serializeError(error) } satisfies WorkerReply);
    }
  })();
});
