/**
 * Deploy-Apply: apply exactly the reviewed diff, layer by layer, and remove each layer's section
 * once it is deployed. Nothing is applied unless a fresh plan of every layer matches the digest
 * that `changes.json` recorded at review time.
 */
import { type ChangesRecord, type LayerPlan, layerDigest, readChanges, writeChanges } from './changes';
import type { Environment } from './config/load';
import { BddaError } from './errors';
import { applyGoliath } from './goliath-apply';
import { assertGuards, type GuardOptions } from './guards';
import { LAYERS, type Layer } from './naming';
import { LABEL, type PlanContext, planFile, terraformFor, withContext } from './context';
import { engineVersions, planLayers } from './plan';
import type { Progress } from './progress';
import type { Workspace } from './workspace';

export type ApplyOutcome = 'nothing-to-apply' | 'applied' | 'applied-more-to-review';

export async function applyEnvironment(ws: Workspace, env: Environment, guards: GuardOptions, progress: Progress): Promise<ApplyOutcome> {
  const reviewed = readChanges(env.dir);
  if (!reviewed) {
    progress.step(env.path, 'APPLY', 'no changes.txt: the environment has no undeployed changes. Nothing to do.');
    return 'nothing-to-apply';
  }
  if (reviewed.record.environment !== env.path) {
    throw new BddaError(`${env.path}/changes.json is the diff of ${reviewed.record.environment}, not of ${env.path}. Run plan again.`);
  }
  await assertGuards(ws, env, 'apply', guards);
  return withContext(ws, env, progress, 'apply', (ctx) => applyReviewed(ctx, reviewed.record));
}

async function applyReviewed(ctx: PlanContext, record: ChangesRecord): Promise<ApplyOutcome> {
  const { env, progress } = ctx;
  progress.step(env.path, 'VERIFY', 'planning every layer again to compare with the reviewed diff');
  const fresh = await planLayers(ctx);
  assertMatchesReview(env, record, fresh);
  const tools = await engineVersions(ctx);

  let remaining = fresh.filter((p) => p.status !== 'no-changes');
  const replanned: Layer[] = [];
  for (const layer of LAYERS) {
    const plan = remaining.find((p) => p.layer === layer);
    if (!plan) continue;
    if (plan.status === 'waiting') {
      // Nobody has reviewed this layer yet; its upstream may be applied now, so plan it for review.
      replanned.push(...LAYERS.slice(LAYERS.indexOf(layer)).filter((l) => remaining.some((p) => p.layer === l && p.status === 'waiting')));
      break;
    }
    progress.step(env.path, LABEL[layer], `applying (${plan.summary.replace(/^\w+: /, '')})`);
    const started = Date.now();
    if (layer === 'goliath') await applyGoliath(ctx);
    else await terraformFor(ctx, layer).apply(planFile(ctx, layer), progress.passthrough);
    remaining = remaining.filter((p) => p.layer !== layer);
    writeChanges(env.dir, env.path, tools, remaining);
    progress.step(env.path, LABEL[layer], `applied (${((Date.now() - started) / 1000).toFixed(1)}s); its section left changes.txt`);
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
  progress.step(env.path, 'APPLY', `stopped: ${names} ${verb} waiting for the layer just applied and ${verb} planned now. Review the new diff in changes.txt, commit it, and run apply again.`);
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
      const was = reviewed ? reviewed.summary : `${LABEL[layer]}: no changes.`;
      throw new BddaError(
        `The reviewed diff of ${env.path} is stale: ${LABEL[layer]} now plans differently from what changes.txt shows ` +
          `(reviewed: "${was}", now: "${now.summary}"). Someone applied, the infrastructure drifted, or the config changed since the plan. ` +
          `Nothing was applied. Run \`npm run plan -- --env ${env.path}\`, review the new diff, and apply that.`,
      );
    }
  }
}
