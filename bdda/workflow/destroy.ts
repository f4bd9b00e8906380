/**
 * Tear an environment down, in reverse order: Goliath, then KARR, then FLAG. What will go is
 * shown first and confirmed (or `--yes` off a terminal). A later plan shows everything as new.
 */
import * as path from 'node:path';
import { CHANGES_JSON, CHANGES_TXT } from '../diff/changes';
import type { Environment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { removeFile } from '../support/fs-atomic';
import { destroyGoliath } from '../layers/goliath-apply';
import { objectAddress, parseManifests } from '../diff/kubernetes-diff';
import { assertGuards, confirm, type GuardOptions } from './guards';
import { type PlanContext, planFile, terraformFor, type TerraformLayer, withContext } from './context';
import { planTerraformDestroy } from './plan';
import type { Progress } from '../support/progress';
import type { Workspace } from '../support/workspace';
import { type LedgerOptions, recordingDestroy } from '../ledger/records';

export async function destroyEnvironment(ws: Workspace, env: Environment, guards: GuardOptions & LedgerOptions, progress: Progress): Promise<'destroyed' | 'nothing-to-destroy'> {
  await assertGuards(ws, env, 'destroy', guards);
  const interactive = guards.interactive ?? Boolean(process.stdin.isTTY);
  if (!interactive && !guards.yes) {
    throw new BddaError(`destroy of ${env.path} needs --yes when stdin is not a terminal. Nothing was destroyed.`);
  }
  return withContext(ws, env, progress, 'destroy', (ctx) => recordingDestroy(ctx, guards, () => destroyAll(ctx, guards.yes === true)));
}

async function destroyAll(ctx: PlanContext, confirmed: boolean): Promise<'destroyed' | 'nothing-to-destroy'> {
  const { env, progress, target } = ctx;
  const hasState = async (layer: TerraformLayer) => (await target.backend.getObject(env.naming.stateKey(layer))) !== undefined;
  const recorded = parseManifests(await target.backend.getObject(env.naming.stateKey('goliath')));
  const layers = (await Promise.all((['karr', 'flag'] as const).map(async (l) => ((await hasState(l)) ? l : undefined)))).filter((l) => l !== undefined);
  const plans = await Promise.all(layers.map((layer) => planTerraformDestroy(ctx, layer)));
  if (recorded.length === 0 && plans.every((p) => p.status === 'no-changes')) {
    progress.step(env.path, 'DESTROY', 'nothing is deployed; nothing to destroy');
    return 'nothing-to-destroy';
  }

  console.log(`\nThese will be destroyed in ${env.path}:`);
  console.log(`  GOLIATH: ${recorded.length} objects${recorded.length ? ` (${recorded.slice(0, 5).map(objectAddress).join(', ')}${recorded.length > 5 ? ', ...' : ''})` : ''}`);
  for (const plan of plans) console.log(`  ${plan.summary}\n${plan.body.split('\n').filter((l) => /^  # \S+ will be destroyed$/.test(l)).join('\n')}`);
  if (!confirmed && !(await confirm(`Type the environment path (${env.path}) to destroy it: `, env.path))) {
    throw new BddaError(`destroy of ${env.path} was not confirmed. Nothing was destroyed.`);
  }

  progress.step(env.path, 'GOLIATH', 'deleting');
  await destroyGoliath(ctx);
  for (const plan of plans) {
    if (plan.status === 'no-changes') continue;
    const layer = plan.layer as TerraformLayer;
    progress.step(env.path, layer.toUpperCase(), `destroying (${plan.summary.replace(/^\w+: /, '')})`);
    await terraformFor(ctx, layer).apply(planFile(ctx, layer), progress.passthrough);
  }
  // The old diff described changes to what no longer exists.
  removeFile(path.join(env.dir, CHANGES_TXT));
  removeFile(path.join(env.dir, CHANGES_JSON));
  progress.step(env.path, 'DESTROY', `done; \`npm run plan -- --env ${env.path}\` now shows everything as new`);
  return 'destroyed';
}


