import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * One Lambda execution environment for the rehearsal, in its own process: it loads the deployed
 * bundle from LAMBDA_TASK_ROOT and `_HANDLER` as the Node.js runtime does, then answers one
 * invocation at a time over IPC. Its environment is exactly what the rehearsal gave it (the
 * function's configuration, Lambda's own variables and the execution role's credentials).
 */

interface Invocation {
  id: number;
  event: unknown;
  requestId?: string;
}

const [file = '', exportName = 'handler'] = String(process.env._HANDLER).split(/\.(?=[^.]+$)/);
const taskRoot = String(process.env.LAMBDA_TASK_ROOT);
const timeoutMs = Number(process.env.REHEARSAL_TIMEOUT_SECONDS ?? 3) * 1000;

let handler: (event: unknown, context: unknown) => Promise<unknown>;
try {
  const module = (await import(pathToFileURL(join(taskRoot, `${file}.mjs`)).href)) as Record<string, unknown>;
  handler = module[exportName] as typeof handler;
  if (typeof handler !== 'function') throw new Error(`${process.env._HANDLER} is not a function`);
} catch (error) {
  // An init error: every invocation reports it, as Lambda does (Runtime.ImportModuleError and kin).
  handler = async () => {
    throw error;
  };
}

process.on('message', async ({ id, event, requestId }: Invocation) => {
  const deadline = Date.now() + timeoutMs;
  const functionName = String(process.env.AWS_LAMBDA_FUNCTION_NAME);
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: process.env.REHEARSAL_FUNCTION_ARN,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId ?? randomUUID(),
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(Object.assign(new Error(`Task timed out after ${timeoutMs / 1000} seconds`), { name: 'Sandbox.Timedout' })),
        timeoutMs,
      );
    });
    const result = await Promise.race([handler(event, context), timeout]);
    process.send?.({ id, result: result === undefined ? null : result });
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    process.send?.({ id, error: { errorType: failure.name, errorMessage: failure.message } });
  } finally {
    clearTimeout(timer);
  }
});
// Lambda's sandbox goes when the service does: no runtime outlives the rehearsal.
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
