/**
 * Whether a person can confirm at a terminal, and the one rule for when none can: a command that
 * would ask for confirmation is refused off a terminal (CI, a pipe) unless it was given `--yes`.
 */
import * as readline from 'node:readline/promises';
import { BddaError } from '../../config/errors';

/** How a command that may ask for confirmation was started. */
export interface ConfirmOptions {
  /** `--yes`: no confirmation is asked. @default false */
  readonly yes?: boolean;
  /** Whether stdin is a terminal. @default process.stdin.isTTY */
  readonly interactive?: boolean;
}

/** Whether a confirmation can be asked: stdin is a terminal. */
export function isInteractive(opts: ConfirmOptions): boolean {
  return opts.interactive ?? Boolean(process.stdin.isTTY);
}

/**
 * Refuses, off a terminal and without `--yes`, the run of `what` (e.g. `destroy of dev/dev2`);
 * `nothingDone` says what was left untouched, e.g. `Nothing was destroyed.`
 */
export function requireYesOffTerminal(opts: ConfirmOptions, what: string, nothingDone: string): void {
  if (opts.yes || isInteractive(opts)) return;
  throw new BddaError(`${what} needs --yes when stdin is not a terminal (as in CI). ${nothingDone}`);
}

/** Asks on the terminal; true when the answer is exactly `expected`. */
export async function confirm(question: string, expected: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question(question)).trim() === expected;
  } finally {
    rl.close();
  }
}
