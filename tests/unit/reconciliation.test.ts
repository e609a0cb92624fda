import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { walletChangeOf } from '../../functions/lib/adapters/stream-images.ts';
import { planStarts, settleSeconds } from '../../functions/lib/app/start-reconciliation.ts';
import type { WalletChange } from '../../functions/lib/domain/changes.ts';
import {
  balanceConfirmedMessages,
  reconciliationClaim,
  reconciliationName,
  reconciliationWindow,
} from '../../functions/lib/domain/reconciliation.ts';

describe('reconciliation windows and execution names', () => {
  it('puts every entry of one delay-long window in the same window, and the next entry in the next', () => {
    const first = reconciliationWindow('2026-11-01T08:00:00.000Z', 90);
    expect(reconciliationWindow('2026-11-01T08:01:29.999Z', 90)).toEqual(first);
    expect(reconciliationWindow('2026-11-01T08:01:30.000Z', 90).startSeconds).toBe(first.startSeconds + 90);
    expect(first).toEqual({
      startSeconds: Date.parse('2026-11-01T08:00:00Z') / 1000,
      start: '2026-11-01T08:00:00.000Z',
      end: '2026-11-01T08:01:30.000Z',
    });
  });

  it('names executions deterministically, within Step Functions’ 80 allowed characters', () => {
    const window = reconciliationWindow('2026-11-01T08:00:00Z', 90);
    const name = reconciliationName('wal 1/€#ünïcode'.repeat(10), window);
    expect(name).toBe(reconciliationName('wal 1/€#ünïcode'.repeat(10), window));
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(reconciliationName('wal-1', window)).toMatch(/^wallet-[0-9a-f]{24}-\d+$/);
    expect(reconciliationName('wal-1', window)).not.toBe(reconciliationName('wal-2', window));
  });

  it('keeps no part of the wallet id in the name: execution names show in the console and the logs', () => {
    const window = reconciliationWindow('2026-11-01T08:00:00Z', 90);
    expect(reconciliationName('+447700900123', window)).not.toMatch(/447|7700|900123/);
    expect(reconciliationName('0044 7700 900123', window)).not.toMatch(/0044|7700|900123/);
  });

  it('claims the messages of a window as the earlier names did, whichever name the execution has', () => {
    const window = reconciliationWindow('2026-11-01T08:00:00Z', 90);
    const claim = reconciliationClaim('wal-1', reconciliationName('wal-1', window));
    expect(claim).toMatch(new RegExp(`^wal-1-[0-9a-f]{8}-${window.startSeconds}$`));
    // An execution started before names became digests was named so, and claims the same messages.
    expect(reconciliationClaim('wal-1', claim)).toBe(claim);
    expect(reconciliationClaim('wal/1', reconciliationName('wal/1', window))).not.toBe(
      reconciliationClaim('wal#1', reconciliationName('wal#1', window)),
    );
    const next = reconciliationWindow('2026-11-01T08:01:30Z', 90);
    expect(reconciliationClaim('wal-1', reconciliationName('wal-1', next))).not.toBe(claim);
  });

  it('rejects a delay that is not a whole number of seconds', () => {
    expect(() => reconciliationWindow(new Date(), 0)).toThrow(RangeError);
    expect(() => reconciliationWindow(new Date(), 1.5)).toThrow(RangeError);
  });
});

const walletRecord = (sequence: string, after: Record<string, unknown> | undefined, before?: Record<string, unknown>): DynamoDBRecord => {
  const image = (values: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(values).map(([key, value]) => [
        key,
        typeof value === 'number' ? { N: String(value) } : typeof value === 'boolean' ? { BOOL: value } : { S: String(value) },
      ]),
    );
  return {
    eventName: before ? 'MODIFY' : 'INSERT',
    dynamodb: {
      SequenceNumber: sequence,
      ...(after ? { NewImage: image(after) as never } : {}),
      ...(before ? { OldImage: image(before) as never } : {}),
    },
  };
};

/** The changes the stream records decode to, as the StartReconciliationFunction handler reads them. */
const changesOf = (records: DynamoDBRecord[]) =>
  records.map(walletChangeOf).filter((change): change is WalletChange => change !== undefined);

describe('settleSeconds', () => {
  it('gives the last entry of a window the full delay too: the wait runs to the window end, then the delay', () => {
    const window = { end: '2026-11-01T08:01:30.000Z' };
    expect(settleSeconds('2026-11-01T08:00:00.000Z', window, 90)).toBe(180);
    expect(settleSeconds('2026-11-01T08:01:29.000Z', window, 90)).toBe(91);
    expect(settleSeconds('2026-11-01T08:01:30.000Z', window, 90)).toBe(90);
  });
});

describe('planStarts', () => {
  const wallet = (version: number, lastEntryAt: string, walletId = 'wal-1') => ({
    PK: `WALLET#${walletId}`,
    SK: 'WALLET',
    walletId,
    version,
    lastEntryAt,
    reconciliationPending: true,
  });

  it('plans one start per wallet and window, covering every record of it', () => {
    const records = [
      walletRecord('1', wallet(1, '2026-11-01T08:00:01Z')),
      ...Array.from({ length: 9 }, (_, index) =>
        walletRecord(String(index + 2), wallet(index + 2, `2026-11-01T08:00:${10 + index}Z`), wallet(index + 1, '2026-11-01T08:00:01Z')),
      ),
      walletRecord('11', wallet(1, '2026-11-01T08:00:05Z', 'wal-2')),
    ];

    const plan = planStarts(changesOf(records), 90);

    expect(plan.map((start) => [start.input.walletId, start.records.length])).toEqual([
      ['wal-1', 10],
      ['wal-2', 1],
    ]);
    expect(plan[0]?.input).toEqual({
      walletId: 'wal-1',
      // The first entry of the window starts the execution; it waits until the window closes, then 90 s.
      delaySeconds: settleSeconds(String(wallet(1, '2026-11-01T08:00:01Z').lastEntryAt), { end: '2026-11-01T08:01:30.000Z' }, 90),
      window: { start: '2026-11-01T08:00:00.000Z', end: '2026-11-01T08:01:30.000Z' },
    });
  });

  it('starts nothing for a wallet change no entry made, or one that is not pending', () => {
    const plan = planStarts(
      changesOf([
        walletRecord('1', wallet(3, '2026-11-01T08:00:01Z'), wallet(3, '2026-11-01T08:00:01Z')),
        walletRecord('2', { ...wallet(4, '2026-11-01T08:00:01Z'), reconciliationPending: false }, wallet(4, '2026-11-01T08:00:01Z')),
        walletRecord('3', undefined, wallet(4, '2026-11-01T08:00:01Z')),
      ]),
      90,
    );
    expect(plan).toEqual([]);
  });
});

describe('balanceConfirmedMessages', () => {
  const confirmed = {
    walletId: 'wal-1',
    owner: 'ams',
    customerId: 'cus-1',
    balance: 1234,
    currency: 'EUR',
    reconciledAt: '2026-11-01T08:01:30.000Z',
  };

  it('builds one message per allowed channel that has a contact, without the contact itself', () => {
    const messages = balanceConfirmedMessages(confirmed, { id: 'cus-1', email: 'ana@example.com', channels: ['sms', 'email'] }, 'exec-1');
    expect(messages).toEqual([
      {
        notificationId: 'wallet#wal-1#exec-1#email',
        eventType: 'wallet.balance_confirmed',
        channel: 'email',
        locale: 'en',
        customerId: 'cus-1',
        owner: 'ams',
        wallet: { walletId: 'wal-1', balance: 1234, currency: 'EUR', reconciledAt: '2026-11-01T08:01:30.000Z' },
        occurredAt: '2026-11-01T08:01:30.000Z',
      },
    ]);
  });

  it('never carries the phone or the address, whatever channels the customer has', () => {
    const customer = { id: 'cus-1', name: 'Ana', phone: '+34600111222', email: 'ana@example.com', locale: 'es-ES' };
    const messages = balanceConfirmedMessages(confirmed, customer, 'exec-1');
    expect(messages.map((message) => message.channel)).toEqual(['sms', 'email']);
    for (const message of messages) expect(message).not.toHaveProperty('recipient');
    expect(JSON.stringify(messages)).not.toMatch(/\+34600111222|ana@example\.com/);
  });

  it('addresses nobody without a profile', () => {
    expect(balanceConfirmedMessages(confirmed, undefined, 'exec-1')).toEqual([]);
  });
});
