/**
 * Deploy-Apply: apply exactly the reviewed diff, layer by layer, and remove each layer's section
 * once it is deployed. Nothing is applied unless a fresh plan of every layer matches the digest
 * that `changes.json` recorded at review time.
 */
import * as path from 'node:path';
import { CHANGES_JSON, CHANGES_TXT, type ChangesRecord, type LayerPlan, layerDigest, readChanges, writeChanges } from '../diff/changes';
import type { Environment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { applyingLayer } from './apply-failure';
import { throwIfInterrupted } from '../support/interrupt';
import { changedOutputs, replanDownstream } from './downstream';
import { assertGuards, type GuardOptions } from './guards';
import { LAYERS, type Layer } from '../../config/naming';
import { summaryLine, summaryWords } from '../diff/summary';
import { LABEL, layerEngines } from '../layers/index';
import { type PlanContext, withContext } from './context';
import { engineVersions, planLayers, runPreflights } from './plan';
import { realPlanForPreview } from './preview-check';
import type { Progress } from '../support/progress';
import { displayPath, type Workspace } from '../support/workspace';
import { type LedgerOptions, recordingDeployment } from '../ledger/records';

export type ApplyOutcome = 'nothing-to-apply' | 'applied' | 'applied-more-to-review';

export async function applyEnvironment(ws: Workspace, env: Environment, guards: GuardOptions & LedgerOptions, progress: Progress): Promise<ApplyOutcome> {
  const reviewed = readChanges(env.dir);
  if (!reviewed) {
    progress.step(
      env.path,
      'APPLY',
      `no reviewed diff: ${displayPath(path.join(env.dir, CHANGES_TXT))} does not exist. Nothing to do. ` +
        `To see whether the environment differs from its config, run \`npm run plan -- --env ${env.path}\`, review the diff it writes, and apply that.`,
    );
    return 'nothing-to-apply';
  }
  if (reviewed.record.environment !== env.path) {
    throw new BddaError(
      `${displayPath(path.join(env.dir, CHANGES_JSON))} is the diff of ${reviewed.record.environment}, not of ${env.path}; it was copied or edited. ` +
        `Nothing was applied. Run \`npm run plan -- --env ${env.path}\`, review the diff, and apply that.`,
    );
  }
  await assertGuards(ws, env, 'apply', guards);
  // The ledger checks the claim first, then records what was deployed, also when the apply fails.
  return withContext(ws, env, progress, 'apply', (ctx) =>
    recordingDeployment(ctx, reviewed.record, guards, (applied) => applyReviewed(ctx, reviewed.record, applied)),
  );
}

/** Applies the reviewed layers in order, adding each to `applied` once its apply went through. */
async function applyReviewed(ctx: PlanContext, record: ChangesRecord, applied: Set<Layer>): Promise<ApplyOutcome> {
  const { env, progress } = ctx;
  // Resources a killed run left outside the state would be created twice: adopt them first.
  await runPreflights(ctx, { refuse: true });
  progress.step(env.path, 'VERIFY', 'planning every layer again to compare with the reviewed diff');
  const fresh = await planLayers(ctx);
  assertMatchesReview(env, record, fresh);
  const tools = await engineVersions(ctx);

  let remaining = fresh.filter((p) => p.status !== 'no-changes');
  const replanned: Layer[] = [];
  for (const engine of layerEngines(env)) {
    const { layer, label } = engine;
    const plan = remaining.find((p) => p.layer === layer);
    if (!plan) continue;
    if (plan.status === 'waiting') {
      // Nobody has reviewed this layer yet; its upstream may be applied now, so plan it for review.
      replanned.push(...LAYERS.slice(LAYERS.indexOf(layer)).filter((l) => remaining.some((p) => p.layer === l && p.status === 'waiting')));
      break;
    }
    let applying = plan;
    if (plan.status === 'preview') {
      // The preview was the review; apply only a real plan that makes the same changes.
      const outcome = await realPlanForPreview(ctx, engine, plan);
      if (outcome.real.status === 'no-changes') {
        remaining = remaining.filter((p) => p.layer !== layer);
        writeChanges(env.dir, env.path, tools, remaining);
        progress.step(env.path, label, 'planned for real: no changes, so nothing to apply; its section left changes.txt');
        continue;
      }
      // The real plan takes the preview's place: it is reviewed next, or, if its apply fails, the next apply verifies against it.
      remaining = remaining.map((p) => (p.layer === layer ? outcome.real : p));
      if (outcome.kind === 'review') return stopForPreviewReview(ctx, tools, remaining, layer, outcome.reason);
      writeChanges(env.dir, env.path, tools, remaining);
      progress.step(env.path, label, 'the real plan makes the changes of the reviewed preview; applying it');
      applying = outcome.real;
    }
    progress.step(env.path, label, `applying (${summaryWords(applying)})`);
    const started = Date.now();
    // The saved plans of the layers below hold this layer's outputs as they are now; see downstream.ts.
    const outputsBefore = await engine.outputs(ctx);
    throwIfInterrupted();
    await applyingLayer(ctx, layer, () => engine.apply(ctx));
    applied.add(layer);
    remaining = remaining.filter((p) => p.layer !== layer);
    writeChanges(env.dir, env.path, tools, remaining);
    progress.step(env.path, label, `applied (${((Date.now() - started) / 1000).toFixed(1)}s); its section left changes.txt`);
    const outputsAfter = outputsBefore && (await engine.outputs(ctx));
    const moved = outputsBefore && outputsAfter ? changedOutputs(outputsBefore, outputsAfter) : [];
    if (moved.length > 0) {
      const replan = await replanDownstream(ctx, layer, moved, fresh, remaining);
      remaining = replan.remaining;
      if (replan.differing.length > 0) return stopForReview(ctx, tools, remaining, layer, replan.differing);
    }
  }

  if (replanned.length === 0) {
    progress.step(env.path, 'APPLY', 'every layer is deployed; changes.txt and changes.json were removed');
    return 'applied';
  }
  const newPlans = await planLayers(ctx, replanned);
  remaining = [...remaining.filter((p) => !replanned.includes(p.layer)), ...newPlans].sort((a, b) => LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer));
  const outcome = writeChanges(env.dir, env.path, tools, remaining);
  if (outcome === 'removed') {
    progress.step(env.path, 'APPLY', 'every layer is deployed; changes.txt and changes.json were removed');
    return 'applied';
  }
  const names = newPlans.map((p) => LABEL[p.layer]).join(' and ');
  const verb = newPlans.length > 1 ? 'were' : 'was';
  progress.step(
    env.path,
    'APPLY',
    `stopped: ${names} ${verb} waiting for the layer just applied and ${verb} planned now. Review the new diff in changes.txt, commit it, and run apply again.`,
  );
  return 'applied-more-to-review';
}

/** Writes the layers not yet applied, with the re-planned ones that now differ, for review. */
function stopForReview(
  ctx: PlanContext,
  tools: Record<string, string>,
  remaining: readonly LayerPlan[],
  upstream: Layer,
  differing: readonly LayerPlan[],
): ApplyOutcome {
  const { env, progress } = ctx;
  if (writeChanges(env.dir, env.path, tools, remaining) === 'removed') {
    progress.step(env.path, 'APPLY', 'every layer is deployed; changes.txt and changes.json were removed');
    return 'applied';
  }
  const names = differing.map((p) => LABEL[p.layer]).join(' and ');
  const [verb, has] = differing.length > 1 ? ['differ', 'have'] : ['differs', 'has'];
  progress.step(
    env.path,
    'APPLY',
    `stopped: ${LABEL[upstream]}'s outputs changed, and ${names}, planned again against them, now ${verb} from the reviewed diff, so ${names} ${has} not been applied. ` +
      'Review the new diff in changes.txt, commit it, and run apply again.',
  );
  return 'applied-more-to-review';
}

/** Writes the layers not yet applied, a previewed layer's real plan among them, for review. */
function stopForPreviewReview(ctx: PlanContext, tools: Record<string, string>, remaining: readonly LayerPlan[], layer: Layer, reason: string): ApplyOutcome {
  const { env, progress } = ctx;
  writeChanges(env.dir, env.path, tools, remaining);
  progress.step(
    env.path,
    'APPLY',
    `stopped before ${LABEL[layer]}: ${reason}. Nothing of ${LABEL[layer]} was applied. ` +
      `Its real diff is now in ${displayPath(path.join(env.dir, CHANGES_TXT))}: review it, commit it, and run apply again.`,
  );
  return 'applied-more-to-review';
}

/** Refuses to apply when any layer's fresh plan differs from the reviewed one. */
function assertMatchesReview(env: Environment, record: ChangesRecord, fresh: readonly LayerPlan[]): void {
  for (const layer of LAYERS) {
    const reviewed = record.layers.find((l) => l.layer === layer);
    const now = fresh.find((p) => p.layer === layer);
    const reviewedDigest = reviewed?.digest;
    // A layer missing from the record was applied already (its section left the file); it must be in sync.
    const expected = reviewedDigest ?? (now && now.status === 'no-changes' ? layerDigest(now) : undefined);
    if (now && expected !== layerDigest(now)) {
      const was = reviewed ? reviewed.summary : summaryLine(LABEL[layer], { status: 'no-changes', counts: {} });
      throw new BddaError(
        `The reviewed diff of ${env.path} is stale: ${LABEL[layer]} now plans differently from what changes.txt shows ` +
          `(reviewed: "${was}", now: "${now.summary}"). Someone applied, the infrastructure drifted, or the config changed since the plan. ` +
          `Nothing was applied. Run \`npm run plan -- --env ${env.path}\`, review the new diff, and apply that.`,
      );
    }
  }
}
