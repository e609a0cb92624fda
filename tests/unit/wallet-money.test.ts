import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MONEY_MINOR_UNITS } from '../../functions/lib/domain/cloud-events.ts';
import { balanceRangeBefore, MAX_WALLET_BALANCE_MINOR_UNITS, sumLedger } from '../../functions/lib/domain/wallet.ts';

// Money limits (docs/wallet-reconciliation.md): no sum a ledger can reach is rounded or passes Number.MAX_SAFE_INTEGER.

const entries = (...deltas: number[]) => deltas.map((delta) => ({ delta }));

describe('the ledger sum', () => {
  it('is exact in any order, even when a partial sum passes 2^53', () => {
    // Key order puts 9008 of the largest odd credits first: a float sum rounds past 2^53 and never recovers.
    const credits = Array.from({ length: 9008 }, () => MAX_MONEY_MINOR_UNITS - 1);
    const ledger = entries(...credits, 1, ...credits.map((credit) => -credit));
    expect(sumLedger(ledger)).toBe(1);
  });

  it('refuses to return a total that a JavaScript number cannot hold exactly', () => {
    expect(() => sumLedger(entries(Number.MAX_SAFE_INTEGER, 1))).toThrow(RangeError);
    expect(() => sumLedger(entries(-Number.MAX_SAFE_INTEGER, -1))).toThrow(RangeError);
    expect(sumLedger(entries(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('equals the exact sum for any ledger of accepted entries', () => {
    const delta = fc.integer({ min: 1, max: MAX_MONEY_MINOR_UNITS }).chain((value) => fc.constantFrom(value, -value));
    fc.assert(
      fc.property(fc.array(delta, { maxLength: 200 }), (deltas) => {
        const exact = deltas.reduce((sum, value) => sum + BigInt(value), 0n);
        expect(BigInt(sumLedger(entries(...deltas)))).toBe(exact);
      }),
    );
  });
});

describe('the balance bound', () => {
  it('leaves a balance plus any one entry exact', () => {
    expect(MAX_WALLET_BALANCE_MINOR_UNITS + MAX_MONEY_MINOR_UNITS).toBeLessThan(Number.MAX_SAFE_INTEGER);
  });

  it('gives the range a balance must be in before an entry so it stays within the bound after', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_MONEY_MINOR_UNITS }).chain((value) => fc.constantFrom(value, -value)),
        fc.integer({ min: -MAX_WALLET_BALANCE_MINOR_UNITS, max: MAX_WALLET_BALANCE_MINOR_UNITS }),
        (delta, balance) => {
          const { min, max } = balanceRangeBefore(delta);
          const allowed = balance >= min && balance <= max;
          expect(allowed).toBe(Math.abs(balance + delta) <= MAX_WALLET_BALANCE_MINOR_UNITS);
        },
      ),
    );
    expect(balanceRangeBefore(MAX_MONEY_MINOR_UNITS)).toEqual({
      min: -MAX_WALLET_BALANCE_MINOR_UNITS,
      max: MAX_WALLET_BALANCE_MINOR_UNITS - MAX_MONEY_MINOR_UNITS,
    });
  });
});
