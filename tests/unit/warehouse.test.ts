import { describe, expect, it } from 'vitest';
import { RequestRateLimiter } from '../../functions/lib/domain/request-rate.ts';
import {
  activeKeys,
  assembleRegistry,
  capDay,
  hasScope,
  matchRule,
  ownsSource,
  parseRegistration,
  type Registration,
  rulesOverlap,
  secondsUntilNextDay,
  sharesWallet,
  type WarehouseLimits,
} from '../../functions/lib/domain/warehouse.ts';
import { OTHER_SECRET, TEST_SECRET } from '../support/events.ts';

// The warehouse registry's rules, pure: what an entry must hold, what a warehouse may post, how fast.
const DEFAULTS: WarehouseLimits = { requestsPerSecond: 50, burst: 200, notificationsPerDay: 10_000 };

function registration(entry: Record<string, unknown>): Registration {
  const parsed = parseRegistration(
    { id: 'ams-1', sources: ['//warehouse/ams-1'], secrets: [TEST_SECRET], scopes: ['shipments'], ...entry },
    DEFAULTS,
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.registration;
}

function problems(entry: unknown) {
  const parsed = parseRegistration(entry, DEFAULTS);
  return parsed.ok ? [] : parsed.problems;
}

describe('a registry entry', () => {
  it('parses into a warehouse with the default limits it does not set, and its keys', () => {
    const parsed = registration({
      secrets: [OTHER_SECRET, { secret: TEST_SECRET, notAfter: '2026-12-10T00:00:00Z' }],
      scopes: ['shipments', 'wallets', 'shipments'],
      sharedWallets: ['wal-shared-*'],
      limits: { notificationsPerDay: 500 },
    });

    expect(parsed).toEqual({
      warehouse: {
        id: 'ams-1',
        sources: [{ exact: '//warehouse/ams-1' }],
        scopes: ['shipments', 'wallets'],
        sharedWallets: [{ prefix: 'wal-shared-' }],
        limits: { requestsPerSecond: 50, burst: 200, notificationsPerDay: 500 },
      },
      keys: [{ secret: OTHER_SECRET }, { secret: TEST_SECRET, notAfter: new Date('2026-12-10T00:00:00Z') }],
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an id with capitals', { id: 'AMS-1' }, 'id'],
    ['an id with a slash', { id: 'ams/1' }, 'id'],
    ['no source', { sources: [] }, 'sources'],
    ['a source with white space', { sources: ['//warehouse/ams 1'] }, 'sources.0'],
    ['no scope', { scopes: [] }, 'scopes'],
    ['an unknown scope', { scopes: ['refunds'] }, 'scopes.0'],
    ['a secret without its prefix', { secrets: ['dGVzdC1zZWNyZXQtZm9yLXBhcmNlbGNhc3QtdGVzdHM='] }, 'secrets.0'],
    ['a secret of too few bytes', { secrets: ['whsec_c2hvcnQ='] }, 'secrets.0'],
    ['a rotation end that is not a time', { secrets: [{ secret: TEST_SECRET, notAfter: 'tomorrow' }] }, 'secrets.0.notAfter'],
    ['an unknown field (a typo must not be ignored)', { limit: { burst: 1 } }, '(entry)'],
    ['a limit of zero requests', { limits: { requestsPerSecond: 0 } }, 'limits.requestsPerSecond'],
    ['a fractional burst', { limits: { burst: 1.5 } }, 'limits.burst'],
  ])('is refused with %s, at the field, without quoting any value', (_, change, path) => {
    const found = problems({ id: 'ams-1', sources: ['//warehouse/ams-1'], secrets: [TEST_SECRET], scopes: ['shipments'], ...change });

    expect(found.map((problem) => problem.path)).toContain(path);
    expect(JSON.stringify(found)).not.toMatch(/dGVzdC1zZWNyZXQ|c2hvcnQ/);
  });

  it('is refused whole when it is not an object', () => {
    expect(problems('not json')).toEqual([{ path: '(entry)', message: expect.any(String) }]);
  });
});

describe('what a warehouse may post', () => {
  const warehouse = registration({
    sources: ['//warehouse/ams-1', '//warehouse/ams-1/docks/*'],
    sharedWallets: ['wal-group-*', 'wal-77'],
  }).warehouse;

  it.each([
    ['//warehouse/ams-1', true],
    ['//warehouse/ams-1/docks/3', true],
    ['//warehouse/ams-1/docks/', true],
    ['//warehouse/ams-10', false],
    ['//warehouse/ams-1/', false],
    ['//warehouse/ams-2', false],
    ['', false],
  ])('owns source %j: %s', (source, owned) => {
    expect(ownsSource(warehouse, source)).toBe(owned);
  });

  it('owns every source with the lone "*" rule of the development warehouse', () => {
    const local = registration({ id: 'local', sources: ['*'] }).warehouse;
    expect(['//warehouse/ams-1', 'urn:anything', 'x'].every((source) => ownsSource(local, source))).toBe(true);
  });

  it('has only the scopes it was given', () => {
    expect([hasScope(warehouse, 'shipments'), hasScope(warehouse, 'wallets')]).toEqual([true, false]);
  });

  it.each([
    ['wal-group-9', true],
    ['wal-77', true],
    ['wal-770', false],
    ['wal-1', false],
  ])('shares wallet %s: %s', (walletId, shared) => {
    expect(sharesWallet(warehouse, walletId)).toBe(shared);
  });
});

describe('signing keys', () => {
  it('verify until their rotation ends, and for ever without one', () => {
    const rotating = registration({ secrets: [{ secret: OTHER_SECRET, notAfter: '2026-12-10T00:00:00Z' }, TEST_SECRET] });

    expect(activeKeys(rotating, new Date('2026-12-09T23:59:59Z')).map((key) => key.secret)).toEqual([OTHER_SECRET, TEST_SECRET]);
    expect(activeKeys(rotating, new Date('2026-12-10T00:00:00Z')).map((key) => key.secret)).toEqual([TEST_SECRET]);
  });
});

describe('the registry as a whole', () => {
  it.each([
    ['//warehouse/ams-1', '//warehouse/ams-1', true],
    ['//warehouse/ams-1', '//warehouse/ams-2', false],
    ['//warehouse/*', '//warehouse/ams-2', true],
    ['//warehouse/ams-1/*', '//warehouse/ams-1', false],
    ['//warehouse/ams-1/*', '//warehouse/*', true],
    ['*', 'urn:x', true],
  ])('finds that %s and %s overlap: %s', (a, b, overlap) => {
    expect([rulesOverlap(matchRule(a), matchRule(b)), rulesOverlap(matchRule(b), matchRule(a))]).toEqual([overlap, overlap]);
  });

  it('refuses both warehouses whose sources overlap, and keeps the others', () => {
    const ams1 = registration({ id: 'ams-1', sources: ['//warehouse/ams-1'] });
    const greedy = registration({ id: 'greedy', sources: ['//warehouse/*'] });
    const rtm1 = registration({ id: 'rtm-1', sources: ['urn:rtm-1'] });

    const { registry, refused } = assembleRegistry([ams1, greedy, rtm1]);

    expect([...registry.keys()]).toEqual(['rtm-1']);
    expect(refused).toEqual([
      { id: 'ams-1', reason: 'its source //warehouse/ams-1 overlaps //warehouse/* of greedy' },
      { id: 'greedy', reason: 'its source //warehouse/* overlaps //warehouse/ams-1 of ams-1' },
    ]);
  });
});

describe('the daily notification cap', () => {
  it('counts in UTC days and says how long until the next one', () => {
    expect(capDay(new Date('2026-11-28T23:59:59.500Z'))).toBe('2026-11-28');
    expect(secondsUntilNextDay(new Date('2026-11-28T23:59:59.500Z'))).toBe(1);
    expect(secondsUntilNextDay(new Date('2026-11-28T00:00:00Z'))).toBe(86_400);
  });
});

describe('the request rate, per warehouse', () => {
  const limits = { requestsPerSecond: 10, burst: 3 };

  it('admits a burst, then refuses with the seconds until a token is back, then refills', () => {
    const rate = new RequestRateLimiter();
    const at = (ms: number) => rate.admit('ams-1', limits, 1_000_000 + ms);

    expect([at(0), at(0), at(0)].every((admission) => admission.admitted)).toBe(true);
    expect(at(0)).toEqual({ admitted: false, retryAfterSeconds: 1 });
    expect(at(99).admitted).toBe(false);
    expect(at(100).admitted).toBe(true);
    expect(at(5_000).admitted).toBe(true);
  });

  it('keeps each warehouse in its own bucket', () => {
    const rate = new RequestRateLimiter();
    for (let i = 0; i < 3; i++) rate.admit('busy', limits, 0);

    expect(rate.admit('busy', limits, 0).admitted).toBe(false);
    expect(rate.admit('quiet', limits, 0).admitted).toBe(true);
  });

  it('rounds a long wait up to whole seconds', () => {
    const rate = new RequestRateLimiter();
    const slow = { requestsPerSecond: 0.25, burst: 1 };
    rate.admit('slow', slow, 0);

    expect(rate.admit('slow', slow, 0)).toEqual({ admitted: false, retryAfterSeconds: 4 });
  });

  it('refills nothing when the clock steps back', () => {
    const rate = new RequestRateLimiter();
    for (let i = 0; i < 3; i++) rate.admit('ams-1', limits, 10_000);

    expect(rate.admit('ams-1', limits, 0).admitted).toBe(false);
  });
});
