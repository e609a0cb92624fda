import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_REGION, localArn } from './aws-local.ts';

/**
 * The Lambda context object a handler receives, as the Node.js runtime builds it: what Powertools
 * and middy read (function name, request id, ARN, memory, log group, remaining time). The function
 * runner builds one per invocation inside the function's worker; tests build their own.
 */
export function lambdaContext(
  functionName: string,
  options: {
    timeoutMs?: number;
    memoryMb?: number;
    requestId?: string;
    functionArn?: string;
    logGroupName?: string;
    logStreamName?: string;
  } = {},
): Context {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: options.functionArn ?? localArn.function(functionName),
    memoryLimitInMB: String(options.memoryMb ?? 512),
    awsRequestId: options.requestId ?? randomUUID(),
    logGroupName: options.logGroupName ?? `/aws/lambda/${functionName}`,
    logStreamName: options.logStreamName ?? `local/${LOCAL_REGION}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
