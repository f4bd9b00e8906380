/**
 * The environment's apply lock, held for a whole apply or destroy: who holds it, and releasing
 * it at the end of the run with what to say when it was broken or could not be released.
 */
import * as os from 'node:os';
import type { Environment } from '../../config/load';
import { BddaError, withNote } from '../../config/errors';
import type { HeldLock } from '../state/apply-lock';
import type { Target } from '../engines/target';
import type { Progress } from '../support/progress';

/** `user@host`, as terraform writes `Who` into its own locks. */
export function lockHolderName(): string {
  return `${os.userInfo().username}@${os.hostname()}`;
}

/**
 * Runs `fn`, then releases the apply lock if this run still owns it. When `fn` failed, its error
 * stays the one reported (e.g. the emulator died mid-apply); a failed release is added to it.
 */
export async function releasingLock<T>(target: Target, env: Environment, progress: Progress, held: HeldLock, fn: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await fn();
  } catch (primary) {
    const note = await releaseNote(target, env, held);
    throw note ? withNote(primary, note.text) : primary;
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
    if (outcome === 'gone')
      return { text: `The apply lock ${where} was already gone when this run finished: someone broke it with \`npm run unlock\`.`, fatal: false };
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
