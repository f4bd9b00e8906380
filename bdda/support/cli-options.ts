/** Parsers for option values, so that a bad value is refused by commander naming the flag. */
import { InvalidArgumentError } from 'commander';

/** A whole number of at least 1, written as digits: `0`, `-1`, `1.5` and `abc` are refused. */
export function parsePositiveInteger(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1, e.g. 2.');
  return n;
}
