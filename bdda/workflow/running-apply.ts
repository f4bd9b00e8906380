/**
 * Plan refuses to run beside an apply or destroy of the same environment: terraform would refuse
 * it anyway on the state lock, with advice (break the locks) that would wreck the live run.
 */
import * as os from 'node:os';
import type { PlanContext } from './context';
import { BddaError } from '../../config/errors';
import { isAlive } from '../support/process-alive';

/** Throws naming the running apply (who, pid, host, since when) when the apply lock is held. */
export async function assertNoApplyRunning(ctx: PlanContext): Promise<void> {
  const { env } = ctx;
  const held = await ctx.target.backend.readLock(env.naming.applyLockKey);
  if (!held) return;
  const who = `${held.who} (${held.operation}, pid ${held.pid} on ${held.host}) since ${held.since}`;
  if (held.host === os.hostname() && held.pid > 0 && !isAlive(held.pid)) {
    throw new BddaError(
      `${env.path} is locked by ${who}, but that process no longer runs on this host: it was killed. ` +
        `Nothing was planned. Break its locks with \`npm run unlock -- --env ${env.path} --yes\`, then plan again.`,
    );
  }
  throw new BddaError(
    `${held.operation.startsWith('destroy') ? 'A destroy' : 'An apply'} is running on ${env.path}: ${who}. Nothing was planned. ` +
      `Plan again once it has finished; what it deploys changes what the plan shows.`,
  );
}
