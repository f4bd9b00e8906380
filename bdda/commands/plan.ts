/**
 * `npm run plan`: one environment, or `--all` of them with bounded concurrency and a table at
 * the end. Exit codes follow terraform's `-detailed-exitcode` when asked: 0 in sync, 2 changes,
 * 1 errors.
 */
import pLimit from 'p-limit';
import { listEnvironments, loadEnvironment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { LAYERS } from '../../config/naming';
import { summaryWords } from '../diff/summary';
import { LABEL, UPSTREAM } from '../layers/index';
import { planEnvironment, type EnvironmentPlan } from '../workflow/plan';
import { writeReviewAfterPlan } from '../review/write';
import type { Progress } from '../support/progress';
import { selectShard, type Shard } from '../ci/shard';
import type { Workspace } from '../support/workspace';
import { alignColumns } from '../support/columns';

export interface PlanCommandOptions {
  readonly env?: string;
  readonly all?: boolean;
  readonly detailedExitcode?: boolean;
  /** How many environments to plan at once with --all. @default 2 */
  readonly concurrency?: number;
  /** With --all: only this deterministic slice of the environments (`--shard i/n`). */
  readonly shard?: Shard;
}

export interface PlanRun {
  readonly env: string;
  readonly plan?: EnvironmentPlan;
  readonly error?: Error;
}

export async function planCommand(ws: Workspace, opts: PlanCommandOptions, progress: Progress): Promise<{ exitCode: number; runs: PlanRun[] }> {
  if (!!opts.env === !!opts.all) throw new BddaError('Pass either --env <name> (one environment) or --all (every environment).');
  if (opts.shard && !opts.all) throw new BddaError('--shard i/n splits the list of --all; pass it with --all, not with --env.');
  if (opts.env) {
    const plan = await planEnvironment(ws, loadEnvironment(ws.root, opts.env), progress);
    await writeReviewAfterPlan(ws, plan.env, progress);
    return { exitCode: opts.detailedExitcode && plan.outcome === 'written' ? 2 : 0, runs: [{ env: plan.env.path, plan }] };
  }
  const limit = pLimit(Math.max(1, opts.concurrency ?? 2));
  const runs = await Promise.all(
    (opts.shard ? selectShard(listEnvironments(ws.root), opts.shard) : listEnvironments(ws.root)).map((ref) =>
      limit(async (): Promise<PlanRun> => {
        try {
          const plan = await planEnvironment(ws, loadEnvironment(ws.root, ref.path), progress);
          await writeReviewAfterPlan(ws, plan.env, progress);
          return { env: ref.path, plan };
        } catch (error) {
          progress.warn(ref.path, `plan failed: ${(error as Error).message}`);
          return { env: ref.path, error: error as Error };
        }
      }),
    ),
  );
  const failed = runs.some((r) => r.error);
  const changed = runs.some((r) => r.plan?.outcome === 'written');
  return { exitCode: failed ? 1 : opts.detailedExitcode && changed ? 2 : 0, runs };
}

/** One row per environment, one column per layer, for `plan --all`. */
export function renderTable(runs: readonly PlanRun[]): string {
  const rows = runs.map((r) => [
    r.env,
    ...LAYERS.map((layer) => {
      if (r.error) return 'error';
      const plan = r.plan?.layers.find((l) => l.layer === layer);
      const upstream = UPSTREAM[layer];
      return plan ? summaryWords({ ...plan, waitsFor: upstream && LABEL[upstream] }) : '-';
    }),
  ]);
  const header = ['ENVIRONMENT', ...LAYERS.map((layer) => LABEL[layer])];
  return alignColumns([header, ...rows]);
}
