import { describe, expect, it } from 'vitest';
import { generateTraffic } from '../../local/simulator/traffic.ts';

const options = {
  seed: 11,
  shipments: 30,
  wallets: 4,
  end: new Date('2026-11-27T20:00:00Z'),
  duplicateRate: 0.2,
  outOfOrderRate: 0.2,
  invalidRate: 0.05,
};

describe('generated warehouse traffic', () => {
  it('is the same for the same seed and different for another', () => {
    expect(generateTraffic(options)).toEqual(generateTraffic(options));
    expect(generateTraffic({ ...options, seed: 12 }).deliveries).not.toEqual(generateTraffic(options).deliveries);
  });

  it('contains duplicates, out-of-order arrivals, invalid events, failed deliveries and wallet movements', () => {
    const traffic = generateTraffic(options);
    const kinds = new Set(traffic.deliveries.map((delivery) => delivery.kind));
    expect([...kinds].sort()).toEqual(['duplicate', 'invalid', 'new', 'out-of-order']);
    const types = new Set(traffic.deliveries.map((delivery) => delivery.event.type));
    for (const type of ['shipment.created', 'shipment.delivered', 'shipment.delivery_failed', 'wallet.debited'])
      expect(types).toContain(type);
  });

  it('leaves some shipments at shipped to stall, revises some dates, and uses the newer milestones', () => {
    const traffic = generateTraffic({ ...options, shipments: 200 });
    const events = traffic.deliveries.filter((delivery) => delivery.kind === 'new').map((delivery) => delivery.event);
    expect(Object.values(traffic.expected.shipments).filter((shipment) => shipment.status === 'shipped').length).toBeGreaterThan(0);
    const revised = events.filter((event) => event.type === 'shipment.in_transit' && 'estimatedDelivery' in (event.data as object));
    expect(revised.length).toBeGreaterThan(0);
    const types = new Set(events.map((event) => event.type));
    expect(types).toContain('shipment.attempted_delivery');
    const handovers = new Set(events.map((event) => (event.data as { deliveredTo?: string }).deliveredTo).filter(Boolean));
    expect([...handovers].sort()).toEqual(['neighbour', 'safe_place']);
  });

  it('expects one acceptance per distinct valid event and one duplicate per resend', () => {
    const traffic = generateTraffic(options);
    const valid = traffic.deliveries.filter((delivery) => delivery.kind !== 'invalid');
    const distinct = new Set(valid.map((delivery) => `${delivery.event.source} ${delivery.event.id}`));
    expect(traffic.expected.accepted).toBe(distinct.size);
    expect(traffic.expected.duplicates).toBe(valid.length - distinct.size);
    expect(traffic.expected.rejected).toEqual({ 400: traffic.deliveries.length - valid.length });
  });

  it('has every event happen before the end of the day', () => {
    for (const { event } of generateTraffic(options).deliveries) expect(Date.parse(event.time)).toBeLessThan(options.end.getTime());
  });
});
