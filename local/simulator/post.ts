import { postSigned } from '../../support/signing.ts';
import type { Attack } from './hostile.ts';
import type { Delivery } from './traffic.ts';

/**
 * Posts deliveries as warehouses would: one signed CloudEvent per request (Standard Webhooks) to
 * the delivery's warehouse's path (or POST /v1/events), at most `concurrency` requests in flight,
 * a request the API says to slow down (429 with a short retry-after) sent again after the wait,
 * and counts what came back.
 */

export interface PostSummary {
  posted: number;
  accepted: number;
  duplicates: number;
  /** HTTP status → count, for every response that was not 202. */
  rejected: Record<string, number>;
  /** Requests that got no HTTP answer at all (connection refused, timeout). */
  unreachable: number;
  /** Requests sent again after a 429 with a short retry-after (a warehouse's request rate). */
  retried: number;
  /** The first few problems, to show what went wrong. */
  problems: string[];
  durationMs: number;
}

/** A 429 whose retry-after is longer than this is a daily cap, not a rate: counted, not retried. */
const LONGEST_RETRY_SECONDS = 10;
const MOST_RETRIES = 20;

export interface PostOptions {
  url: string;
  /** The signing secret of each delivery's warehouse (undefined: the one of POST /v1/events). */
  secretOf: (warehouse: string | undefined) => string;
  concurrency?: number;
  timeoutMs?: number;
  onResult?: (done: number, total: number, summary: PostSummary) => void;
}

export async function postDeliveries(deliveries: readonly Delivery[], options: PostOptions): Promise<PostSummary> {
  const summary: PostSummary = {
    posted: 0,
    accepted: 0,
    duplicates: 0,
    rejected: {},
    unreachable: 0,
    retried: 0,
    problems: [],
    durationMs: 0,
  };
  const started = Date.now();
  const note = (problem: string) => {
    if (summary.problems.length < 5) summary.problems.push(problem);
  };
  let nextIndex = 0;
  let done = 0;

  async function post(delivery: Delivery): Promise<void> {
    try {
      let response: Response;
      let text: string;
      for (let attempt = 0; ; attempt += 1) {
        response = await postSigned(options.url, delivery.event, options.secretOf(delivery.warehouse), {
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
          ...(delivery.warehouse !== undefined ? { warehouse: delivery.warehouse } : {}),
        });
        text = await response.text();
        const wait = Number(response.headers.get('retry-after'));
        if (response.status !== 429 || !(wait <= LONGEST_RETRY_SECONDS) || attempt >= MOST_RETRIES) break;
        summary.retried += 1;
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      }
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

export interface AttackResult {
  name: string;
  status: number;
  expect: number;
  refused: boolean;
  ownership: boolean;
}

/** Posts each attack in turn, signed with the hostile warehouse's secret, and says how each was answered. */
export async function postAttacks(
  attacks: readonly Attack[],
  options: { url: string; secret: string; timeoutMs?: number },
): Promise<AttackResult[]> {
  const results: AttackResult[] = [];
  for (const attack of attacks) {
    const response = await postSigned(options.url, attack.body, options.secret, {
      warehouse: attack.path,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    await response.text();
    results.push({
      name: attack.name,
      status: response.status,
      expect: attack.expect,
      refused: response.status === attack.expect,
      ownership: attack.ownership,
    });
  }
  return results;
}
