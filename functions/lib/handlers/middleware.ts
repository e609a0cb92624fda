import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { problemResponses } from '#lib/http/problem.ts';
import type { Observability } from '#lib/runtime/observability.ts';

export interface StackOptions {
  /**
   * Flush the function's metrics after every invocation (`logMetrics`); `'cold-start'` also counts
   * cold starts. Functions that record no metrics leave it off: an empty flush only warns. Where
   * metrics are off (the local stack turns them off) there is no flush either: nothing would be
   * published, and the local runner interleaves a function's invocations on one thread, so one
   * invocation's flush would take the others' metrics and theirs would warn, one line each.
   */
  metrics?: boolean | 'cold-start';
}

/**
 * The middy stack every function runs in, outermost first: the Tracer's handler subsegment (its
 * response is not recorded: reconciliation results name customers), the Lambda context on every
 * log line with the keys of the previous invocation dropped, then the metrics flush.
 * `timeoutEarlyInMillis: 0`: the function's own Timeout decides, not middy.
 */
export function lambdaHandler<TEvent, TResult>(
  observability: Observability,
  options: StackOptions = {},
): MiddyfiedHandler<TEvent, TResult, Error, Context> {
  const { logger, metrics, tracer } = observability;
  const handler = middy<TEvent, TResult>({ timeoutEarlyInMillis: 0 });
  if (tracer) handler.use(captureLambdaHandler(tracer, { captureResponse: false }));
  handler.use(injectLambdaContext(logger, { resetKeys: true }));
  if (options.metrics && metrics.publishing) handler.use(logMetrics(metrics, { captureColdStartMetric: options.metrics === 'cold-start' }));
  return handler;
}

export type HttpHandler = MiddyfiedHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>;

/**
 * The stack of the HTTP API's functions: the shared one, then `extra` (which sees the problem
 * response on the way out), then problem+json for every error (http/problem.ts).
 */
export function httpHandler(
  observability: Observability,
  options: StackOptions & { extra?: MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>[] } = {},
): HttpHandler {
  const handler = lambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>(observability, options);
  for (const middleware of options.extra ?? []) handler.use(middleware);
  return handler.use(problemResponses(observability.logger));
}
