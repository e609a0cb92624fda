import { describe, expect, it } from 'vitest';
import { measureWarmCpu } from '../../bench/warm-cpu.ts';

// `npm run bench` is not part of `npm test`, so nothing else notices when a handler gains a setting
// or an AWS call its warm-CPU harness does not provide: the next bench fails after its cold-start
// phase. One small round keeps the harness honest (figures are the bench's business, not this test's).
describe('the benchmark warm-CPU harness', () => {
  it('runs both handlers with the template environment and sees the writes and publishes the design makes', async () => {
    const [ingest, route] = await measureWarmCpu({ rounds: 1, eventsPerRound: 50 });
    expect(ingest?.cpuUs).toHaveLength(1);
    // Per event: the event item and the state item, one put each.
    expect(ingest?.requestsPerEvent.PutCommand).toBeCloseTo(2, 5);
    // Per record moving to out_for_delivery: an SMS and an email on NotificationsTopic.
    expect(route?.requestsPerEvent['SNS messages (PublishBatch entries)']).toBeCloseTo(2, 5);
  }, 120_000);
});
