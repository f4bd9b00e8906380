/**
 * The layers below one just applied. A saved terraform plan does not read `terraform_remote_state`
 * again when it is applied: KARR's saved plan holds FLAG's outputs as they were when KARR was
 * planned. So when applying a layer changes its outputs, the layers reading them are planned again
 * (which writes fresh plan files), and a fresh plan is applied only while it is still the reviewed
 * one; otherwise apply stops and writes it for review.
 */
import { isDeepStrictEqual } from 'node:util';
import { type LayerPlan, layerDigest } from '../diff/changes';
import type { PlanContext } from './context';
import { LAYERS, type Layer } from '../../config/naming';
import { downstreamOf, LABEL } from '../layers/index';
import type { StateOutputs } from '../state/terraform-state';
import { planLayers } from './plan';

/** Names of the outputs that appeared, disappeared or changed value (or type, or sensitivity). */
export function changedOutputs(before: StateOutputs, after: StateOutputs): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.filter((name) => !isDeepStrictEqual(before[name], after[name]));
}

export interface DownstreamReplan {
  /** The layers still to apply, in order, each re-planned layer's fresh plan in place of its old one. */
  readonly remaining: LayerPlan[];
  /** The re-planned layers whose fresh plan differs from the reviewed one; apply must stop for review. */
  readonly differing: LayerPlan[];
  /** Every layer planned again. */
  readonly replanned: LayerPlan[];
}

/**
 * Plans again the layers that read `upstream`'s outputs (not those still waiting for a first
 * plan, nor previews), after `upstream` was applied and its outputs named `moved` changed. `verified` are the plans apply
 * compared with the review, so a layer's verified digest is its reviewed one, also for a layer
 * reviewed as having no changes. `remaining` are the layers not yet applied.
 */
export async function replanDownstream(
  ctx: PlanContext,
  upstream: Layer,
  moved: readonly string[],
  verified: readonly LayerPlan[],
  remaining: readonly LayerPlan[],
): Promise<DownstreamReplan> {
  const layers = downstreamOf(upstream).filter((layer) => {
    const reviewed = verified.find((p) => p.layer === layer);
    // A waiting layer gets its first plan, and a previewed one its real plan, when apply reaches it.
    return reviewed !== undefined && reviewed.status !== 'waiting' && reviewed.status !== 'preview';
  });
  if (layers.length === 0) return { remaining: [...remaining], differing: [], replanned: [] };
  const names = layers.map((l) => LABEL[l]).join(' and ');
  const listed = moved.length > 4 ? `${moved.slice(0, 4).join(', ')} and ${moved.length - 4} more` : moved.join(', ');
  ctx.progress.step(ctx.env.path, LABEL[upstream], `outputs changed (${listed}); planning ${names} again, since a saved plan keeps the old ones`);
  const replanned = await planLayers(ctx, layers);
  const differing = replanned.filter((plan) => {
    const reviewed = verified.find((p) => p.layer === plan.layer) as LayerPlan;
    return layerDigest(plan) !== layerDigest(reviewed);
  });
  const next = [
    ...remaining.filter((p) => !layers.includes(p.layer)),
    // A layer reviewed and still planned as in sync has nothing to apply; one that now differs is
    // kept whatever its status, so that its new section is written for review.
    ...replanned.filter((p) => p.status !== 'no-changes' || differing.includes(p)),
  ].sort((a, b) => LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer));
  return { remaining: next, differing, replanned };
}
