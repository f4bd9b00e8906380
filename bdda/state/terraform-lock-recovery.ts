/**
 * Recovery from a state lock that terraform left for itself.
 *
 * Terraform's AWS SDK resends a request whose response is slow. When the first lock write
 * (DynamoDB PutItem with a condition, or S3 PutObject with `If-None-Match` for S3 lock files) did
 * succeed, the resent one is refused because the lock now exists, and terraform reports its *own*
 * lock as held by another run, exits, and never releases it. Such a lock is recognised by: the
 * same `Who` (user@host) as this run, created after this run started, no other bdda run holding
 * the environment's apply lock, and no other process working in the layer's directory. It is
 * broken with `terraform force-unlock` and the command is retried once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Layer } from '../../config/naming';
import { LABEL } from '../layers/list';
import { lockHolderName } from '../workflow/lock-release';
import type { PlanContext } from '../workflow/plan-context';
import type { TerraformLockInfo } from './terraform-locks';

/** Terraform may write `Created` with a clock a little off ours; this much earlier still counts. */
const CLOCK_SLACK_MS = 2000;

/**
 * Whether the lock on `layer`'s state is one this run's own terraform left; if so, breaks it
 * (through `forceUnlock`) and says so. `dir` is the layer's terraform working directory. Returns true when the command should be retried.
 */
export async function recoverOwnStateLock(ctx: PlanContext, layer: Layer, dir: string, forceUnlock: (id: string) => Promise<void>): Promise<boolean> {
  const lock = await ctx.target.backend.terraformLockInfo(ctx.env.naming.stateKey(layer));
  if (!lock || !(await isOwnLeftoverLock(ctx, dir, lock))) return false;
  ctx.progress.step(
    ctx.env.path,
    LABEL[layer],
    `terraform left its own state lock ${lock.id} (created ${lock.created}, a lock request it resent when the backend answered slowly); released it, retrying once`,
  );
  await forceUnlock(lock.id);
  return true;
}

/** The tests of {@link recoverOwnStateLock}, without side effects. */
async function isOwnLeftoverLock(ctx: PlanContext, dir: string, lock: TerraformLockInfo): Promise<boolean> {
  if (!lock.id || lock.who !== lockHolderName() || !ctx.startedAt) return false;
  const created = Date.parse(lock.created);
  if (Number.isNaN(created) || created < ctx.startedAt.getTime() - CLOCK_SLACK_MS) return false;
  // The apply lock: held by this run (apply, destroy) or by nobody (plan); anyone else may be
  // running terraform on this state right now.
  const applyLock = await ctx.target.backend.readLock(ctx.env.naming.applyLockKey);
  if (ctx.applyLock ? applyLock?.runId !== ctx.applyLock.info.runId : applyLock !== undefined) return false;
  // Two plans of one environment on one host share the layer's directory: a live one is not ours to break.
  return !anotherProcessIn(dir);
}

/**
 * Whether a process other than this one has `dir` as its working directory (Linux /proc). Where
 * there is no /proc the answer is "yes": better a lock message than breaking a live run's lock.
 */
function anotherProcessIn(dir: string): boolean {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return true;
  }
  const wanted = path.resolve(dir);
  return pids.some((pid) => {
    if (Number(pid) === process.pid) return false;
    try {
      return fs.readlinkSync(`/proc/${pid}/cwd`) === wanted;
    } catch {
      return false; // gone, or not ours to inspect
    }
  });
}
