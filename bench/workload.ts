import { Agent, request as httpRequest } from 'node:http';
import { seededRandom } from '../support/seeded-random.ts';
import { eventsPath, signedRequest } from '../support/signing.ts';
import { daytimeZone } from '../support/time-zones.ts';

/**
 * The shipment workload the throughput benchmark and the load test post: every shipment is a
 * realistic life story told in order (as one warehouse system tells it), shipments are posted
 * side by side. What the customers must hear follows from the policy in docs/notifications.md and
 * is written down here independently of the product code, so the suite checks the product
 * rather than repeating it.
 */

export const SECRET = 'whsec_YmVuY2gtc2VjcmV0LWZvci1wYXJjZWxjYXN0LWxvYWQ=';

/**
 * The warehouse the workload posts as: its own source, both scopes, and limits far above what one
 * machine can send, so the benchmark measures the pipeline, not the rate limit (the limiter still
 * runs on every request).
 */
export const WAREHOUSE = {
  id: 'bench-1',
  sources: ['//warehouse/bench-1'],
  secrets: [SECRET],
  scopes: ['shipments', 'wallets'],
  limits: { requestsPerSecond: 1_000_000, burst: 1_000_000, notificationsPerDay: 1_000_000_000 },
};
export const ANNOUNCED = ['shipped', 'out_for_delivery', 'delivered', 'delivery_failed', 'returned', 'cancelled'] as const;

/**
 * Ten events per story; every one moves the status forward. Each entry into an announced status is
 * told (docs/notifications.md, "Status episodes"): out for delivery again after a failed delivery
 * is told again, the same status twice in a row once.
 */
const STORIES: readonly (readonly string[])[] = [
  [
    'created',
    'picked',
    'packed',
    'shipped',
    'in_transit',
    'in_transit',
    'out_for_delivery',
    'delivery_failed',
    'out_for_delivery',
    'delivered',
  ],
  ['created', 'picked', 'packed', 'shipped', 'in_transit', 'in_transit', 'in_transit', 'out_for_delivery', 'delivery_failed', 'returned'],
  ['created', 'picked', 'packed', 'shipped', 'in_transit', 'in_transit', 'in_transit', 'in_transit', 'out_for_delivery', 'delivered'],
  ['created', 'picked', 'packed', 'shipped', 'in_transit', 'in_transit', 'in_transit', 'in_transit', 'in_transit', 'cancelled'],
];

const CHANNEL_CHOICES: readonly (readonly ('sms' | 'email')[])[] = [['sms', 'email'], ['sms', 'email'], ['email'], ['sms']];

export interface CloudEventBody {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  data: Record<string, unknown>;
}

export interface ShipmentStory {
  shipmentId: string;
  events: CloudEventBody[];
  /** `<status>/<channel>` the customer must be told, once per entry into the status (so a status may be listed twice). */
  expectedNotifications: string[];
}

function dataFor(status: string, shipmentId: string, step: number, customer: Record<string, unknown>): Record<string, unknown> {
  switch (status) {
    case 'created':
      return { shipmentId, orderId: `ord-${shipmentId}`, customer, promisedBy: '2026-11-05T18:00:00Z' };
    case 'shipped':
      return {
        shipmentId,
        carrier: 'DHL',
        trackingNumber: `JD${step}${shipmentId.length}`,
        trackingUrl: `https://track.example/${shipmentId}`,
      };
    case 'in_transit':
      return { shipmentId, location: ['Madrid', 'Lyon', 'Basel', 'Milan', 'Graz'][step % 5] };
    case 'out_for_delivery':
      return { shipmentId, eta: '2026-11-04T18:00:00Z' };
    case 'delivery_failed':
      return { shipmentId, reason: 'nobody home', nextAttemptAt: '2026-11-04T09:00:00Z' };
    case 'delivered':
      return { shipmentId, signedBy: 'neighbour' };
    case 'returned':
    case 'cancelled':
      return { shipmentId, reason: 'customer asked' };
    default:
      return { shipmentId };
  }
}

/** `shipments` stories (10 events each), the same for a given seed and run id. */
export function shipmentStories(options: { shipments: number; seed: number; runId: string; timeZone?: string }): ShipmentStory[] {
  const random = seededRandom(options.seed);
  const timeZone = options.timeZone ?? daytimeZone();
  return Array.from({ length: options.shipments }, (_, index) => {
    const shipmentId = `shp-${options.runId}-${index}`;
    const story = STORIES[Math.floor(random() * STORIES.length)] as readonly string[];
    const channels = CHANNEL_CHOICES[Math.floor(random() * CHANNEL_CHOICES.length)] as readonly ('sms' | 'email')[];
    const customer = {
      id: `cus-${options.runId}-${index}`,
      name: 'Sam Doe',
      phone: `+4477009${String(index).padStart(5, '0').slice(-5)}`,
      email: `cus-${index}@example.com`,
      locale: ['en-GB', 'es-ES', 'de-DE', 'fr-FR'][index % 4],
      timeZone,
      channels: [...channels],
    };
    const start = Date.UTC(2026, 10, 1, 8, 0) + index * 1000;
    const events = story.map((status, step) => ({
      specversion: '1.0' as const,
      id: `evt-${options.runId}-${index}-${step}`,
      source: '//warehouse/bench-1',
      type: `shipment.${status}`,
      time: new Date(start + step * 60 * 60_000).toISOString(),
      data: dataFor(status, shipmentId, step, customer),
    }));
    const reached = story.filter((status, step) => (ANNOUNCED as readonly string[]).includes(status) && status !== story[step - 1]);
    return {
      shipmentId,
      events,
      expectedNotifications: reached.flatMap((status) => channels.map((channel) => `${status}/${channel}`)).sort(),
    };
  });
}

export interface PostOutcome {
  status: number;
  results?: { id: string; status: string }[];
  error?: string;
}

/** A signed POST of one event, ready to send. */
export interface PreparedPost {
  body: string;
  headers: Record<string, string>;
}

/**
 * Every story's events as WAREHOUSE's signed requests, built before any is sent (as the floors
 * build their requests before the clock starts). Their timestamps must still be fresh when sent:
 * the ingest accepts five minutes of skew, and a benchmark phase takes seconds.
 */
export function prepareStories(stories: readonly ShipmentStory[], secret = SECRET): PreparedPost[][] {
  return stories.map((story) => story.events.map((event) => signedRequest(event, secret)));
}

/** One POST over `agent`: its status and body. */
function post(agent: Agent, url: URL, request: PreparedPost): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      url,
      { method: 'POST', agent, headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/**
 * Sends prepared stories to WAREHOUSE's events path with `concurrency` shipments in flight, each
 * shipment's events in order, over kept-alive connections (node:http, as the AWS SDK sends the
 * floors' requests: the client's own cost stays small beside the work it asks for).
 */
export async function postPrepared(url: string, stories: readonly PreparedPost[][], concurrency: number) {
  const outcomes: PostOutcome[] = [];
  const latencies: number[] = [];
  const target = new URL(`${url.replace(/\/$/, '')}${eventsPath(WAREHOUSE.id)}`);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, stories.length) }, async () => {
    while (next < stories.length) {
      const story = stories[next++] as PreparedPost[];
      for (const request of story) {
        const started = performance.now();
        try {
          const response = await post(agent, target, request);
          latencies.push(performance.now() - started);
          outcomes.push({
            status: response.status,
            ...(response.status === 202 ? { results: JSON.parse(response.text).results } : { error: response.text }),
          });
        } catch (error) {
          outcomes.push({ status: 0, error: String(error) });
        }
      }
    }
  });
  await Promise.all(workers);
  agent.destroy();
  return { outcomes, latencies };
}

/** Posts the stories as WAREHOUSE, with `concurrency` shipments in flight, each shipment's events in order. */
export function postStories(url: string, stories: readonly ShipmentStory[], concurrency: number, secret = SECRET) {
  return postPrepared(url, prepareStories(stories, secret), concurrency);
}
