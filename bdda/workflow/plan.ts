/**
 * Build-Diff: synthesize an environment's layer cake, plan each layer with its engine, and
 * write the reviewable diff into the environment's folder.
 *
 * A layer whose engine reads its upstream's outputs is not planned while that upstream has none
 * (there is nothing real to read), and its section says what it waits for. The other layers are
 * planned in parallel.
 */
import * as path from 'node:path';
import type { Environment } from '../../config/load';
import { planWarnings } from '../../config/warnings';
import type { Layer } from '../../config/naming';
import { CHANGES_TXT, type LayerPlan, writeChanges } from '../diff/changes';
import { summaryLine } from '../diff/summary';
import type { LayerEngine } from '../layers/engine';
import { LABEL, layerEngine, layerEngines } from '../layers/index';
import type { Progress } from '../support/progress';
import { displayPath, type Workspace } from '../support/workspace';
import { type PlanContext, withContext } from './context';
import { assertNoApplyRunning } from './running-apply';
import type { SynthOutput } from './synth';
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
  return withContext(ws, env, progress, undefined, async (ctx) => {
    for (const warning of planWarnings(env)) progress.warn(env.path, warning);
    await assertNoApplyRunning(ctx);
    await runPreflights(ctx, { refuse: false });
    const layers = await planLayers(ctx);
    const toolVersions = await engineVersions(ctx);
    const outcome = await timed(ctx.timings, 'write', async () => writeChanges(env.dir, env.path, toolVersions, layers));
    progress.step(
      env.path,
      'DIFF',
      outcome === 'written' ? `written to ${displayPath(path.join(env.dir, CHANGES_TXT), ws.root)}` : 'no changes in any layer; the environment is in sync',
    );
    return { env, layers, tools: toolVersions, outcome, freshEmulator: ctx.target.freshEmulator, timings: ctx.timings, synth: ctx.synth };
  });
}

/** Each engine's pre-flight check, once per distinct check: plan warns, apply (`refuse`) stops. */
export async function runPreflights(ctx: PlanContext, opts: { refuse: boolean }): Promise<void> {
  const checks = new Set(layerEngines(ctx.env).flatMap((e) => (e.preflight ? [e.preflight] : [])));
  for (const check of checks) await check(ctx, opts);
}

/** Plans every layer (or those in `only`), in parallel. */
export async function planLayers(ctx: PlanContext, only?: readonly Layer[]): Promise<LayerPlan[]> {
  const engines = layerEngines(ctx.env).filter((e) => !only || only.includes(e.layer));
  // allSettled: when one layer fails, the others still finish before the caller cleans up.
  const settled = await Promise.allSettled(engines.map((engine) => planLayer(ctx, engine)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<LayerPlan>).value);
}

async function planLayer(ctx: PlanContext, engine: LayerEngine): Promise<LayerPlan> {
  if (engine.waitsForUpstream && engine.upstream && !(await upstreamApplied(ctx, engine.upstream))) {
    ctx.progress.step(ctx.env.path, engine.label, `waits for ${LABEL[engine.upstream]} to be applied`);
    return waitingPlan(ctx, engine);
  }
  return engine.plan(ctx);
}

/** Whether a layer has been applied at least once: its state records outputs. */
async function upstreamApplied(ctx: PlanContext, upstream: Layer): Promise<boolean> {
  const outputs = await layerEngine(ctx.env, upstream).outputs(ctx);
  return outputs !== undefined && Object.keys(outputs).length > 0;
}

function waitingPlan(ctx: PlanContext, engine: LayerEngine): LayerPlan {
  const upstream = LABEL[engine.upstream as Layer];
  const key = ctx.env.naming.stateKey(engine.upstream as Layer);
  const { label } = engine;
  return {
    layer: engine.layer,
    engine: engine.planEngine,
    status: 'waiting',
    body:
      `${label} waits for ${upstream} to be applied: it reads ${upstream}'s outputs from ` +
      `s3://${ctx.env.config.backend.bucket}/${key}, which does not exist yet. Apply ${upstream}, ` +
      `and the next apply (or plan) writes ${label}'s diff here for review.`,
    summary: summaryLine(label, { status: 'waiting', counts: {}, waitsFor: upstream }),
    actions: {},
    counts: {},
  };
}

/** The versions of every engine, for changes.json, in the order of the layers. */
export async function engineVersions(ctx: PlanContext): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const engine of layerEngines(ctx.env)) Object.assign(versions, await engine.versions(ctx));
  return { ...versions, ...(ctx.env.config.emulated ? { emulator: 'moto' } : {}) };
}
