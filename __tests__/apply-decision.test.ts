/**
 * Apply's decision for one layer (bdda/workflow/apply-decision.ts) as a table: each row is a
 * scenario, what is known of the layer at that point of the run, and what apply does next.
 */
import { type ApplyDecision, decideLayer, type LayerFacts, type PlanFacts } from '../bdda/workflow/apply-decision';

const changes = (digest = 'reviewed'): PlanFacts => ({ status: 'changes', digest });
const inSync = (digest = 'in-sync'): PlanFacts => ({ status: 'no-changes', digest });
const preview = (digest = 'preview'): PlanFacts => ({ status: 'preview', digest });
const waiting = (digest = 'waiting'): PlanFacts => ({ status: 'waiting', digest });

/** A layer reviewed as `reviewed` whose fresh plan is the same, under whole-cake review. */
function facts(reviewed: PlanFacts | undefined, more: Partial<LayerFacts> = {}): LayerFacts {
  return { reviewed, fresh: reviewed ?? inSync(), review: 'whole-cake', ...more };
}

const PER_LAYER_REASON = "the environment asks for a review of every layer's real plan (review: per-layer)";

const table: ReadonlyArray<[string, LayerFacts, ApplyDecision]> = [
  // Verification: the plan made before anything is applied must be the reviewed one.
  ['a layer whose fresh plan is the reviewed one with changes: its saved plan is applied', facts(changes()), { kind: 'apply', plan: 'reviewed' }],
  ['a layer reviewed as in sync that still is: nothing to do', facts(inSync()), { kind: 'skip', why: 'in-sync' }],
  [
    'a layer an earlier apply deployed (its section left the diff) that plans no changes: nothing to do',
    facts(undefined, { fresh: inSync() }),
    { kind: 'skip', why: 'in-sync' },
  ],
  ['a layer an earlier apply deployed that now plans changes: stale', facts(undefined, { fresh: changes('drifted') }), { kind: 'refuse' }],
  ['a layer whose fresh plan has another digest than the reviewed one: stale', facts(changes(), { fresh: changes('drifted') }), { kind: 'refuse' }],
  ['a layer reviewed with changes that now plans none: stale', facts(changes(), { fresh: inSync() }), { kind: 'refuse' }],
  ['a layer reviewed as in sync that now plans changes: stale', facts(inSync(), { fresh: changes() }), { kind: 'refuse' }],
  ['a layer reviewed as a preview that now waits for its upstream: stale', facts(preview(), { fresh: waiting() }), { kind: 'refuse' }],
  [
    'a stale layer is refused whatever happened upstream',
    facts(changes(), { fresh: changes('drifted'), upstreamOutputsMoved: true, replan: changes() }),
    { kind: 'refuse' },
  ],
  // The upstream was applied in this run and its outputs moved: a saved plan holds the old ones.
  [
    "a layer with changes whose upstream's outputs moved: planned again",
    facts(changes(), { upstreamOutputsMoved: true }),
    { kind: 'plan-again', why: 'outputs-moved' },
  ],
  [
    "a layer in sync whose upstream's outputs moved: planned again",
    facts(inSync(), { upstreamOutputsMoved: true }),
    { kind: 'plan-again', why: 'outputs-moved' },
  ],
  [
    'planned again against the moved outputs and still the reviewed plan: the fresh plan file is applied',
    facts(changes(), { upstreamOutputsMoved: true, replan: changes() }),
    { kind: 'apply', plan: 'replan' },
  ],
  [
    'planned again against the moved outputs and still in sync: nothing to do',
    facts(inSync(), { upstreamOutputsMoved: true, replan: inSync() }),
    { kind: 'skip', why: 'replan-in-sync' },
  ],
  [
    'planned again against the moved outputs and now different: stop for review',
    facts(changes(), { upstreamOutputsMoved: true, replan: changes('replaced') }),
    { kind: 'review', why: 'outputs-moved' },
  ],
  [
    'reviewed as in sync, planned again against the moved outputs and now with changes: stop for review',
    facts(inSync(), { upstreamOutputsMoved: true, replan: changes() }),
    { kind: 'review', why: 'outputs-moved' },
  ],
  [
    'reviewed with changes, planned again against the moved outputs and now with none: stop for review',
    facts(changes(), { upstreamOutputsMoved: true, replan: inSync() }),
    { kind: 'review', why: 'outputs-moved' },
  ],
  // A layer that waits for its upstream has never been reviewed.
  ['a waiting layer, reached once its upstream is applied: planned for the first time', facts(waiting()), { kind: 'plan-again', why: 'waited' }],
  [
    "a waiting layer whose upstream's outputs moved: planned for the first time, not against the moved outputs",
    facts(waiting(), { upstreamOutputsMoved: true }),
    { kind: 'plan-again', why: 'waited' },
  ],
  ['a waiting layer planned now with changes: its first plan is for review', facts(waiting(), { replan: changes('first') }), { kind: 'review', why: 'waited' }],
  [
    'a waiting layer planned now with no changes: its plan is still written for review',
    facts(waiting(), { replan: inSync() }),
    { kind: 'review', why: 'waited' },
  ],
  // A preview was planned against the upstream's planned outputs; only a real plan is applied.
  ['a preview, reached once its upstream is applied: planned for real', facts(preview()), { kind: 'plan-again', why: 'preview' }],
  [
    "a preview whose upstream's outputs moved: planned for real, not against the moved outputs",
    facts(preview(), { upstreamOutputsMoved: true }),
    { kind: 'plan-again', why: 'preview' },
  ],
  [
    'a preview whose real plan makes its changes, reviewed whole-cake: the real plan is applied',
    facts(preview(), { replan: changes('real') }),
    { kind: 'apply', plan: 'preview-real' },
  ],
  [
    'a preview whose real plan differs: stop before it, saying where',
    facts(preview(), { replan: changes('real'), previewDifference: 'aws_eks_node_group.system is replace in the preview but update in the real plan' }),
    {
      kind: 'review',
      why: 'preview-differs',
      reason: 'the real plan differs from the reviewed preview: aws_eks_node_group.system is replace in the preview but update in the real plan',
    },
  ],
  [
    'a preview whose real plan has no changes: nothing to do',
    facts(preview(), { replan: inSync(), previewDifference: 'aws_iam_role.node is create in the preview but absent from the real plan' }),
    { kind: 'skip', why: 'preview-real-in-sync' },
  ],
  [
    'a preview whose real plan makes its changes, reviewed per layer: stop for the real plan to be reviewed',
    facts(preview(), { replan: changes('real'), review: 'per-layer' }),
    { kind: 'review', why: 'per-layer', reason: PER_LAYER_REASON },
  ],
  [
    'a preview whose real plan differs, reviewed per layer: stop for the real plan to be reviewed',
    facts(preview(), { replan: changes('real'), review: 'per-layer', previewDifference: 'line 3 of the plan reads "x" where the preview read "y"' }),
    { kind: 'review', why: 'per-layer', reason: PER_LAYER_REASON },
  ],
  [
    'a preview whose real plan has no changes, reviewed per layer: nothing to review, nothing to do',
    facts(preview(), { replan: inSync(), review: 'per-layer' }),
    { kind: 'skip', why: 'preview-real-in-sync' },
  ],
  // The review mode matters only to previews.
  ['a layer with changes reviewed per layer: its saved plan is applied', facts(changes(), { review: 'per-layer' }), { kind: 'apply', plan: 'reviewed' }],
];

describe("apply's decision for one layer", () => {
  test.each(table)('%s', (_scenario, given, expected) => {
    expect(decideLayer(given)).toEqual(expected);
  });
});
