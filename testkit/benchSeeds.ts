/**
 * The two seed sets every scene bench reports apart: tuning seeds 1..N (looked at while
 * choosing thresholds) and held-out seeds S..S+N-1. N is --seeds, else 2 with --quick, else 6.
 */
export interface SeedSet {
  label: string;
  seeds: number[];
  set: 'tuning' | 'held-out';
}

export function seedSets(options: { seeds?: string; quick?: boolean; heldOutFrom: string }): SeedSet[] {
  const count = options.seeds !== undefined ? Number(options.seeds) : options.quick ? 2 : 6;
  if (!Number.isInteger(count) || count < 1) throw new Error(`--seeds takes a whole number of seeds per kind, not "${options.seeds}"`);
  const heldOut = Number(options.heldOutFrom);
  if (!Number.isInteger(heldOut) || heldOut <= count)
    throw new Error(`--held-out-from takes a first seed above the tuning seeds, not "${options.heldOutFrom}"`);
  const run = (first: number) => Array.from({ length: count }, (_, i) => first + i);
  return [
    { label: `tuning (seeds 1..${count})`, seeds: run(1), set: 'tuning' },
    { label: `held out (seeds ${heldOut}..${heldOut + count - 1})`, seeds: run(heldOut), set: 'held-out' },
  ];
}
