/**
 * Writes review pages into the git-ignored `build/review/`: gathers what the page shows beside the
 * diff (git, the ledger, the CI run, the policy results recorded with the diff), builds the model
 * and renders it. `changes.json` is read and checked as apply reads it; `changes.txt` is never
 * parsed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Environment } from '../../config/load';
import { CHANGES_JSON, type ChangesRecord, readChanges } from '../diff/changes';
import { readLedger } from '../ledger/backend';
import { currentDeployment } from '../ledger/records';
import type { EnvironmentStatus } from '../ledger/status';
import { writeFileAtomic } from '../support/fs-atomic';
import { Git } from '../support/git';
import type { Progress } from '../support/progress';
import { displayPath, type Workspace } from '../support/workspace';
import { renderIndexPage } from './index-page';
import { type ReviewContext, type ReviewDeployment, type ReviewRisk, reviewModel } from './model';
import { renderReviewPage } from './page';

/** The folders and files whose change makes any environment's diff stale, beside its config chain. */
const CODE_PATHS = ['stacks', 'charts', 'policies', 'config'] as const;

/** The folder of the pages: `build/review/` of the build folder. */
function reviewDir(ws: Workspace): string {
  return path.join(ws.buildDir, 'review');
}

/** Where an environment's page is written: `build/review/dev/dev2.html`. */
function reviewPageFile(ws: Workspace, envPath: string): string {
  return path.join(reviewDir(ws), `${envPath}.html`);
}

/** Renders the environment's current diff into its page; returns the file written. */
export async function writeReviewPage(ws: Workspace, env: Environment, vars: NodeJS.ProcessEnv = process.env): Promise<string> {
  const record = readChanges(env.dir)?.record;
  const context = await reviewContext(ws, env, record, vars);
  const file = reviewPageFile(ws, env.path);
  writeFileAtomic(file, renderReviewPage(reviewModel(record, context)));
  return file;
}

/**
 * After a plan: writes the page and says where; a page that cannot be written is a warning, since
 * the diff files the plan wrote are what counts.
 */
export async function writeReviewAfterPlan(ws: Workspace, env: Environment, progress: Progress): Promise<void> {
  try {
    progress.step(env.path, 'REVIEW', `page written to ${displayPath(await writeReviewPage(ws, env), ws.root)}`);
  } catch (err) {
    progress.warn(env.path, `the review page was not written: ${(err as Error).message}`);
  }
}

/**
 * The line of CI's summary that points at the pages: the CI uploads `build/review/` as an
 * artifact of its run (see .github/workflows/), so a reviewer finds them there.
 */
export function reviewSummaryNote(envs: readonly Pick<Environment, 'path'>[], vars: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!envs.length) return undefined;
  const pages = envs.map((env) => `\`build/review/${env.path}.html\``).join(', ');
  const run = ciRun(vars);
  return run
    ? `**Review page:** ${pages}, uploaded as an artifact of [this run](${run.href}${vars.GITHUB_RUN_ID ? '#artifacts' : ''}): download it and open the page in a browser.`
    : `**Review page:** ${pages} (\`npm run review -- --env <name>\` writes it again).`;
}

/** Writes the index of every environment, from the rows `npm run status` shows; returns the file. */
export function writeReviewIndex(ws: Workspace, rows: readonly EnvironmentStatus[]): string {
  const file = path.join(reviewDir(ws), 'index.html');
  const pages = Object.fromEntries(
    rows
      .filter((r) => fs.existsSync(reviewPageFile(ws, r.path)))
      .map((r) => [r.path, path.relative(reviewDir(ws), reviewPageFile(ws, r.path)).split(path.sep).join('/')]),
  );
  writeFileAtomic(file, renderIndexPage(rows, pages));
  return file;
}

async function reviewContext(ws: Workspace, env: Environment, record: ChangesRecord | undefined, vars: NodeJS.ProcessEnv): Promise<ReviewContext> {
  const git = new Git(ws.root);
  const [head, planned, ledger] = await Promise.all([
    git.output(['rev-parse', 'HEAD']).then((out) => out?.trim() || undefined),
    record ? plannedAt(ws, env, git) : Promise.resolve(undefined),
    readLedger(ws, env, (backend) => currentDeployment(backend, env.path)),
  ]);
  const deployment = 'value' in ledger ? ledger.value : undefined;
  const lastDeployment: ReviewDeployment | undefined = deployment && {
    operation: deployment.operation,
    status: deployment.status,
    sha: deployment.sha,
    who: deployment.who,
    endedAt: deployment.endedAt,
    ...recordLocation(env, deployment.key),
  };
  const staleBecause = planned ? await staleReasons(ws, env, git, planned, lastDeployment) : [];
  return {
    env,
    head,
    plannedAt: planned,
    staleBecause,
    lastDeployment,
    ledgerUnavailable: 'unavailable' in ledger ? ledger.unavailable : undefined,
    ciRun: ciRun(vars),
    policy: record && recordedPolicy(record),
  };
}

/**
 * When the diff was planned: the time `changes.json` was written when it differs from the
 * commit (a local plan), else the time of the commit that last wrote it (CI's bot commit).
 */
async function plannedAt(ws: Workspace, env: Environment, git: Git): Promise<string | undefined> {
  const file = path.join(env.dir, CHANGES_JSON);
  const rel = path.relative(ws.root, file);
  const [changed, committed] = await Promise.all([git.output(['status', '--porcelain', '--', rel]), git.output(['log', '-1', '--format=%cI', '--', rel])]);
  if (changed === undefined || changed.trim() !== '' || !committed?.trim()) return fs.statSync(file).mtime.toISOString();
  return new Date(committed.trim()).toISOString();
}

/** Why the diff may no longer be what apply would do. */
async function staleReasons(ws: Workspace, env: Environment, git: Git, planned: string, deployment: ReviewDeployment | undefined): Promise<string[]> {
  const reasons: string[] = [];
  if (deployment && deployment.endedAt > planned) reasons.push(`older than the last deployment (${deployment.endedAt})`);
  const inputs = [...env.files, ...CODE_PATHS];
  const [committed, dirty] = await Promise.all([
    git.output(['log', `--since=${planned}`, '--format=', '--name-only', '--', ...inputs]),
    git.output(['status', '--porcelain=v1', '--untracked-files=all', '--', ...inputs]),
  ]);
  const later = new Set((committed ?? '').split('\n').filter(Boolean));
  for (const line of (dirty ?? '').split('\n').filter(Boolean)) {
    const file = line.slice(3);
    const mtime = fs.statSync(path.join(ws.root, file), { throwIfNoEntry: false })?.mtime.toISOString();
    if (mtime === undefined || mtime > planned) later.add(file);
  }
  if (later.size) {
    const names = [...later].sort();
    reasons.push(`the tree changed since it was planned (${names.slice(0, 5).join(', ')}${names.length > 5 ? `, and ${names.length - 5} more` : ''})`);
  }
  return reasons;
}

/** The record's place in the state bucket, with a link to it in the AWS console for a real account. */
function recordLocation(env: Environment, key: string): Pick<ReviewDeployment, 'location' | 'href'> {
  const { bucket, region } = env.config.backend;
  const location = `s3://${bucket}/${key}`;
  if (env.config.emulated) return { location };
  return { location, href: `https://s3.console.aws.amazon.com/s3/object/${bucket}?region=${region}&prefix=${encodeURIComponent(key)}` };
}

/** The CI run writing the page, from the CI's own variables. */
function ciRun(vars: NodeJS.ProcessEnv): ReviewContext['ciRun'] {
  if (vars.GITHUB_SERVER_URL && vars.GITHUB_REPOSITORY && vars.GITHUB_RUN_ID) {
    return {
      label: `GitHub Actions run ${vars.GITHUB_RUN_ID}`,
      href: `${vars.GITHUB_SERVER_URL}/${vars.GITHUB_REPOSITORY}/actions/runs/${vars.GITHUB_RUN_ID}`,
    };
  }
  if (vars.CI_JOB_URL) return { label: `GitLab CI job ${vars.CI_JOB_ID ?? ''}`.trim(), href: vars.CI_JOB_URL };
  if (vars.bamboo_resultsUrl) return { label: `Bamboo build ${vars.bamboo_buildResultKey ?? ''}`.trim(), href: vars.bamboo_resultsUrl };
  return undefined;
}

/** The policy results recorded with the diff. */
function recordedPolicy(record: ChangesRecord): ReviewRisk[] {
  return record.policy.results.map(({ rule, severity, layer, address, message, waiver }) => ({
    rule,
    severity,
    layer,
    address,
    message,
    ...(waiver && { waiver: { approvedBy: waiver.approvedBy, expires: waiver.expires, reason: waiver.reason } }),
  }));
}
