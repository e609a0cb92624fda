/**
 * What SES and End User Messaging do after a send: publish the message's events (deliveries,
 * bounces, complaints, SMS receipts) to the SNS topics of its configuration set's event
 * destinations, a few seconds later. Shared by the local SES v2 and End User Messaging endpoints;
 * it knows no project, only AWS's event types and each destination's MatchingEventTypes.
 */

/** One event destination of a configuration set: an SNS topic and the event types it takes. */
export interface EventDestination {
  topicArn: string;
  /** As the configuration set names them (`BOUNCE`, `TEXT_DELIVERED`, `ALL`, …). */
  matchingEventTypes: string[];
  enabled: boolean;
}

export interface ProviderEventsOptions {
  /** The event destinations of a configuration set, by its name (none for an unknown set). */
  destinations: (configurationSetName: string) => EventDestination[];
  /** Publishes a message to a topic (the local SNS). */
  publish: (topicArn: string, message: string) => void;
  /** How long after the send the events are published; AWS takes seconds. */
  delayMs: number;
  /** Told when an event could not be published (a topic that does not exist). */
  onError?: (error: unknown) => void;
}

export class ProviderEvents {
  private readonly options: ProviderEventsOptions;
  private readonly pending = new Set<NodeJS.Timeout>();
  private waiters: (() => void)[] = [];
  private stopped = false;
  /** How many events were published so far: what `settled` compares to know whether more work appeared. */
  published = 0;

  constructor(options: ProviderEventsOptions) {
    this.options = options;
  }

  /**
   * Publishes `events` (each with the configuration-set event type it counts as) to every enabled
   * destination of `configurationSetName` that matches it, after the delay, in order.
   */
  schedule(configurationSetName: string | undefined, events: { type: string; aliases?: string[]; body: unknown }[]): void {
    if (!configurationSetName || events.length === 0 || this.stopped) return;
    const destinations = this.options.destinations(configurationSetName).filter((destination) => destination.enabled);
    if (destinations.length === 0) return;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      for (const { topicArn, message } of routeEvents(destinations, events)) {
        try {
          this.options.publish(topicArn, message);
          this.published += 1;
        } catch (error) {
          this.options.onError?.(error);
        }
      }
      if (this.pending.size === 0) for (const resolve of this.waiters.splice(0)) resolve();
    }, this.options.delayMs);
    timer.unref();
    this.pending.add(timer);
  }

  /** Resolves once every event scheduled so far has been published. */
  idle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

/**
 * Each message a provider publishes for `events`: every event, in order, to every enabled
 * destination whose MatchingEventTypes name its type or one of its aliases.
 */
export function routeEvents(
  destinations: EventDestination[],
  events: { type: string; aliases?: string[]; body: unknown }[],
): { topicArn: string; type: string; message: string }[] {
  return events.flatMap((event) => {
    const names = [event.type, ...(event.aliases ?? [])];
    return destinations
      .filter((destination) => destination.enabled && destination.matchingEventTypes.some((type) => names.includes(type)))
      .map((destination) => ({ topicArn: destination.topicArn, type: event.type, message: JSON.stringify(event.body) }));
  });
}
