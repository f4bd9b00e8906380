/**
 * Deploy-Apply: apply exactly the reviewed diff, layer by layer, and remove each layer's section
 * once it is deployed. Nothing is applied unless a fresh plan of every layer matches the digest
 * that `changes.json` recorded at review time, and nothing while a policy rule reports an error no
 * waiver covers, or the waivers changed since the plan. What to do with each layer is decided in
 * apply-decision.ts and carried out by apply-run.ts; this module checks the diff and the guards,
 * and gives that run the environment's engines.
 */
import * as path from 'node:path';
import { CHANGES_JSON, CHANGES_TXT, type ChangesRecord, type LayerPlan, readChanges, writeChanges } from '../diff/changes';
import { policyOfPlans } from '../policy/evaluate';
import { readWaivers, type Waivers } from '../policy/waivers';
import type { Environment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { applyingLayer } from './apply-failure';
import { throwIfInterrupted } from '../support/interrupt';
import { assertGuards, type GuardOptions } from './guards';
import type { Layer } from '../../config/naming';
import { layerEngines } from '../layers/index';
import { type PlanContext, withContext } from './context';
import { engineVersions, planLayers, runPreflights } from './plan';
import { previewDifference } from './preview-check';
import { type ApplyOutcome, type ApplyPorts, runApply } from './apply-run';
import type { Progress } from '../support/progress';
import { displayPath, type Workspace } from '../support/workspace';
import { type LedgerOptions, recordingDeployment } from '../ledger/records';

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
  // An expired or malformed waiver is refused before anything else.
  const waivers = readWaivers(env);
  await assertGuards(ws, env, 'apply', guards);
  // The ledger checks the claim first, then records what was deployed, also when the apply fails.
  return withContext(ws, env, progress, 'apply', (ctx) =>
    recordingDeployment(ctx, reviewed.record, guards, (applied) => applyReviewed(ctx, waivers, reviewed.record, applied)),
  );
}

/** Applies the reviewed layers in order, adding each to `applied` once its apply went through. */
async function applyReviewed(ctx: PlanContext, waivers: Waivers, record: ChangesRecord, applied: Set<Layer>): Promise<ApplyOutcome> {
  // Resources a killed run left outside the state would be created twice: adopt them first.
  await runPreflights(ctx, { refuse: true });
  return runApply(applyPorts(ctx, waivers), record, applied);
}

/** The engines, planner and diff files of the run's environment, as the apply run drives them. */
function applyPorts(ctx: PlanContext, waivers: Waivers): ApplyPorts {
  const { env } = ctx;
  const policy = (plans: readonly LayerPlan[]) => policyOfPlans(env, ctx.synth, waivers, plans);
  return {
    envPath: env.path,
    review: env.config.review,
    diffPath: displayPath(path.join(env.dir, CHANGES_TXT)),
    progress: ctx.progress,
    engines: layerEngines(env).map((engine) => ({
      layer: engine.layer,
      label: engine.label,
      upstream: engine.upstream,
      outputs: () => engine.outputs(ctx),
      apply: async () => {
        throwIfInterrupted();
        await applyingLayer(ctx, engine.layer, () => engine.apply(ctx));
      },
      previewDifference: (preview, real) => previewDifference(ctx, engine, preview, real),
    })),
    plan: (only) => planLayers(ctx, only),
    versions: () => engineVersions(ctx),
    waivers,
    policy,
    writeDiff: (tools, plans) => writeChanges(env.dir, env.path, tools, plans, policy(plans)),
  };
}
