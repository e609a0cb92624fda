import { describe, expect, it } from 'vitest';
import { parseEvents } from '../../functions/lib/domain/cloud-events.ts';
import { simulatedWarehouses, warehouseTraffic } from '../../local/simulator/registry.ts';
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

  it('ships some orders as two or three parcels of one customer, out for delivery and delivered minutes apart', () => {
    const traffic = generateTraffic({ ...options, shipments: 200 });
    const events = traffic.deliveries
      .filter((delivery) => delivery.kind === 'new' || delivery.kind === 'out-of-order')
      .map((delivery) => delivery.event);
    expect(parseEvents(events).events).toHaveLength(events.length);
    const created = events.filter((event) => event.type === 'shipment.created').map((event) => event.data);
    const orders = new Map<string, Record<string, unknown>[]>();
    for (const data of created) orders.set(String(data.orderId), [...(orders.get(String(data.orderId)) ?? []), data]);
    const split = [...orders.values()].filter((parcels) => parcels.length > 1);
    expect(split.length).toBeGreaterThan(5);
    expect(split.length).toBeLessThan(created.length / 4);
    expect(new Set(split.map((parcels) => parcels.length))).toEqual(new Set([2, 3]));
    for (const parcels of split) {
      const ids = parcels.map((data) => String(data.shipmentId));
      // One customer, parcels of their own, and when the count is said, the right one.
      expect(new Set(parcels.map((data) => JSON.stringify(data.customer))).size).toBe(1);
      expect(new Set(parcels.map((data) => data.trackingNumber)).size).toBe(parcels.length);
      for (const data of parcels) expect([undefined, parcels.length]).toContain(data.parcelCount);
      for (const status of ['out_for_delivery', 'delivered']) {
        const times = events
          .filter((event) => event.type === `shipment.${status}` && ids.includes(String(event.data.shipmentId)))
          .map((event) => Date.parse(event.time));
        expect(times).toHaveLength(parcels.length);
        expect(Math.max(...times) - Math.min(...times)).toBeLessThanOrEqual(4 * 60_000);
      }
      for (const id of ids) expect(traffic.expected.shipments[id]?.status).toBe('delivered');
    }
    expect(split.some((parcels) => parcels[0]?.parcelCount !== undefined)).toBe(true);
    expect(split.some((parcels) => parcels[0]?.parcelCount === undefined)).toBe(true);
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

describe('several warehouses, one of them hostile', () => {
  const registry = [
    {
      id: 'ams-1',
      sources: ['//warehouse/ams-1'],
      secrets: [{ secret: 'whsec_old', notAfter: '2026-01-01T00:00:00Z' }, 'whsec_ams'],
      scopes: ['shipments', 'wallets'],
    },
    {
      id: 'rtm-1',
      sources: ['//warehouse/rtm-1/*'],
      secrets: ['whsec_rtm', { secret: 'whsec_rtm_next', notAfter: '2027-01-01T00:00:00Z' }],
      scopes: ['shipments'],
    },
    { id: 'ledger-only', sources: ['urn:ledger'], secrets: ['whsec_l'], scopes: ['wallets'] },
    { id: 'revoked', sources: ['urn:revoked'], secrets: [], scopes: ['shipments'] },
    { id: 'rtm-9', sources: ['//warehouse/rtm-9'], secrets: ['whsec_hostile'], scopes: ['shipments', 'wallets'] },
  ];
  const now = new Date('2026-11-27T20:00:00Z');

  it('plays each warehouse that can post shipments, with its newest active key and a source it owns', () => {
    expect(simulatedWarehouses(registry, now)).toEqual([
      { id: 'ams-1', secret: 'whsec_ams', source: '//warehouse/ams-1', wallets: true },
      { id: 'rtm-1', secret: 'whsec_rtm_next', source: '//warehouse/rtm-1/sim', wallets: false },
      { id: 'rtm-9', secret: 'whsec_hostile', source: '//warehouse/rtm-9', wallets: true },
    ]);
  });

  it('gives each honest warehouse its own traffic, posted to its own path, and the hostile one only attacks', () => {
    const [ams, rtm, hostile] = simulatedWarehouses(registry, now);
    const { traffic, attacks } = warehouseTraffic([ams!, rtm!], hostile, { ...options, shipments: 3, wallets: 1 });

    const posters = new Set(traffic.deliveries.map((delivery) => `${delivery.warehouse} ${delivery.event.source}`));
    expect(posters).toEqual(new Set(['ams-1 //warehouse/ams-1', 'rtm-1 //warehouse/rtm-1/sim']));
    expect(Object.keys(traffic.expected.shipments)).toHaveLength(6);
    expect(Object.keys(traffic.expected.wallets)).toHaveLength(1);
    expect(traffic.deliveries.some((delivery) => delivery.event.source === '//warehouse/rtm-9')).toBe(false);
    expect(attacks.every((attack) => attack.path === 'rtm-9' || attack.expect === 401)).toBe(true);
  });

  it("aims issue 12's attacks at each other warehouse's first shipment and wallet, each with the status that refuses it", () => {
    const [ams, , hostile] = simulatedWarehouses(registry, now);
    const { traffic, attacks } = warehouseTraffic([ams!], hostile, { ...options, shipments: 2, wallets: 1 });
    const shipmentId = Object.keys(traffic.expected.shipments)[0];
    const walletId = Object.keys(traffic.expected.wallets)[0];
    const bodies = attacks.map((attack) => [attack.body].flat());

    expect(attacks.map((attack) => [attack.expect, attack.ownership])).toEqual([
      [403, false],
      [401, false],
      [400, false],
      [403, false],
      [403, false],
      [403, true],
      [403, true],
      [403, false],
      [403, true],
      [401, false],
    ]);
    expect(
      bodies
        .slice(0, 9)
        .every((events) => events.every((event) => event.data.shipmentId === shipmentId || event.data.walletId === walletId)),
    ).toBe(true);
    expect(bodies[4]).toHaveLength(100);
    expect(bodies[2]?.[0]?.time).toBe('9999-12-31T23:59:59Z');
    expect(
      attacks
        .filter((attack) => !attack.ownership && attack.expect === 403)
        .every((attack) => [attack.body].flat()[0]?.source === '//warehouse/ams-1'),
    ).toBe(true);
  });
});
