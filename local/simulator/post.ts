import { postSigned } from '../../support/signing.ts';
import type { Delivery } from './traffic.ts';

/**
 * Posts deliveries to POST /v1/events as a warehouse would: one signed CloudEvent per request
 * (Standard Webhooks), at most `concurrency` requests in flight, and counts what came back.
 */

export interface PostSummary {
  posted: number;
  accepted: number;
  duplicates: number;
  /** HTTP status → count, for every response that was not 202. */
  rejected: Record<string, number>;
  /** Requests that got no HTTP answer at all (connection refused, timeout). */
  unreachable: number;
  /** The first few problems, to show what went wrong. */
  problems: string[];
  durationMs: number;
}

export interface PostOptions {
  url: string;
  secret: string;
  concurrency?: number;
  timeoutMs?: number;
  onResult?: (done: number, total: number, summary: PostSummary) => void;
}

export async function postDeliveries(deliveries: readonly Delivery[], options: PostOptions): Promise<PostSummary> {
  const summary: PostSummary = { posted: 0, accepted: 0, duplicates: 0, rejected: {}, unreachable: 0, problems: [], durationMs: 0 };
  const started = Date.now();
  const note = (problem: string) => {
    if (summary.problems.length < 5) summary.problems.push(problem);
  };
  let nextIndex = 0;
  let done = 0;

  async function post(delivery: Delivery): Promise<void> {
    try {
      const response = await postSigned(options.url, delivery.event, options.secret, {
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      const text = await response.text();
      if (response.status === 202) {
        const status = (JSON.parse(text) as { results: { status: string }[] }).results[0]?.status;
        if (status === 'duplicate') summary.duplicates += 1;
        else summary.accepted += 1;
      } else {
        summary.rejected[response.status] = (summary.rejected[response.status] ?? 0) + 1;
        if (delivery.kind !== 'invalid') note(`${response.status} for ${delivery.event.id}: ${text.slice(0, 300)}`);
      }
    } catch (error) {
      summary.unreachable += 1;
      note(`${delivery.event.id}: ${(error as Error).message}`);
    }
    summary.posted += 1;
  }

  async function worker(): Promise<void> {
    while (nextIndex < deliveries.length) {
      const delivery = deliveries[nextIndex] as Delivery;
      nextIndex += 1;
      await post(delivery);
      done += 1;
      summary.durationMs = Date.now() - started;
      options.onResult?.(done, deliveries.length, summary);
    }
  }

  const workers = Math.max(1, Math.min(options.concurrency ?? 8, deliveries.length));
  await Promise.all(Array.from({ length: workers }, () => worker()));
  summary.durationMs = Date.now() - started;
  return summary;
}
