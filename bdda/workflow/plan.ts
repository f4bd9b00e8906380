/**
 * Build-Diff: synthesize an environment's layer cake, plan each layer with its engine, and
 * write the reviewable diff into the environment's folder.
 *
 * A layer whose engine reads its upstream's outputs is planned for real when its upstream has no
 * changes. When the upstream has changes or no state yet, the layer is previewed against the
 * upstream's planned outputs (bdda/workflow/preview.ts), or, when no preview can be made, its
 * section says what it waits for. Independent layers are planned in parallel.
 */
import * as path from 'node:path';
import type { Environment } from '../../config/load';
import { planWarnings } from '../../config/warnings';
import type { Layer } from '../../config/naming';
import { CHANGES_TXT, type LayerPlan, writeChanges } from '../diff/changes';
import type { LayerEngine } from '../layers/engine';
import { layerEngine, layerEngines } from '../layers/index';
import { policyOfPlans } from '../policy/evaluate';
import { policySummaryLine } from '../policy/report';
import { readWaivers } from '../policy/waivers';
import { heldProgress, type Progress } from '../support/progress';
import { displayPath, type Workspace } from '../support/workspace';
import { type PlanContext, withContext } from './context';
import { previewOrWait, waitingPlan } from './preview';
import { assertNoApplyRunning } from './running-apply';
import type { SynthOutput } from './synth-output';
import { type StageTiming, timed } from './timing';

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

export function planEnvironment(ws: Workspace, env: Environment, progress: Progress): Promise<EnvironmentPlan> {
  // A malformed or expired waiver is refused before anything is planned.
  const waivers = readWaivers(env);
  return withContext(ws, env, progress, undefined, async (ctx) => {
    for (const warning of planWarnings(env)) progress.warn(env.path, warning);
    await assertNoApplyRunning(ctx);
    const layers = await planBesidePreflights(ctx);
    const toolVersions = await engineVersions(ctx);
    const policy = policyOfPlans(env, ctx.synth, waivers, layers);
    progress.step(env.path, 'POLICY', policySummaryLine(policy.results).replace(/^POLICY: /, ''));
    const outcome = await timed(ctx.timings, 'write', async () => writeChanges(env.dir, env.path, toolVersions, layers, policy));
    progress.step(
      env.path,
      'DIFF',
      outcome === 'written' ? `written to ${displayPath(path.join(env.dir, CHANGES_TXT), ws.root)}` : 'no changes in any layer; the environment is in sync',
    );
    return { env, layers, tools: toolVersions, outcome, freshEmulator: ctx.target.freshEmulator, timings: ctx.timings, synth: ctx.synth };
  });
}

/**
 * At plan the pre-flight checks only warn, so they run beside the plans, started once the first
 * plans' processes are running (their look-ups load SDK clients, about half a second of work).
 * A check that edits what an engine reads finishes first.
 */
async function planBesidePreflights(ctx: PlanContext): Promise<LayerPlan[]> {
  if (layerEngines(ctx.env).some((e) => e.preflight && (e.preflightBlocksPlan?.(ctx) ?? true))) {
    await runPreflights(ctx, { refuse: false });
    return planLayers(ctx);
  }
  const planning = planLayers(ctx);
  planning.catch(() => undefined); // settled below, after the checks
  await new Promise((resolve) => setImmediate(resolve));
  // allSettled: a failed plan still lets the checks finish before the caller cleans up.
  const [checked, planned] = await Promise.allSettled([runPreflights(ctx, { refuse: false }), planning]);
  if (planned.status === 'rejected') throw planned.reason;
  if (checked.status === 'rejected') throw checked.reason;
  return planned.value;
}

/** Each engine's pre-flight check, once per distinct check: plan warns, apply (`refuse`) stops. */
export async function runPreflights(ctx: PlanContext, opts: { refuse: boolean }): Promise<void> {
  const checks = new Set(layerEngines(ctx.env).flatMap((e) => (e.preflight ? [e.preflight] : [])));
  for (const check of checks) await check(ctx, opts);
}

/**
 * Plans every layer (or those in `only`), in parallel where the layers allow: a layer that reads
 * its upstream's outputs learns from the upstream's plan whether to plan for real or to preview.
 */
export async function planLayers(ctx: PlanContext, only?: readonly Layer[]): Promise<LayerPlan[]> {
  const engines = layerEngines(ctx.env).filter((e) => !only || only.includes(e.layer));
  const plans = new Map<Layer, Promise<LayerPlan>>();
  // In apply order, so that each upstream's promise is there when its downstream layer asks.
  for (const engine of engines) plans.set(engine.layer, planLayer(ctx, engine, plans));
  // allSettled: when one layer fails, the others still finish before the caller cleans up.
  const settled = await Promise.allSettled(plans.values());
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<LayerPlan>).value);
}

async function planLayer(ctx: PlanContext, engine: LayerEngine, plans: ReadonlyMap<Layer, Promise<LayerPlan>>): Promise<LayerPlan> {
  const { upstream } = engine;
  if (!engine.waitsForUpstream || !upstream) return engine.plan(ctx);
  const applied = await upstreamApplied(ctx, upstream);
  const upstreamPlan = plans.get(upstream);
  // The upstream is not planned in this run (apply plans a layer again once its upstream is applied).
  if (!upstreamPlan) return applied ? engine.plan(ctx) : waitingPlan(ctx, engine);
  // Against an applied upstream, the real plan starts at once; it is kept (and its progress shown)
  // when the upstream has no changes, and superseded by a preview otherwise.
  const quiet = heldProgress(ctx.progress);
  const real = applied ? engine.plan({ ...ctx, progress: quiet.progress }) : undefined;
  real?.catch(() => undefined); // awaited below in every case
  const up = await upstreamPlan.catch(() => undefined);
  if (real && (!up || up.status === 'no-changes')) {
    quiet.release();
    return real; // when the upstream failed, its own promise reports it
  }
  if (!up) return waitingPlan(ctx, engine);
  if (real) await real.catch(() => undefined); // one plan at a time in the layer's directory
  return previewOrWait(ctx, engine, { engine: layerEngine(ctx.env, upstream), plan: up, applied });
}

/** Whether a layer has been applied at least once: its state records outputs. */
async function upstreamApplied(ctx: PlanContext, upstream: Layer): Promise<boolean> {
  const outputs = await layerEngine(ctx.env, upstream).outputs(ctx);
  return outputs !== undefined && Object.keys(outputs).length > 0;
}

/** The versions of every engine, for changes.json, in the order of the layers. */
export async function engineVersions(ctx: PlanContext): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const engine of layerEngines(ctx.env)) Object.assign(versions, await engine.versions(ctx));
  return { ...versions, ...(ctx.env.config.emulated ? { emulator: 'moto' } : {}) };
}
