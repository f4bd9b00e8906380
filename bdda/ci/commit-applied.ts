/**
 * `npm run ci -- commit-applied --env <name>`: after a CI apply, commit the removal of the
 * environment's diff files (apply removes each layer's section as it deploys it) and of the
 * imports it applied (`imports.json`) to the branch,
 * so that the repository says "deployed" as the infrastructure does.
 */
import * as path from 'node:path';
import { CHANGES_JSON, CHANGES_TXT } from '../diff/changes';
import { loadEnvironment } from '../../config/load';
import { BddaError } from '../../config/errors';
import type { Progress } from '../support/progress';
import type { Workspace } from '../support/workspace';
import { loadCiConfig } from './ci-config';
import { buildRef } from './ci-vars';
import { DIFF_FILE } from './build';
import { IMPORTS_FILE } from '../state/adoptions';
import { checkoutOf } from '../support/git';
import { pushWithRetries } from './push';

export interface CommitAppliedOptions {
  readonly env: string;
  readonly botName?: string;
  readonly botEmail?: string;
  /** @default origin */
  readonly remote?: string;
  readonly vars?: Readonly<Record<string, string | undefined>>;
}

export async function commitApplied(ws: Workspace, opts: CommitAppliedOptions, progress: Progress): Promise<'pushed' | 'no-change'> {
  const config = loadCiConfig(ws.root);
  const bot = { name: opts.botName ?? config.bot.name, email: opts.botEmail ?? config.bot.email };
  const env = loadEnvironment(ws.root, opts.env);
  const { git, gitPath } = checkoutOf(ws.root);
  const ref = buildRef(git, opts.vars ?? process.env);
  const files = [CHANGES_TXT, CHANGES_JSON, IMPORTS_FILE].map((f) => gitPath(path.join(env.dir, f)));
  const dirty = git.status().filter((e) => !DIFF_FILE.test(e.path) && !files.includes(e.path));
  if (dirty.length > 0) {
    throw new BddaError(
      `The working tree of ${git.cwd} has changes other than diff files (${dirty.map((e) => e.path).join(', ')}); commit-applied commits only ${env.path}'s diff files. Nothing was committed.`,
    );
  }
  const changed = git.status(files).map((e) => e.path);
  if (changed.length === 0) {
    progress.step(env.path, 'CI', 'the diff files are as committed; nothing to commit');
    return 'no-change';
  }
  git.commit(changed, `bdda: deployed ${env.path} at ${ref.commit.slice(0, 7)} [skip ci]`, bot);
  // What was deployed stays deployed whatever came after: every newer commit is rebased under this one.
  const pushed = pushWithRetries(git, {
    remote: opts.remote ?? 'origin',
    branch: ref.branch,
    start: ref.commit,
    bot,
    attempts: config.pushAttempts,
    makesStale: () => false,
    nextStep:
      `The branch keeps its newer diff files of ${env.path}, and this checkout keeps their removal uncommitted; ` +
      `pull the branch, plan ${env.path} again (its diff after this apply), and commit that instead.`,
    say: (m) => progress.step(env.path, 'CI', m),
  });
  progress.step(env.path, 'CI', `pushed ${pushed?.slice(0, 7)}: the deployed diff of ${env.path} left ${ref.branch}`);
  return 'pushed';
}
