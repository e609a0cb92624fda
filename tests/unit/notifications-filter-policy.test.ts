import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../emulator/services/event-patterns.ts';
import type { MessageAttribute } from '../../emulator/services/protocol.ts';
import { filterableAttributes, subscriptionAccepts } from '../../emulator/services/sns.ts';

// SNS subscription filter policies, as the emulator's SNS evaluates them with matchesPattern.
// The message and policies are the examples of the SNS developer guide
// (https://docs.aws.amazon.com/sns/latest/dg/example-filter-policies.html).
const attributes: Record<string, MessageAttribute> = {
  customer_interests: { DataType: 'String.Array', StringValue: '["soccer", "rugby", "hockey"]' },
  store: { DataType: 'String', StringValue: 'example_corp' },
  event: { DataType: 'String', StringValue: 'order_placed' },
  price_usd: { DataType: 'Number', StringValue: '210.75' },
};
const accepts = (policy: Record<string, unknown>) =>
  subscriptionAccepts({ filterPolicy: policy, scope: 'MessageAttributes' }, '{}', attributes);

describe('SNS filter policy semantics (examples from the SNS documentation)', () => {
  it('turns message attributes into values: strings, numbers, string arrays', () => {
    expect(filterableAttributes(attributes)).toEqual({
      customer_interests: ['soccer', 'rugby', 'hockey'],
      store: 'example_corp',
      event: 'order_placed',
      price_usd: 210.75,
    });
  });

  it('matches an exact string value and rejects another', () => {
    expect(accepts({ store: ['example_corp'] })).toBe(true);
    expect(accepts({ store: ['other_corp'] })).toBe(false);
  });

  it('ORs the values within one array and matches an array attribute when any element does', () => {
    expect(accepts({ customer_interests: ['rugby', 'football', 'baseball'] })).toBe(true);
    expect(accepts({ customer_interests: ['tennis', 'golf'] })).toBe(false);
  });

  it('ANDs the keys: every key must match', () => {
    expect(accepts({ store: ['example_corp'], event: ['order_placed'] })).toBe(true);
    expect(accepts({ store: ['example_corp'], event: ['order_cancelled'] })).toBe(false);
  });

  it('supports anything-but with a value and with a list', () => {
    expect(accepts({ event: [{ 'anything-but': 'order_cancelled' }] })).toBe(true);
    expect(accepts({ store: [{ 'anything-but': ['example_corp', 'other_corp'] }] })).toBe(false);
  });

  it('supports prefix matching', () => {
    expect(accepts({ event: [{ prefix: 'order_' }] })).toBe(true);
    expect(accepts({ event: [{ prefix: 'refund' }] })).toBe(false);
  });

  it('supports numeric comparisons and ranges', () => {
    expect(accepts({ price_usd: [{ numeric: ['>', 100] }] })).toBe(true);
    expect(accepts({ price_usd: [{ numeric: ['>=', 0, '<', 100] }] })).toBe(false);
    expect(accepts({ price_usd: [{ numeric: ['=', 210.75] }] })).toBe(true);
  });

  it('supports exists true and false', () => {
    expect(accepts({ store: [{ exists: true }] })).toBe(true);
    expect(accepts({ encrypted: [{ exists: false }] })).toBe(true);
    expect(accepts({ encrypted: [{ exists: true }] })).toBe(false);
  });

  it('supports $or across keys', () => {
    expect(accepts({ $or: [{ store: ['nope'] }, { event: ['order_placed'] }] })).toBe(true);
    expect(matchesPattern({ $or: [{ store: ['nope'] }, { event: ['nope'] }] }, filterableAttributes(attributes))).toBe(false);
  });

  it('evaluates a MessageBody-scoped policy against the JSON body', () => {
    const policy = { filterPolicy: { channel: ['sms'] }, scope: 'MessageBody' as const };
    expect(subscriptionAccepts(policy, '{"channel":"sms"}', {})).toBe(true);
    expect(subscriptionAccepts(policy, '{"channel":"email"}', {})).toBe(false);
  });
});
