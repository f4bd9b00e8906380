/**
 * Apply's side of a preview (preview.ts): once the upstream is applied, the previewed layer is
 * planned for real, and that plan is compared with the reviewed preview. Only a real plan that
 * makes the same changes is applied on the strength of the preview.
 */
import type { Layer } from '../../config/naming';
import type { LayerPlan } from '../diff/changes';
import { actionDifference } from '../diff/preview-match';
import type { LayerEngine } from '../layers/engine';
import { layerEngine } from '../layers/index';
import type { PlanContext } from './plan-context';
import { planLayers } from './plan';

/** What became of a reviewed preview once its upstream was applied. */
export type PreviewOutcome =
  /** The real plan (saved, ready to apply) makes the reviewed changes. */
  | { readonly kind: 'matches'; readonly real: LayerPlan }
  /** The real plan must be reviewed: `reason` says why. */
  | { readonly kind: 'review'; readonly real: LayerPlan; readonly reason: string };

/**
 * Plans a previewed layer for real, its upstream being applied now, and compares that plan with
 * the reviewed preview.
 */
export async function realPlanForPreview(ctx: PlanContext, engine: LayerEngine, preview: LayerPlan): Promise<PreviewOutcome> {
  const upstreamLayer = preview.preview?.upstream ?? (engine.upstream as Layer);
  const upstream = layerEngine(ctx.env, upstreamLayer);
  ctx.progress.step(ctx.env.path, engine.label, `planning for real now that ${upstream.label} is applied, to compare with the reviewed preview`);
  const [real] = await planLayers(ctx, [engine.layer]);
  if (ctx.env.config.review === 'per-layer') {
    return { kind: 'review', real, reason: `the environment asks for a review of every layer's real plan (review: per-layer)` };
  }
  const outputs = await upstream.outputs(ctx);
  const difference = engine.previewDifference ? engine.previewDifference(preview, real, { label: upstream.label, outputs }) : actionDifference(preview, real);
  return difference ? { kind: 'review', real, reason: `the real plan differs from the reviewed preview: ${difference}` } : { kind: 'matches', real };
}
