/**
 * `npm run ci -- build`: the build server's Build-Diff. Plan the branch's environments and commit
 * the diff files back to the branch as the bot, so that the reviewer reads the diff in the
 * branch's history and apply later deploys exactly that.
 *
 * What must never happen: a bot commit that triggers a build that commits again (a bot HEAD is
 * skipped); a diff that describes an older commit than the branch's (when a person pushed a
 * change that the plan reads, the build pushes nothing: the newer build will); a commit of
 * anything but the diff files (a dirty tree is refused before planning).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import pLimit from 'p-limit';
import { CHANGES_JSON, CHANGES_TXT, readChanges } from '../diff/changes';
import { type EnvironmentRef, ENVIRONMENTS_DIR, listEnvironments, loadEnvironment } from '../../config/load';
import { environmentsNamed } from '../../config/tiers';
import { BddaError } from '../../config/errors';
import { writeFileAtomic } from '../support/fs-atomic';
import { claimedEnvironmentForBranch } from '../ledger/claims';
import { planEnvironment } from '../workflow/plan';
import { reviewSummaryNote, writeReviewAfterPlan } from '../review/write';
import type { Progress } from '../support/progress';
import type { Workspace } from '../support/workspace';
import { buildRef, type BuildRef } from './ci-vars';
import { environmentsToPlanOnMain, loadCiConfig } from './ci-config';
import { checkoutOf, type GitIdentity } from '../support/git';
import { isBotCommit } from './push';
import { pushWithRetries } from './push';
import { IMPORTS_FILE } from '../state/adoptions';
import { selectShard, type Shard } from './shard';
import { renderSummary, type SummaryEntry } from './summary';

export interface CiBuildOptions {
  /** An environment (`dev2`, `dev/dev2`) or a tier (`prod`: all its leaves). @default the branch's claim, or `planOnMain` on the main branch */
  readonly env?: string;
  /** Every environment (drift detection). */
  readonly all?: boolean;
  /** With `all`: one deterministic slice. */
  readonly shard?: Shard;
  /** Exit 2 when a diff was written, after committing it. */
  readonly detailedExitcode?: boolean;
  /** @default `bot.name` of environments/ci.yaml */
  readonly botName?: string;
  /** @default `bot.email` of environments/ci.yaml */
  readonly botEmail?: string;
  /** @default origin */
  readonly remote?: string;
  /** The Markdown summary for a PR comment. @default .bdda/ci/summary.md */
  readonly summaryFile?: string;
  /** Where the CI's variables are read. @default process.env */
  readonly vars?: Readonly<Record<string, string | undefined>>;
  /** Environments planned at once. @default 2 */
  readonly concurrency?: number;
  /** Test hook: runs after the plan, before the commit and push (a person may push meanwhile). */
  readonly afterPlan?: () => void | Promise<void>;
}

type CiBuildOutcome = 'pushed' | 'no-change' | 'bot-head' | 'superseded';

export interface CiBuildResult {
  readonly outcome: CiBuildOutcome;
  readonly exitCode: number;
  readonly ref: BuildRef;
  readonly environments: readonly string[];
  /** The pushed commit. */
  readonly commit?: string;
  /** Seconds inside plan, and in the build's own work (git, summary). */
  readonly planSeconds: number;
  readonly ownSeconds: number;
  readonly summary?: string;
}

/** A diff file, as git shows its path. */
export const DIFF_FILE = /(^|\/)environments\/.+\/changes\.(txt|json)$/;

export async function ciBuild(ws: Workspace, opts: CiBuildOptions, progress: Progress): Promise<CiBuildResult> {
  const started = Date.now();
  let planSeconds = 0;
  let hookSeconds = 0;
  const config = loadCiConfig(ws.root);
  const bot: GitIdentity = { name: opts.botName ?? config.bot.name, email: opts.botEmail ?? config.bot.email };
  const remote = opts.remote ?? 'origin';
  const { git, gitPath } = checkoutOf(ws.root);
  const ref = buildRef(git, opts.vars ?? process.env);
  const say = (message: string) => progress.step(ref.branch, 'CI', message);
  const result = (outcome: CiBuildOutcome, rest: Partial<CiBuildResult> = {}): CiBuildResult => ({
    outcome,
    exitCode: 0,
    ref,
    environments: [],
    planSeconds,
    ownSeconds: (Date.now() - started) / 1000 - planSeconds - hookSeconds,
    ...rest,
  });

  const headInfo = git.commitInfo('HEAD');
  if (isBotCommit(headInfo, bot)) {
    say(`HEAD ${ref.commit.slice(0, 7)} is bdda's own diff commit ("${headInfo.subject}"); nothing to build`);
    return result('bot-head');
  }
  const dirty = git.status().filter((e) => !DIFF_FILE.test(e.path));
  if (dirty.length > 0) {
    throw new BddaError(
      `The working tree of ${git.cwd} has changes other than diff files:\n${dirty.map((e) => `  ${e.code} ${e.path}`).join('\n')}\n` +
        'ci build commits only changes.txt and changes.json, and a diff of an uncommitted change would describe no commit. ' +
        'Build from a clean checkout (add build outputs to .gitignore). Nothing was committed.',
    );
  }

  const refs = await selectEnvironments(ws, opts, ref, config);
  say(`plans ${refs.map((r) => r.path).join(', ')} for ${ref.commit.slice(0, 7)} (branch from ${ref.source})`);
  const planStarted = Date.now();
  const limit = pLimit(Math.max(1, opts.concurrency ?? 2));
  const runs = await Promise.all(
    refs.map((r) =>
      limit(async () => {
        try {
          const env = loadEnvironment(ws.root, r.path);
          const plan = await planEnvironment(ws, env, progress);
          await writeReviewAfterPlan(ws, env, progress);
          return { env, plan, error: undefined };
        } catch (error) {
          if (refs.length === 1) throw error;
          progress.warn(r.path, `plan failed: ${(error as Error).message}`);
          return { env: undefined, plan: undefined, error: error as Error };
        }
      }),
    ),
  );
  planSeconds = (Date.now() - planStarted) / 1000;
  const planned = runs.flatMap((r) => (r.env ? [r.env] : []));
  const failed = runs.length - planned.length;

  const entries: SummaryEntry[] = planned.map((env) => ({
    env: env.path,
    record: readChanges(env.dir)?.record,
    changesFile: gitPath(path.join(env.dir, CHANGES_TXT)),
  }));
  const summary = renderSummary(entries, { branch: ref.branch, commit: ref.commit, reviewNote: reviewSummaryNote(planned, opts.vars ?? process.env) });
  writeFileAtomic(path.resolve(ws.root, opts.summaryFile ?? path.join('.bdda', 'ci', 'summary.md')), summary);
  const stepSummary = (opts.vars ?? process.env).GITHUB_STEP_SUMMARY;
  if (stepSummary) fs.appendFileSync(stepSummary, summary);
  const exitCode = failed > 0 ? 1 : opts.detailedExitcode && entries.some((e) => e.record) ? 2 : 0;
  const base = { exitCode, environments: planned.map((e) => e.path), summary };

  const hookStarted = Date.now();
  await opts.afterPlan?.();
  hookSeconds = (Date.now() - hookStarted) / 1000;
  // Plan drops the imports an apply elsewhere already made from imports.json: that goes in the same commit.
  const pathspecs = planned.flatMap((env) => [CHANGES_TXT, CHANGES_JSON, IMPORTS_FILE].map((f) => gitPath(path.join(env.dir, f))));
  const changed = pathspecs.length ? git.status(pathspecs).map((e) => e.path) : [];
  if (changed.length === 0) {
    say('the diff files are unchanged; nothing to commit');
    return result('no-change', base);
  }
  const changedEnvs = planned.filter((env) => changed.some((p) => p.startsWith(`${gitPath(path.join(env.dir, CHANGES_TXT)).replace(/changes\.txt$/, '')}`)));
  const what = changedEnvs.length <= 4 ? changedEnvs.map((e) => e.path).join(', ') : `${changedEnvs.length} environments`;
  const message = `bdda: diff of ${what} at ${ref.commit.slice(0, 7)} [skip ci]`;
  git.commit(changed, message, bot);
  const inputs = new Set(planned.flatMap((env) => [...env.files.map((f) => gitPath(path.join(ws.root, f))), gitPath(path.join(env.dir, IMPORTS_FILE))]));
  const pushed = pushWithRetries(git, {
    remote,
    branch: ref.branch,
    start: ref.commit,
    bot,
    attempts: config.pushAttempts,
    makesStale: (file) => readByPlan(file, inputs),
    nextStep: "Run the build again on the branch's newest commit.",
    say,
  });
  if (!pushed) return result('superseded', base);
  say(`pushed ${pushed.slice(0, 7)} "${message}" to ${remote}/${ref.branch}`);
  return result('pushed', { ...base, commit: pushed });
}

async function selectEnvironments(ws: Workspace, opts: CiBuildOptions, ref: BuildRef, config: ReturnType<typeof loadCiConfig>): Promise<EnvironmentRef[]> {
  const mainBranch = config.mainBranch;
  if (opts.env && opts.all) throw new BddaError('Pass either --env <name> or --all to ci build, not both.');
  const leaves = listEnvironments(ws.root);
  const named = opts.env ? environmentsNamed(leaves, opts.env) : undefined;
  if (opts.shard && !opts.all && !named?.tier)
    throw new BddaError('--shard i/n splits a list of environments; pass it with --all or with a tier (--env prod), not with one environment.');
  if (opts.all) return opts.shard ? selectShard(leaves, opts.shard) : leaves;
  if (opts.env) {
    if (named?.tier) return opts.shard ? selectShard(named.leaves, opts.shard) : [...named.leaves];
    return [loadEnvironment(ws.root, opts.env)];
  }
  if (ref.branch === mainBranch) {
    if (config.planOnMain.length === 0) {
      throw new BddaError(
        `ci build runs on ${mainBranch}, but planOnMain in environments/ci.yaml names nothing to plan. List the tiers main plans there (e.g. planOnMain: [staging, prod]), or pass --env.`,
      );
    }
    return environmentsToPlanOnMain(ws.root, config);
  }
  const claimed = await claimedEnvironmentForBranch(ws, ref.branch);
  if (claimed) return [loadEnvironment(ws.root, claimed)];
  throw new BddaError(
    `ci build on branch "${ref.branch}" does not know which environment to plan: no environment is claimed for this branch. ` +
      `Pass --env <name> (e.g. \`npm run ci -- build --env dev2\`), or claim one for the branch (\`npm run claim -- --env dev2\` on it). Nothing was committed.`,
  );
}

/** Whether a path changes what the plan of these environments shows. */
function readByPlan(file: string, inputs: ReadonlySet<string>): boolean {
  if (DIFF_FILE.test(file) || /\.md$/i.test(file) || file.startsWith('.github/')) return false;
  // Another environment's config does not change this one's plan.
  if (file.startsWith(`${ENVIRONMENTS_DIR}/`) && (file.endsWith('/env.yaml') || file.endsWith(`/${IMPORTS_FILE}`))) return inputs.has(file);
  if (file === `${ENVIRONMENTS_DIR}/env.yaml`) return inputs.has(file);
  return true;
}
