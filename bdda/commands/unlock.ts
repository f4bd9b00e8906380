/**
 * `npm run unlock`: breaks the locks a killed apply, destroy or plan left behind: the
 * environment's apply lock and the locks each layer's engine holds on its state (terraform's
 * state locks). Without `yes` it only says who holds what.
 */
import type { Environment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { layerEngines } from '../layers/index';
import { MalformedObjectError } from '../state/json-objects';
import { silentProgress } from '../support/progress';
import type { Workspace } from '../support/workspace';
import { withContext } from '../workflow/context';

export async function unlockEnvironment(ws: Workspace, env: Environment, yes: boolean): Promise<void> {
  await withContext(ws, env, silentProgress, undefined, async (ctx) => {
    const { backend } = ctx.target;
    // A malformed lock is still a lock: it is described, and broken with --yes.
    const apply = await backend.readLock(env.naming.applyLockKey).catch((err: unknown) => {
      if (err instanceof MalformedObjectError) return { unreadable: err.message };
      throw err;
    });
    const held = await Promise.all(layerEngines(env).map(async (engine) => ({ engine, locks: (await engine.locks?.(ctx)) ?? [] })));
    const engineLocks = held.flatMap(({ engine, locks }) => locks.map((lock) => ({ engine, lock })));
    const described = [
      ...(apply && 'unreadable' in apply ? [`an apply lock that cannot be read (${apply.unreadable})`] : []),
      ...(apply && !('unreadable' in apply)
        ? [`the apply lock, held by ${apply.who} (${apply.operation}, pid ${apply.pid} on ${apply.host}, since ${apply.since})`]
        : []),
      ...engineLocks.map(({ lock }) => lock.description),
    ];
    if (described.length === 0) {
      console.log(`${env.path} holds no locks.`);
      return;
    }
    if (!yes) {
      throw new BddaError(
        `${env.path} holds ${described.join('; ')}. Make sure those runs are dead, then break the locks with: npm run unlock -- --env ${env.path} --yes`,
      );
    }
    for (const { engine, lock } of engineLocks) await engine.breakLock?.(ctx, lock);
    if (apply) await backend.releaseLock(env.naming.applyLockKey);
    console.log(`Broke ${described.join('; ')}.`);
  });
}
