/**
 * The guards of a protected environment: off a terminal, `--yes`; a clean git working tree; HEAD
 * on the main branch. Each can be relaxed by the environment's `protection` config.
 */
import { execFileSync } from 'node:child_process';
import * as readline from 'node:readline/promises';
import type { Environment } from '../../config/load';
import { BddaError } from '../../config/errors';
import type { Workspace } from '../support/workspace';

export interface GuardOptions {
  /** `--yes`: no confirmation prompt. */
  readonly yes?: boolean;
  /** Whether stdin is a terminal. @default process.stdin.isTTY */
  readonly interactive?: boolean;
}

export async function assertGuards(ws: Workspace, env: Environment, operation: 'apply' | 'destroy', opts: GuardOptions): Promise<void> {
  if (!env.config.protected) return;
  const { protection } = env.config;
  const interactive = opts.interactive ?? Boolean(process.stdin.isTTY);
  const file = env.files[env.files.length - 1];
  if (operation === 'destroy' && !protection.allowDestroy) {
    throw new BddaError(
      `${env.path} is protected and its config does not allow destroy (protection.allowDestroy in ${file} or a parent). Nothing was destroyed.`,
    );
  }
  if (!interactive && !opts.yes) {
    throw new BddaError(`${env.path} is protected: run ${operation} with --yes when stdin is not a terminal (as in CI), after the diff has been reviewed.`);
  }
  if (protection.requireCleanTree) {
    const dirty = git(ws, ['status', '--porcelain']).trim();
    if (dirty) {
      throw new BddaError(
        `${env.path} is protected and the git working tree is not clean:\n${dirty}\nCommit or stash these changes so that what is applied is what is in git, or set protection.requireCleanTree: false.`,
      );
    }
  }
  if (protection.requireMainBranch) {
    const branch = git(ws, ['rev-parse', '--abbrev-ref', 'HEAD']).trim();
    if (branch !== protection.mainBranch) {
      throw new BddaError(
        `${env.path} is protected: ${operation} runs from ${protection.mainBranch}, but HEAD is on "${branch}". Merge the change and run it from ${protection.mainBranch}.`,
      );
    }
  }
  // Last, once every other guard has passed: a person at a terminal confirms by name.
  if (interactive && !opts.yes && operation === 'apply' && !(await confirm(`${env.path} is protected. Type its path to apply: `, env.path))) {
    throw new BddaError(`apply to ${env.path} was not confirmed. Nothing was applied.`);
  }
}

function git(ws: Workspace, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ws.root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new BddaError(
      `git ${args.join(' ')} failed in ${ws.root} (${(err as Error).message.split('\n')[0]}); a protected environment is applied from a git checkout.`,
    );
  }
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
