/**
 * What one run on one environment holds: the engines' target (emulator or account), the
 * synthesized layers, and for apply and destroy the environment's apply lock (lock-release.ts).
 * Plan, apply, destroy and unlock all run inside `withContext`, which also closes the SDK clients.
 */
import * as path from 'node:path';
import type { Environment } from '../../config/load';
import { layerEngines } from '../layers/index';
import type { Progress } from '../support/progress';
import type { PlanContext } from './plan-context';
import type { HeldLock } from '../state/apply-lock';
import { synthesize } from './synth';
import { throwIfInterrupted } from '../support/interrupt';
import { prepareTarget } from '../engines/target';
import { describeProviderSource } from '../engines/tools';
import { lockHolderName, releasingLock } from './lock-release';
import { stopLeftoverProviders } from './leftover-providers';
import { hostProcessTable } from '../support/process-table';
import { type StageTiming, timed } from './timing';
import { displayPath, environmentBuildDir, type Workspace } from '../support/workspace';

export type { PlanContext } from './plan-context';

/**
 * Stops provider processes a killed terraform left in the environment's layer directories,
 * prepares the target, takes the apply lock when `lock` names an operation (before anything is
 * written, so a refused run touches nothing), synthesizes, and runs `fn`.
 */
export async function withContext<T>(
  ws: Workspace,
  env: Environment,
  progress: Progress,
  lock: 'apply' | 'destroy' | undefined,
  fn: (ctx: PlanContext) => Promise<T>,
): Promise<T> {
  const timings: StageTiming[] = [];
  const startedAt = new Date();
  await stopLeftoverProviders(hostProcessTable(), path.join(environmentBuildDir(ws, env.path), 'stacks'), (message) =>
    progress.step(env.path, 'PROVIDERS', message),
  );
  const target = await timed(timings, 'engines', () => prepareTarget(ws, env));
  try {
    progress.step(env.path, 'PROVIDERS', describeProviderSource(target.providers));
    if (target.freshEmulator) {
      progress.warn(env.path, 'A fresh emulator was started. It keeps nothing across restarts, so every layer plans as new.');
    }
    const run = async (applyLock?: HeldLock) => {
      throwIfInterrupted();
      const engines = layerEngines(env);
      const { reused, ...synth } = await timed(timings, 'synth', () => synthesize(env, environmentBuildDir(ws, env.path), { reuse: true }));
      const ctx: PlanContext = { ws, env, target, synth, progress, timings, startedAt, applyLock };
      for (const engine of engines) engine.prepare?.(ctx);
      const labels = engines.map((e) => e.label);
      const layers = `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}`;
      const where = `${displayPath(environmentBuildDir(ws, env.path), ws.root)}/`;
      progress.step(env.path, 'SYNTH', reused ? `${layers} unchanged since their last synthesis in ${where}` : `${layers} written to ${where}`);
      // Synthesis is synchronous: a signal that came in during it is handled only now.
      throwIfInterrupted();
      return fn(ctx);
    };
    if (!lock) return await run();
    const held = await target.backend.acquireLock(
      env.naming.applyLockKey,
      { who: lockHolderName(), operation: `${lock} ${env.path}` },
      `npm run unlock -- --env ${env.path} --yes`,
    );
    return await releasingLock(target, env, progress, held, () => run(held));
  } finally {
    target.backend.destroy();
  }
}
