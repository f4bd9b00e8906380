/**
 * What apply does with one layer, decided from what is known of it at that point of the run: the
 * reviewed plan, the plan made before anything was applied, what its upstream's apply did, and,
 * once the layer was planned again, that plan. `decideLayer` is pure; the apply run (apply-run.ts)
 * asks it each time it learns something of a layer, and carries out the answer.
 *
 * It reads statuses, digests and the engine's verdict on a preview, never a plan's text or counts:
 * whether two plans are the same is the digest's business, whether a real plan makes a preview's
 * changes the engine's.
 */
import type { Environment } from '../../config/load';
import type { LayerStatus } from '../diff/changes';

/** What the decision reads of a plan. */
export interface PlanFacts {
  /** `waiting`: the layer waits for its upstream; `preview`: planned against the upstream's planned outputs. */
  readonly status: LayerStatus;
  /** The plan's digest, as changes.json records it. */
  readonly digest: string;
}

/** The environment's `review` setting: one review for the whole cake, or one per layer's real plan. */
export type ReviewMode = Environment['config']['review'];

/** What is known of one layer at one point of an apply run. */
export interface LayerFacts {
  /**
   * The layer's section of the reviewed diff (changes.json). Undefined when the section left the
   * diff because an earlier apply deployed the layer, which must then plan with no changes.
   */
  readonly reviewed?: PlanFacts;
  /** The plan this run made of the layer before applying anything, to compare with the review. */
  readonly fresh: PlanFacts;
  /**
   * Whether the upstream was applied in this run and its outputs changed, after `fresh` was
   * planned: a saved plan keeps the upstream outputs it was planned with. @default false
   */
  readonly upstreamOutputsMoved?: boolean;
  /** The layer's plan made again in this run, after its upstream was applied. @default not planned again */
  readonly replan?: PlanFacts;
  /**
   * For a previewed layer planned again: the engine's answer to why that real plan is not the
   * reviewed preview. @default the real plan makes the preview's changes
   */
  readonly previewDifference?: string;
  readonly review: ReviewMode;
}

/** What apply does next with the layer. */
export type ApplyDecision =
  /**
   * Apply the plan file of the layer's latest plan: `reviewed`, the plan made before anything was
   * applied; `replan`, the plan made again after the upstream's outputs moved, which is still the
   * reviewed one; `preview-real`, the real plan of a preview, which makes the preview's changes.
   */
  | { readonly kind: 'apply'; readonly plan: 'reviewed' | 'replan' | 'preview-real' }
  /**
   * Nothing to do; the layer leaves the diff: `in-sync`, it plans no changes; `replan-in-sync`, it
   * still plans none against the upstream's moved outputs; `preview-real-in-sync`, a preview whose
   * real plan has no changes.
   */
  | { readonly kind: 'skip'; readonly why: 'in-sync' | 'replan-in-sync' | 'preview-real-in-sync' }
  /**
   * Plan the layer again: `waited`, it could not be planned before its upstream was applied;
   * `preview`, it was previewed and its upstream is applied, so it gets its real plan;
   * `outputs-moved`, its saved plan holds the upstream's old outputs.
   */
  | { readonly kind: 'plan-again'; readonly why: 'waited' | 'preview' | 'outputs-moved' }
  /**
   * Stop before the layer, and write its latest plan for review: `per-layer` and `preview-differs`
   * are a previewed layer's real plan, with `reason` to print; `waited` is a layer planned for
   * the first time; `outputs-moved`, a plan made again against moved outputs that is no longer
   * the reviewed one.
   */
  | { readonly kind: 'review'; readonly why: 'per-layer' | 'preview-differs'; readonly reason: string }
  | { readonly kind: 'review'; readonly why: 'waited' | 'outputs-moved' }
  /** The plan made before anything was applied is not the reviewed one: the review is stale. */
  | { readonly kind: 'refuse' };

function samePlan(a: PlanFacts, b: PlanFacts): boolean {
  return a.status === b.status && a.digest === b.digest;
}

/** Decides what apply does next with one layer, from what is known of it (see `ApplyDecision`). */
export function decideLayer(facts: LayerFacts): ApplyDecision {
  const { fresh, replan } = facts;
  // A layer whose section left the diff was deployed by an earlier apply: it must be in sync.
  const reviewed = facts.reviewed ?? (fresh.status === 'no-changes' ? fresh : undefined);
  if (!reviewed || !samePlan(reviewed, fresh)) return { kind: 'refuse' };

  switch (fresh.status) {
    case 'waiting':
      // Nobody has reviewed this layer yet: its first plan, whatever it says, is for review.
      return replan ? { kind: 'review', why: 'waited' } : { kind: 'plan-again', why: 'waited' };
    case 'preview':
      if (!replan) return { kind: 'plan-again', why: 'preview' };
      if (replan.status === 'no-changes') return { kind: 'skip', why: 'preview-real-in-sync' };
      if (facts.review === 'per-layer') {
        return { kind: 'review', why: 'per-layer', reason: "the environment asks for a review of every layer's real plan (review: per-layer)" };
      }
      if (facts.previewDifference) {
        return { kind: 'review', why: 'preview-differs', reason: `the real plan differs from the reviewed preview: ${facts.previewDifference}` };
      }
      return { kind: 'apply', plan: 'preview-real' };
    case 'changes':
    case 'no-changes':
      if (replan) {
        if (!samePlan(reviewed, replan)) return { kind: 'review', why: 'outputs-moved' };
        return replan.status === 'no-changes' ? { kind: 'skip', why: 'replan-in-sync' } : { kind: 'apply', plan: 'replan' };
      }
      if (facts.upstreamOutputsMoved) return { kind: 'plan-again', why: 'outputs-moved' };
      return fresh.status === 'no-changes' ? { kind: 'skip', why: 'in-sync' } : { kind: 'apply', plan: 'reviewed' };
  }
}
