/**
 * Apply's side of a preview (preview.ts): once the upstream is applied, the previewed layer is
 * planned for real, and that plan is compared with the reviewed preview. Only a real plan that
 * makes the same changes is applied on the strength of the preview (apply-decision.ts).
 */
import type { Layer } from '../../config/naming';
import type { LayerPlan } from '../diff/changes';
import { actionDifference } from '../diff/preview-match';
import type { LayerEngine } from '../layers/engine';
import { layerEngine } from '../layers/index';
import type { PlanContext } from './plan-context';

/**
 * Why `real`, the layer's plan made once its upstream was applied, is not the reviewed `preview`,
 * as the layer's engine sees it against the upstream's outputs as now applied; undefined when the
 * real plan makes the preview's changes.
 */
export async function previewDifference(ctx: PlanContext, engine: LayerEngine, preview: LayerPlan, real: LayerPlan): Promise<string | undefined> {
  const upstream = layerEngine(ctx.env, preview.preview?.upstream ?? (engine.upstream as Layer));
  const outputs = await upstream.outputs(ctx);
  return engine.previewDifference ? engine.previewDifference(preview, real, { label: upstream.label, outputs }) : actionDifference(preview, real);
}
