/**
 * `--shard i/n`: the i-th of n deterministic slices of the environment list, so that a CI matrix
 * of n runners plans every environment exactly once. Slices are by position in the sorted list
 * (environment k goes to shard k mod n + 1): balanced to within one, and stable for a given list.
 */
import { BddaError } from '../../config/errors';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

/** Parses `i/n` with 1 <= i <= n; a commander option parser. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new BddaError(
      `--shard ${JSON.stringify(text)} is not a shard: give i/n with whole numbers 1 <= i <= n, e.g. --shard 2/4 for the second of four runners ` +
        '(a CI matrix passes its own index and the matrix size). Every environment belongs to exactly one of the n shards.',
    );
  }
  return { index, count };
}

/** The items of one shard, in their original order. Sort the list before, for stable shards. */
export function selectShard<T>(items: readonly T[], shard: Shard): T[] {
  return items.filter((_, k) => k % shard.count === shard.index - 1);
}
