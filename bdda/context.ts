/**
 * What one run on one environment holds: the engines' target (emulator or account), the
 * synthesized layers, and for apply and destroy the environment's apply lock. Plan, apply,
 * destroy and unlock all run inside `withContext`, which also closes the SDK clients.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Environment } from './config/load';
import { syncEmulatorOverride } from './emulator-override';
import type { Layer } from './naming';
import type { Progress } from './progress';
import { synthesize, type SynthOutput } from './synth';
import { prepareTarget, type Target } from './target';
import { Terraform } from './terraform';
import { tools } from './tools';
import { environmentBuildDir, type Workspace } from './workspace';

export interface StageTiming {
  readonly stage: string;
  /** Wall time of the stage. */
  readonly seconds: number;
  /** Of which inside terraform. */
  readonly engineSeconds: number;
}

export interface PlanContext {
  readonly ws: Workspace;
  readonly env: Environment;
  readonly target: Target;
  readonly synth: SynthOutput;
  readonly progress: Progress;
  readonly timings: StageTiming[];
}

export const LABEL: Record<Layer, string> = { flag: 'FLAG', karr: 'KARR', goliath: 'GOLIATH' };

export type TerraformLayer = Exclude<Layer, 'goliath'>;

/**
 * Prepares the target, takes the apply lock when `lock` names an operation (before anything is
 * written, so a refused run touches nothing), synthesizes, and runs `fn`.
 */
export async function withContext<T>(ws: Workspace, env: Environment, progress: Progress, lock: 'apply' | 'destroy' | undefined, fn: (ctx: PlanContext) => Promise<T>): Promise<T> {
  const timings: StageTiming[] = [];
  const target = await timed(timings, 'engines', () => prepareTarget(ws, env));
  try {
    if (target.freshEmulator) {
      progress.warn(env.path, 'A fresh emulator was started. It keeps nothing across restarts, so every layer plans as new.');
    }
    const run = async () => {
      const synth = await timed(timings, 'synth', async () => {
        const out = synthesize(env, environmentBuildDir(ws, env.path));
        for (const dir of [out.flagDir, out.karrDir]) syncEmulatorOverride(dir, env.config.emulated);
        return out;
      });
      progress.step(env.path, 'SYNTH', `FLAG, KARR and GOLIATH written to ${path.relative(process.cwd(), environmentBuildDir(ws, env.path))}/`);
      return fn({ ws, env, target, synth, progress, timings });
    };
    if (!lock) return await run();
    const key = env.naming.applyLockKey;
    await target.backend.acquireLock(key, { who: `${os.userInfo().username}@${os.hostname()}`, operation: `${lock} ${env.path}` }, `npm run unlock -- --env ${env.path} --yes`);
    try {
      return await run();
    } finally {
      await target.backend.releaseLock(key);
    }
  } finally {
    target.backend.destroy();
  }
}

export function terraformFor(ctx: PlanContext, layer: TerraformLayer): Terraform {
  return new Terraform({
    binary: tools().terraform,
    dir: layer === 'flag' ? ctx.synth.flagDir : ctx.synth.karrDir,
    env: ctx.target.terraformEnv,
    credentialsHint: ctx.target.credentialsHint,
    unlockHint: `npm run unlock -- --env ${ctx.env.path} --yes`,
  });
}

/** The saved plan of a layer, in its git-ignored working directory. */
export function planFile(ctx: PlanContext, layer: TerraformLayer): string {
  return path.join(layer === 'flag' ? ctx.synth.flagDir : ctx.synth.karrDir, `${layer}.tfplan`);
}

/** The manifests Goliath wants now. */
export function desiredManifests(ctx: PlanContext): string {
  return fs.readFileSync(ctx.synth.goliathFile, 'utf8');
}

export async function timed<T>(timings: StageTiming[], stage: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await fn();
  timings.push({ stage, seconds: (Date.now() - started) / 1000, engineSeconds: 0 });
  return result;
}
