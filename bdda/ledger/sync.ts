/**
 * `npm run sync`: bring a dev environment to the state of main before a branch is tested on it.
 * The ref is checked out in a temporary git worktree, planned there, shown, and applied through
 * the same verified apply as `npm run apply` (which records the deployment with the ref's sha).
 * The worktree is removed whatever happens.
 *
 * In a checkout of this repository the ref's own bdda plans and applies (see sync-runner.ts), so
 * main's stacks and charts are deployed, not the branch's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Environment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { confirm, type ConfirmOptions, requireYesOffTerminal } from '../support/terminal';
import { LAYERS } from '../../config/naming';
import type { Progress } from '../support/progress';
import type { Workspace } from '../support/workspace';
import { readLedger } from './backend';
import { isExpired, readLease } from './claims';
import { SHARED_WITH_WORKTREE, syncRunner } from './sync-runner';
import { Git } from '../support/git';
import { whoAmI } from './who';

export interface SyncOptions extends ConfirmOptions {
  /** The ref to deploy. @default origin/<main branch> when it exists, else <main branch> */
  readonly ref?: string;
  /** Deploy although someone else holds the claim (recorded). */
  readonly force?: boolean;
}

export type SyncOutcome = 'in-sync' | 'applied';

export async function syncEnvironment(ws: Workspace, env: Environment, opts: SyncOptions, progress: Progress): Promise<SyncOutcome> {
  if (env.config.protected) {
    throw new BddaError(
      `${env.path} is protected; sync is for engineer environments. Nothing was changed. Protected environments are deployed from ${env.config.protection.mainBranch} with \`npm run apply -- --env ${env.path}\` after review.`,
    );
  }
  requireYesOffTerminal(opts, `sync of ${env.path}`, 'Nothing was changed.');
  const ref = opts.ref ?? (await defaultRef(ws, env));
  const sha = (await new Git(ws.root).output(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]))?.trim();
  if (!sha) {
    throw new BddaError(
      `sync of ${env.path}: "${ref}" is not a commit, branch or tag in ${ws.root}. Nothing was changed. Run \`git fetch\` if it is a remote branch, or pass another --ref.`,
    );
  }
  await assertNotClaimedByOther(ws, env, opts.force === true);

  const worktree = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-sync-'));
  try {
    if ((await new Git(ws.root).output(['worktree', 'add', '--detach', worktree, sha])) === undefined) {
      throw new BddaError(`git worktree add ${worktree} ${sha} failed in ${ws.root}. Nothing was changed. Run \`git worktree prune\` and try again.`);
    }
    progress.step(env.path, 'SYNC', `${ref} (${sha.slice(0, 12)}) checked out in ${worktree}`);
    const runner = syncRunner(ws, worktree, env.path, ref, progress);
    if (!(await runner.plan())) {
      progress.step(env.path, 'SYNC', `already matches ${ref}; nothing to apply`);
      return 'in-sync';
    }
    // A first deploy leaves the layers after FLAG waiting, and apply plans them for review once
    // their upstream is there. The ref was reviewed already: show each diff and go on.
    for (let round = 0; round < LAYERS.length; round++) {
      console.log(`\n${fs.readFileSync(runner.changesFile, 'utf8')}`);
      if (!opts.yes && !(await confirm(`Type the environment path (${env.path}) to apply ${ref} to it: `, env.path))) {
        throw new BddaError(
          `sync of ${env.path} was not confirmed. ${round === 0 ? 'Nothing was applied.' : 'The layers applied so far stay applied and recorded.'}`,
        );
      }
      if (!(await runner.apply(opts.force === true))) {
        progress.step(env.path, 'SYNC', `now matches ${ref} (${sha.slice(0, 12)})`);
        return 'applied';
      }
    }
    throw new BddaError(
      `sync of ${env.path} applied ${LAYERS.length} times and ${ref} still has layers to review. Run \`npm run sync -- --env ${env.path} --ref ${ref}\` again.`,
    );
  } finally {
    await removeWorktree(ws, worktree);
  }
}

async function defaultRef(ws: Workspace, env: Environment): Promise<string> {
  const branch = env.config.protection.mainBranch;
  const remote = await new Git(ws.root).output(['rev-parse', '--verify', '--quiet', `origin/${branch}^{commit}`]);
  return remote?.trim() ? `origin/${branch}` : branch;
}

async function assertNotClaimedByOther(ws: Workspace, env: Environment, force: boolean): Promise<void> {
  if (!env.config.claims || force) return;
  const read = await readLedger(ws, env, (b) => readLease(b, env.path));
  const lease = 'value' in read ? read.value?.value : undefined;
  if (!lease || isExpired(lease, new Date())) return;
  const who = await whoAmI(ws.root);
  if (lease.who === who) return;
  throw new BddaError(
    `${env.path} is claimed by ${lease.who} (branch ${lease.branch}) until ${lease.until}, and you are ${who}. Nothing was changed. ` +
      `Ask ${lease.who} to release it, pick another environment, or sync with --force if you must (it is recorded).`,
  );
}

async function removeWorktree(ws: Workspace, worktree: string): Promise<void> {
  // The links to this checkout's folders go first, so that no removal can follow them.
  for (const name of SHARED_WITH_WORKTREE) {
    const link = path.join(worktree, name);
    if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(link);
  }
  await new Git(ws.root).output(['worktree', 'remove', '--force', worktree]);
  fs.rmSync(worktree, { recursive: true, force: true });
  await new Git(ws.root).output(['worktree', 'prune']);
}
