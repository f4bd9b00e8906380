/**
 * Whole-cake previews. When a layer's upstream has changes, or no state yet, the layer cannot be
 * planned against what its upstream will be, only against what it is. So plan previews it: the
 * layer's engine plans it against the upstream's *planned* outputs, with a placeholder for each
 * value the upstream's plan leaves unknown. One review then shows a change's effect on every layer.
 *
 * A preview is for people and is never applied. Once the upstream is applied, apply plans the
 * layer for real and applies that plan only when it makes the same changes as the reviewed preview
 * (preview-check.ts); otherwise, or when the environment wants `review: per-layer`, it stops
 * and writes the real diff for review. When no preview can be made, the layer waits, as it did
 * before previews, and its section says why.
 */
import type { Layer } from '../../config/naming';
import type { LayerPlan } from '../diff/changes';
import { summaryLine, summaryWords } from '../diff/summary';
import { EMPTY_PLAN } from '../diff/typed-plan';
import { type LayerEngine, PreviewUnavailable, type UpstreamForPreview } from '../layers/engine';
import { LABEL } from '../layers/index';
import type { PlanContext } from './context';

/** The layer's preview, or, when none can be made, its wait for the upstream with the reason. */
export async function previewOrWait(ctx: PlanContext, engine: LayerEngine, upstream: UpstreamForPreview): Promise<LayerPlan> {
  if (!engine.preview) return waitingPlan(ctx, engine);
  try {
    const started = Date.now();
    const plan = await engine.preview(ctx, upstream);
    // A preview of no changes is a preview too: the upstream's apply may yet change that.
    const previewed: LayerPlan = {
      ...plan,
      status: 'preview',
      summary: summaryLine(engine.label, { status: 'preview', counts: plan.counts, waitsFor: upstream.engine.label }),
    };
    ctx.progress.step(
      ctx.env.path,
      engine.label,
      `${summaryWords({ ...previewed, waitsFor: upstream.engine.label })}. (${((Date.now() - started) / 1000).toFixed(1)}s)`,
    );
    return previewed;
  } catch (err) {
    if (!(err instanceof PreviewUnavailable)) throw err;
    ctx.progress.step(ctx.env.path, engine.label, `no preview: ${err.message}`);
    return waitingPlan(ctx, engine, err.message);
  }
}

/** A layer that cannot be planned before its upstream is applied; `reason` says why no preview was made. */
export function waitingPlan(ctx: PlanContext, engine: LayerEngine, reason?: string): LayerPlan {
  const upstream = LABEL[engine.upstream as Layer];
  const key = ctx.env.naming.stateKey(engine.upstream as Layer);
  const { label } = engine;
  if (!reason) ctx.progress.step(ctx.env.path, label, `waits for ${upstream} to be applied`);
  const why = reason
    ? `no preview could be made against ${upstream}'s planned outputs (${reason}).`
    : `it reads ${upstream}'s outputs from s3://${ctx.env.config.backend.bucket}/${key}, which does not exist yet.`;
  return {
    layer: engine.layer,
    engine: engine.planEngine,
    status: 'waiting',
    body: `${label} waits for ${upstream} to be applied: ${why} Apply ${upstream}, and the next apply (or plan) writes ${label}'s diff here for review.`,
    summary: summaryLine(label, { status: 'waiting', counts: {}, waitsFor: upstream }),
    plan: EMPTY_PLAN,
    actions: {},
    counts: {},
  };
}
