/** Small, dependency-free statistics for the benchmarks: every figure is a median over repeated runs. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Median of the ratios of runs taken side by side: noise that hits both runs of a pair cancels out. */
export function pairedRatio(measured: readonly number[], floor: readonly number[]): number {
  return median(measured.map((value, index) => value / (floor[index] as number)));
}

export const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
export const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');

/** The simulator's seeded generator (mulberry32), so generated workloads are the same on every run. */

/** Runs `work` over `items` with at most `concurrency` in flight; bounded by the item count. */
export async function pool<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(workers);
  return results;
}
