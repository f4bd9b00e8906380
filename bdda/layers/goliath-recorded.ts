/**
 * Goliath on an emulated environment: no API server exists there, so the manifests recorded in
 * the state bucket at the last apply are the cluster's state. Plan diffs the chart against that
 * record; apply writes the chart as the new record; destroy deletes it.
 */
import * as fs from 'node:fs';
import type { Layer } from '../../config/naming';
import { type LayerPlan, layerPlan } from '../diff/changes';
import { diffManifests, objectAddress, parseManifests } from '../diff/kubernetes-diff';
import { summaryWords } from '../diff/summary';
import type { PlanContext } from '../workflow/plan-context';
import { manifestFile } from '../workflow/synth-output';
import type { DestroyPlan, LayerEngine } from './engine';

/** The manifests the layer's chart wants now. */
export function desiredManifests(ctx: PlanContext, layer: Layer): string {
  return fs.readFileSync(manifestFile(ctx.synth, layer), 'utf8');
}

/** The manifests recorded at the last apply; undefined before the first. */
export function recordedManifests(ctx: PlanContext, layer: Layer): Promise<string | undefined> {
  return ctx.target.backend.getObject(ctx.env.naming.stateKey(layer));
}

/** The listing `destroy` shows for recorded objects: `GOLIATH: 3 objects (v1 Namespace a, ...)`. */
export async function recordedDestroyPlan(ctx: PlanContext, engine: LayerEngine): Promise<DestroyPlan> {
  const recorded = parseManifests(await recordedManifests(ctx, engine.layer));
  const shown = recorded.slice(0, 5).map(objectAddress).join(', ');
  return {
    layer: engine.layer,
    deployed: recorded.length > 0,
    listing: `  ${engine.label}: ${recorded.length} objects${recorded.length ? ` (${shown}${recorded.length > 5 ? ', ...' : ''})` : ''}`,
    progressNote: 'deleting',
  };
}

/** Times a Goliath plan and reports it as the terraform layers report theirs. */
export async function timedPlan(ctx: PlanContext, engine: LayerEngine, fn: () => Promise<LayerPlan>): Promise<LayerPlan> {
  const started = Date.now();
  const plan = await fn();
  const seconds = (Date.now() - started) / 1000;
  ctx.timings.push({ stage: `plan ${engine.layer}`, seconds, engineSeconds: 0 });
  ctx.progress.step(ctx.env.path, engine.label, `${summaryWords(plan)}. (${seconds.toFixed(1)}s)`);
  return plan;
}

/** The plan of going from the `recorded` manifests (none: an empty cluster) to the `desired` ones. */
export function manifestPlan(engine: LayerEngine, recorded: string | undefined, desired: string): LayerPlan {
  const { body, plan } = diffManifests(recorded, desired);
  const status = plan.changes.length > 0 ? 'changes' : 'no-changes';
  return layerPlan({ layer: engine.layer, label: engine.label, engine: engine.planEngine, status, body, plan, removal: 'delete' });
}

export class RecordedGoliathEngine implements LayerEngine {
  readonly planEngine = 'diff against the recorded manifests';
  /** The record is the whole truth: nothing of KARR is read to plan it. */
  readonly waitsForUpstream = false;

  constructor(
    readonly layer: Layer,
    readonly label: string,
    readonly upstream?: Layer,
  ) {}

  plan(ctx: PlanContext): Promise<LayerPlan> {
    return timedPlan(ctx, this, async () => manifestPlan(this, await recordedManifests(ctx, this.layer), desiredManifests(ctx, this.layer)));
  }

  async apply(ctx: PlanContext): Promise<void> {
    await ctx.target.backend.putObject(ctx.env.naming.stateKey(this.layer), desiredManifests(ctx, this.layer), 'application/yaml');
  }

  planDestroy(ctx: PlanContext): Promise<DestroyPlan> {
    return recordedDestroyPlan(ctx, this);
  }

  async destroy(ctx: PlanContext): Promise<void> {
    await ctx.target.backend.deleteObject(ctx.env.naming.stateKey(this.layer));
  }

  async outputs(): Promise<undefined> {
    return undefined;
  }

  async versions(): Promise<Record<string, string>> {
    return {};
  }
}
