/**
 * Build-Diff: synthesize an environment's layer cake, plan each layer with its real engine, and
 * write the reviewable diff into the environment's folder.
 *
 * A layer whose upstream has no state yet is not planned (there is nothing real to read) and its
 * section says what it waits for. Layers whose upstream exists are planned in parallel.
 */
import * as path from 'node:path';
import type { Environment } from '../../config/load';
import { planWarnings } from '../../config/warnings';
import { CHANGES_TXT, type LayerPlan, writeChanges } from '../diff/changes';
import { desiredManifests, LABEL, type PlanContext, planFile, type StageTiming, terraformFor, type TerraformLayer, timed, withContext } from './context';
import { diffManifests } from '../diff/kubernetes-diff';
import { planGoliathLive } from '../engines/kubectl';
import type { Layer } from '../../config/naming';
import { checkOrphans } from '../state/orphans';
import { deprecationWarnings, planActions, planCounts, reviewablePlanText } from '../diff/plan-text';
import type { Progress } from '../support/progress';
import { assertNoApplyRunning } from './running-apply';
import type { SynthOutput } from './synth';
import { AWS_PROVIDER, tools } from '../engines/tools';
import { displayPath, type Workspace } from '../support/workspace';

export interface EnvironmentPlan {
  readonly env: Environment;
  readonly layers: readonly LayerPlan[];
  /** Versions of the engines, as recorded in changes.json. */
  readonly tools: Readonly<Record<string, string>>;
  readonly outcome: 'written' | 'removed';
  readonly freshEmulator: boolean;
  readonly timings: readonly StageTiming[];
  readonly synth: SynthOutput;
}

/** The layer whose outputs each layer reads. */
export const UPSTREAM: Readonly<Partial<Record<Layer, Layer>>> = { karr: 'flag', goliath: 'karr' };

let terraformVersion: Promise<string> | undefined;

export function planEnvironment(ws: Workspace, env: Environment, progress: Progress): Promise<EnvironmentPlan> {
  return withContext(ws, env, progress, undefined, async (ctx) => {
    for (const warning of planWarnings(env)) progress.warn(env.path, warning);
    await assertNoApplyRunning(ctx);
    await checkOrphans(ctx, { refuse: false });
    const layers = await planLayers(ctx);
    const toolVersions = await engineVersions(ctx);
    const outcome = await timed(ctx.timings, 'write', async () => writeChanges(env.dir, env.path, toolVersions, layers));
    progress.step(env.path, 'DIFF', outcome === 'written' ? `written to ${displayPath(path.join(env.dir, CHANGES_TXT), ws.root)}` : 'no changes in any layer; the environment is in sync');
    return { env, layers, tools: toolVersions, outcome, freshEmulator: ctx.target.freshEmulator, timings: ctx.timings, synth: ctx.synth };
  });
}

/** Plans every layer; FLAG and whatever can go beside it run in parallel. */
export async function planLayers(ctx: PlanContext, only?: readonly Layer[]): Promise<LayerPlan[]> {
  const wanted = (layer: Layer) => !only || only.includes(layer);
  // allSettled: when one layer fails, the others still finish before the caller cleans up.
  const settled = await Promise.allSettled([
    wanted('flag') ? planTerraformLayer(ctx, 'flag') : undefined,
    wanted('karr') ? planTerraformLayer(ctx, 'karr') : undefined,
    wanted('goliath') ? planGoliath(ctx) : undefined,
  ]);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<LayerPlan | undefined>).value).filter((p): p is LayerPlan => p !== undefined);
}

/** The state object of a layer, when it has been applied at least once. */
async function upstreamApplied(ctx: PlanContext, layer: Layer): Promise<boolean> {
  const upstream = UPSTREAM[layer];
  if (!upstream) return true;
  const state = await ctx.target.backend.getObject(ctx.env.naming.stateKey(upstream));
  if (!state) return false;
  const outputs = (JSON.parse(state) as { outputs?: Record<string, unknown> }).outputs ?? {};
  return Object.keys(outputs).length > 0;
}

export function waitingPlan(ctx: PlanContext, layer: Layer, engine: string): LayerPlan {
  const upstream = UPSTREAM[layer] as Layer;
  const key = ctx.env.naming.stateKey(upstream);
  return {
    layer,
    engine,
    status: 'waiting',
    body:
      `${LABEL[layer]} waits for ${LABEL[upstream]} to be applied: it reads ${LABEL[upstream]}'s outputs from ` +
      `s3://${ctx.env.config.backend.bucket}/${key}, which does not exist yet. Apply ${LABEL[upstream]}, ` +
      `and the next apply (or plan) writes ${LABEL[layer]}'s diff here for review.`,
    summary: `${LABEL[layer]}: waits for ${LABEL[upstream]} to be applied.`,
    actions: {},
    counts: {},
  };
}

async function planTerraformLayer(ctx: PlanContext, layer: TerraformLayer, opts: { destroy?: boolean } = {}): Promise<LayerPlan> {
  const engine = opts.destroy ? 'terraform plan -destroy' : 'terraform plan';
  const started = Date.now();
  if (!opts.destroy && !(await upstreamApplied(ctx, layer))) {
    ctx.progress.step(ctx.env.path, LABEL[layer], `waits for ${LABEL[UPSTREAM[layer] as Layer]} to be applied`);
    return waitingPlan(ctx, layer, engine);
  }
  const tf = terraformFor(ctx, layer);
  ctx.progress.step(ctx.env.path, LABEL[layer], 'init');
  const init = await tf.init();
  ctx.timings.push({ stage: `init ${layer}`, seconds: init.seconds, engineSeconds: init.seconds });
  ctx.progress.step(ctx.env.path, LABEL[layer], init.skipped ? 'init reused' : `init done (${init.seconds.toFixed(1)}s)`);
  const planStarted = Date.now();
  const plan = await tf.plan(planFile(ctx, layer), opts);
  ctx.timings.push({ stage: `plan ${layer}`, seconds: (Date.now() - planStarted) / 1000, engineSeconds: plan.seconds });
  const body = reviewablePlanText(plan.text);
  warnOnce(ctx, layer, deprecationWarnings(plan.text));
  const counts = planCounts(body);
  const summary = plan.changes
    ? `${LABEL[layer]}: ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy.`
    : `${LABEL[layer]}: no changes.`;
  ctx.progress.step(ctx.env.path, LABEL[layer], `${summary.replace(/^\w+: /, '')} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  return { layer, engine, status: plan.changes ? 'changes' : 'no-changes', body, summary, actions: planActions(body), counts: { ...counts } };
}

const warned = new Set<string>();

/** Deprecation warnings stay out of the reviewed diff; they are shown here, once per run and text. */
function warnOnce(ctx: PlanContext, layer: TerraformLayer, warnings: readonly string[]): void {
  for (const warning of warnings) {
    const key = `${ctx.env.path} ${layer} ${warning}`;
    if (warned.has(key)) continue;
    warned.add(key);
    ctx.progress.warn(ctx.env.path, `${LABEL[layer]}: terraform warns (left out of changes.txt): ${warning}`);
  }
}

/** The destroy plan of a terraform layer, for `destroy`. */
export function planTerraformDestroy(ctx: PlanContext, layer: TerraformLayer): Promise<LayerPlan> {
  return planTerraformLayer(ctx, layer, { destroy: true });
}

async function planGoliath(ctx: PlanContext): Promise<LayerPlan> {
  const started = Date.now();
  const recorded = await ctx.target.backend.getObject(ctx.env.naming.stateKey('goliath'));
  let plan: LayerPlan;
  if (ctx.env.config.emulated) {
    // No API server exists on the emulator: the record of the last apply is the cluster's state.
    const diff = diffManifests(recorded, desiredManifests(ctx));
    const changed = Object.keys(diff.actions).length > 0;
    plan = {
      layer: 'goliath',
      engine: 'diff against the recorded manifests',
      status: changed ? 'changes' : 'no-changes',
      body: diff.body,
      summary: changed ? `GOLIATH: ${diff.counts.add} to add, ${diff.counts.change} to change, ${diff.counts.delete} to delete.` : 'GOLIATH: no changes.',
      actions: diff.actions,
      counts: diff.counts,
    };
  } else if (!(await upstreamApplied(ctx, 'goliath'))) {
    plan = waitingPlan(ctx, 'goliath', 'kubectl diff --server-side');
  } else {
    plan = await planGoliathLive(ctx, recorded);
  }
  const seconds = (Date.now() - started) / 1000;
  ctx.timings.push({ stage: 'plan goliath', seconds, engineSeconds: 0 });
  ctx.progress.step(ctx.env.path, 'GOLIATH', `${plan.summary.replace(/^\w+: /, '')} (${seconds.toFixed(1)}s)`);
  return plan;
}

export async function engineVersions(ctx: PlanContext): Promise<Record<string, string>> {
  terraformVersion ??= terraformFor(ctx, 'flag').version();
  const name = path.basename(tools().terraform).includes('tofu') ? 'tofu' : 'terraform';
  return { [name]: await terraformVersion, 'hashicorp/aws': AWS_PROVIDER.version, ...(ctx.env.config.emulated ? { emulator: 'moto' } : {}) };
}
