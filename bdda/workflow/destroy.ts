/**
 * Tear an environment down, in reverse order: Goliath, then KARR, then FLAG. What will go is
 * shown first and confirmed (or `--yes` off a terminal). A later plan shows everything as new.
 */
import * as path from 'node:path';
import { CHANGES_JSON, CHANGES_TXT } from '../diff/changes';
import type { Environment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { removeFile } from '../support/fs-atomic';
import { layerEngines } from '../layers/index';
import { assertGuards, type GuardOptions } from './guards';
import { confirm, requireYesOffTerminal } from '../support/terminal';
import { type PlanContext, withContext } from './context';
import type { Progress } from '../support/progress';
import type { Workspace } from '../support/workspace';
import { type DestroyProgress, type LedgerOptions, recordingDestroy } from '../ledger/records';
import type { LayerEngine } from '../layers/engine';

export async function destroyEnvironment(
  ws: Workspace,
  env: Environment,
  guards: GuardOptions & LedgerOptions,
  progress: Progress,
): Promise<'destroyed' | 'nothing-to-destroy'> {
  await assertGuards(ws, env, 'destroy', guards);
  requireYesOffTerminal(guards, `destroy of ${env.path}`, 'Nothing was destroyed.');
  return withContext(ws, env, progress, 'destroy', (ctx) => recordingDestroy(ctx, guards, (done) => destroyAll(ctx, guards.yes === true, done)));
}

/** Destroys the layers `engines` (the environment's, bottom up), noting in `done` what went. */
export async function destroyAll(
  ctx: PlanContext,
  confirmed: boolean,
  done: DestroyProgress,
  engines: readonly LayerEngine[] = layerEngines(ctx.env).reverse(),
): Promise<'destroyed' | 'nothing-to-destroy'> {
  const { env, progress } = ctx;
  const plans = await Promise.all(engines.map((engine) => engine.planDestroy(ctx)));
  if (plans.every((p) => !p.deployed)) {
    progress.step(env.path, 'DESTROY', 'nothing is deployed; nothing to destroy');
    return 'nothing-to-destroy';
  }

  console.log(`\nThese will be destroyed in ${env.path}:`);
  for (const plan of plans) if (plan.listing) console.log(plan.listing);
  if (!confirmed && !(await confirm(`Type the environment path (${env.path}) to destroy it: `, env.path))) {
    throw new BddaError(`destroy of ${env.path} was not confirmed. Nothing was destroyed.`);
  }

  for (const [i, engine] of engines.entries()) {
    if (!plans[i].deployed) continue;
    progress.step(env.path, engine.label, plans[i].progressNote);
    done.started = true;
    await engine.destroy(ctx);
    done.removed.push({ layer: engine.layer, summary: plans[i].listing.split('\n')[0].trim() });
  }
  // The old diff described changes to what no longer exists.
  removeFile(path.join(env.dir, CHANGES_TXT));
  removeFile(path.join(env.dir, CHANGES_JSON));
  progress.step(env.path, 'DESTROY', `done; \`npm run plan -- --env ${env.path}\` now shows everything as new`);
  return 'destroyed';
}
