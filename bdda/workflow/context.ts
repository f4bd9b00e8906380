/**
 * What one run on one environment holds: the engines' target (emulator or account), the
 * synthesized layers, and for apply and destroy the environment's apply lock. Plan, apply,
 * destroy and unlock all run inside `withContext`, which also closes the SDK clients.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Environment } from '../../config/load';
import { syncEmulatorOverride } from '../engines/emulator-override';
import type { Layer } from '../../config/naming';
import type { Progress } from '../support/progress';
import { synthesize, type SynthOutput } from './synth';
import { BddaError } from '../../config/errors';
import { throwIfInterrupted } from '../support/interrupt';
import type { HeldLock } from '../state/state-backend';
import { prepareTarget, type Target } from '../engines/target';
import { Terraform } from '../engines/terraform';
import { recoverOwnStateLock } from '../state/terraform-lock-recovery';
import { tools } from '../engines/tools';
import { displayPath, environmentBuildDir, type Workspace } from '../support/workspace';

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
  /** When the run began: terraform state locks created before it are not this run's. @default unknown, so none is */
  readonly startedAt?: Date;
  /** The apply lock this run holds (apply and destroy). */
  readonly applyLock?: HeldLock;
}

export const LABEL: Record<Layer, string> = { flag: 'FLAG', karr: 'KARR', goliath: 'GOLIATH' };

export type TerraformLayer = Exclude<Layer, 'goliath'>;

/**
 * Prepares the target, takes the apply lock when `lock` names an operation (before anything is
 * written, so a refused run touches nothing), synthesizes, and runs `fn`.
 */
export async function withContext<T>(ws: Workspace, env: Environment, progress: Progress, lock: 'apply' | 'destroy' | undefined, fn: (ctx: PlanContext) => Promise<T>): Promise<T> {
  const timings: StageTiming[] = [];
  const startedAt = new Date();
  const target = await timed(timings, 'engines', () => prepareTarget(ws, env));
  try {
    if (target.freshEmulator) {
      progress.warn(env.path, 'A fresh emulator was started. It keeps nothing across restarts, so every layer plans as new.');
    }
    const run = async (applyLock?: HeldLock) => {
      throwIfInterrupted();
      const synth = await timed(timings, 'synth', async () => {
        const out = synthesize(env, environmentBuildDir(ws, env.path));
        for (const dir of [out.flagDir, out.karrDir]) syncEmulatorOverride(dir, env.config.emulated);
        return out;
      });
      progress.step(env.path, 'SYNTH', `FLAG, KARR and GOLIATH written to ${displayPath(environmentBuildDir(ws, env.path), ws.root)}/`);
      // Synthesis is synchronous: a signal that came in during it is handled only now.
      throwIfInterrupted();
      return fn({ ws, env, target, synth, progress, timings, startedAt, applyLock });
    };
    if (!lock) return await run();
    const held = await target.backend.acquireLock(env.naming.applyLockKey, { who: lockHolderName(), operation: `${lock} ${env.path}` }, `npm run unlock -- --env ${env.path} --yes`);
    return await releasingLock(target, env, progress, held, () => run(held));
  } finally {
    target.backend.destroy();
  }
}

/** `user@host`, as terraform writes `Who` into its own locks. */
export function lockHolderName(): string {
  return `${os.userInfo().username}@${os.hostname()}`;
}

/**
 * Runs `fn`, then releases the apply lock if this run still owns it. When `fn` failed, its error
 * stays the one reported (e.g. the emulator died mid-apply); a failed release is added to it.
 */
async function releasingLock<T>(target: Target, env: Environment, progress: Progress, held: HeldLock, fn: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await fn();
  } catch (primary) {
    const note = await releaseNote(target, env, held);
    if (note && primary instanceof Error) primary.message = `${primary.message}\n\n${note.text}`;
    throw primary;
  }
  const note = await releaseNote(target, env, held);
  if (note?.fatal) throw new BddaError(note.text);
  if (note) progress.warn(env.path, note.text);
  return result;
}

/** Releases the apply lock; says what happened when it could not be released cleanly. */
async function releaseNote(target: Target, env: Environment, held: HeldLock): Promise<{ text: string; fatal: boolean } | undefined> {
  const where = `s3://${target.backend.bucket}/${held.key}`;
  try {
    const outcome = await target.backend.releaseOwnLock(held);
    if (outcome === 'released') return undefined;
    if (outcome === 'gone') return { text: `The apply lock ${where} was already gone when this run finished: someone broke it with \`npm run unlock\`.`, fatal: false };
    return {
      text:
        `The apply lock ${where} was broken while this run held it, and another run holds it now; it was left to that run. ` +
        `Two runs may have worked on ${env.path} at once: run \`npm run plan -- --env ${env.path}\` once the other run is done and review the result.`,
      fatal: true,
    };
  } catch (err) {
    return {
      text:
        `The apply lock ${where} could not be released: ${(err as Error).message} ` +
        (env.config.emulated
          ? 'If the emulator is gone, the lock went with it (the emulator keeps nothing across restarts).'
          : `Once AWS is reachable, check nobody else is applying and break it with \`npm run unlock -- --env ${env.path} --yes\`.`),
      fatal: true,
    };
  }
}

export function terraformFor(ctx: PlanContext, layer: TerraformLayer): Terraform {
  return new Terraform({
    binary: tools().terraform,
    dir: layer === 'flag' ? ctx.synth.flagDir : ctx.synth.karrDir,
    env: ctx.target.terraformEnv,
    credentialsHint: ctx.target.credentialsHint,
    unlockHint: `npm run unlock -- --env ${ctx.env.path} --yes`,
    recoverStateLock: (forceUnlock) => recoverOwnStateLock(ctx, layer, forceUnlock),
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
