/**
 * Claims on shared environments (`claims: true` in the config chain, the dev tier): a lease object
 * `<env path>/claim.json` in the environment's state bucket saying who uses it, from which
 * branch, and until when. It replaces "I'm on dev2" in the team channel.
 *
 * The lease is written with a conditional write: `If-None-Match: *` when there is none, `If-Match`
 * on the ETag just read when replacing an expired or one's own lease (S3 and moto 5.2.1, checked,
 * honour both on PutObject). Two people claiming at once: one write wins, the other is refused.
 */
import ms from 'ms';
import { type Environment, listEnvironments, loadEnvironment } from '../../config/load';
import { BddaError } from '../../config/errors';
import type { StateBackend } from '../state/state-backend';
import { prepareTarget } from '../engines/target';
import type { Workspace } from '../support/workspace';
import { readLedger } from './backend';
import { currentBranch, whoAmI } from './who';

export interface Lease {
  readonly who: string;
  readonly branch: string;
  /** ISO time the holder first claimed it (kept on renewal). */
  readonly since: string;
  /** ISO time the lease ends; after it, anyone may claim. */
  readonly until: string;
  readonly note?: string;
}

export const claimKey = (envPath: string) => `${envPath}/claim.json`;

export interface ClaimOptions {
  /** `--for`, e.g. `8h`. @default claimDuration.default of the config */
  readonly for?: string;
  readonly note?: string;
  /** `--release`: give the environment back. */
  readonly release?: boolean;
  /** `--force`: release someone else's claim. */
  readonly force?: boolean;
  /** @default the time now */
  readonly now?: Date;
}

export type ClaimOutcome =
  { readonly action: 'claimed' | 'renewed'; readonly lease: Lease } | { readonly action: 'released' | 'not-claimed'; readonly lease?: Lease };

/** `npm run claim`: takes, renews or releases the lease of `env`. Refusals change nothing. */
export async function claimEnvironment(ws: Workspace, env: Environment, opts: ClaimOptions): Promise<ClaimOutcome> {
  assertClaimable(env);
  // Validated before any AWS call: bad input changes nothing.
  const duration = opts.release ? 0 : parseClaimDuration(env, opts.for);
  const [who, branch] = await Promise.all([whoAmI(ws.root), currentBranch(ws.root)]);
  const target = await prepareTarget(ws, env);
  try {
    const { backend } = target;
    const now = opts.now ?? new Date();
    const existing = await readLease(backend, env.path);
    if (opts.release) return await release(backend, env, who, existing, opts.force === true, now);

    const heldByOther = existing && existing.lease.who !== who && !isExpired(existing.lease, now);
    if (heldByOther) throw refusal(env, existing.lease);
    const renewing = existing !== undefined && existing.lease.who === who && !isExpired(existing.lease, now);
    const lease: Lease = {
      who,
      branch: branch ?? 'unknown',
      since: renewing ? existing.lease.since : now.toISOString(),
      until: new Date(now.getTime() + duration).toISOString(),
      note: opts.note ?? (renewing ? existing.lease.note : undefined),
    };
    const body = `${JSON.stringify(lease, null, 2)}\n`;
    let written: Awaited<ReturnType<StateBackend['putObjectIf']>>;
    if (!existing) {
      written = await backend.putObjectIf(claimKey(env.path), body, { ifNoneMatch: '*' });
    } else if (existing.etag) {
      written = await backend.putObjectIf(claimKey(env.path), body, { ifMatch: existing.etag });
    } else {
      // No ETag came back (a proxy stripped it): the best left is compare-then-write, with a
      // window of one round trip in which another claim could be overwritten.
      const again = await readLease(backend, env.path);
      written = again && again.body === existing.body ? (await backend.putObject(claimKey(env.path), body), {}) : 'precondition-failed';
    }
    if (written === 'precondition-failed') {
      const winner = await readLease(backend, env.path);
      throw winner
        ? refusal(env, winner.lease)
        : new BddaError(`Someone changed the claim on ${env.path} while this one was being written. Nothing was claimed; run the command again.`);
    }
    return { action: renewing ? 'renewed' : 'claimed', lease };
  } finally {
    target.backend.destroy();
  }
}

/** A claim refused because `lease` is someone else's and unexpired. */
function refusal(env: Environment, lease: Lease): BddaError {
  return new BddaError(
    `${env.path} is claimed by ${lease.who} (branch ${lease.branch}) until ${lease.until}${lease.note ? `: "${lease.note}"` : ''}. Nothing was claimed. ` +
      `Pick another environment, ask ${lease.who} to release it (\`npm run claim -- --env ${env.path} --release\`), or wait until the claim expires.`,
  );
}

async function release(
  backend: StateBackend,
  env: Environment,
  who: string,
  existing: StoredLease | undefined,
  force: boolean,
  now: Date,
): Promise<ClaimOutcome> {
  if (!existing) return { action: 'not-claimed' };
  const { lease } = existing;
  if (lease.who !== who && !isExpired(lease, now) && !force) {
    throw new BddaError(
      `${env.path} is claimed by ${lease.who} (branch ${lease.branch}) until ${lease.until}, so only they can release it. Nothing was changed. ` +
        `Ask ${lease.who} to run \`npm run claim -- --env ${env.path} --release\`, or, if they are gone, release it with --force.`,
    );
  }
  const gone = existing.etag ? await backend.deleteObjectIf(claimKey(env.path), existing.etag) : (await backend.deleteObject(claimKey(env.path)), true);
  if (!gone)
    throw new BddaError(
      `The claim on ${env.path} changed while it was being released. Nothing was changed; run \`npm run claim -- --env ${env.path}\` to see who holds it.`,
    );
  return { action: 'released', lease };
}

/**
 * Apply, destroy and sync of a claimed environment by anyone but the holder are refused unless
 * `force`. Returns the holder whose unexpired claim `force` overrode, for the deployment record.
 */
export async function assertClaimAllows(
  backend: StateBackend,
  env: Environment,
  who: string,
  force: boolean,
  operation: 'apply' | 'destroy' | 'sync',
): Promise<string | undefined> {
  if (!env.config.claims) return undefined;
  const lease = (await readLease(backend, env.path))?.lease;
  if (!lease || lease.who === who || isExpired(lease, new Date())) return undefined;
  if (force) return lease.who;
  const nothing = operation === 'destroy' ? 'Nothing was destroyed.' : 'Nothing was applied.';
  throw new BddaError(
    `${env.path} is claimed by ${lease.who} (branch ${lease.branch}) until ${lease.until}${lease.note ? `: "${lease.note}"` : ''}, and you are ${who}. ${nothing} ` +
      `Ask ${lease.who} to release it (\`npm run claim -- --env ${env.path} --release\`), pick another environment, or run ${operation} with --force if you must (it is recorded).`,
  );
}

/**
 * The environment claimed (unexpired) for `branch`, e.g. `dev/dev2`, or undefined: how a CI
 * branch build finds where to deploy. Environments whose backend cannot be read are skipped.
 */
export async function claimedEnvironmentForBranch(ws: Workspace, branch: string): Promise<string | undefined> {
  const claimable = listEnvironments(ws.root)
    .map((ref) => loadEnvironment(ws.root, ref.path))
    .filter((env) => env.config.claims);
  const now = new Date();
  const leases = await Promise.all(claimable.map(async (env) => ({ env, read: await readLedger(ws, env, (b) => readLease(b, env.path)) })));
  const held = leases.flatMap(({ env, read }) =>
    'value' in read && read.value && read.value.lease.branch === branch && !isExpired(read.value.lease, now) ? [{ env, lease: read.value.lease }] : [],
  );
  // Two environments claimed for one branch: the newest claim is the one meant.
  held.sort((a, b) => b.lease.since.localeCompare(a.lease.since));
  return held[0]?.env.path;
}

interface StoredLease {
  readonly lease: Lease;
  readonly body: string;
  readonly etag?: string;
}

/** The lease with its ETag, or undefined when nobody holds one. */
export async function readLease(backend: StateBackend, envPath: string): Promise<StoredLease | undefined> {
  const got = await backend.getObjectWithEtag(claimKey(envPath));
  if (!got) return undefined;
  let v: Partial<Lease> = {};
  try {
    v = JSON.parse(got.body) as Partial<Lease>;
  } catch {
    // An unreadable lease counts as expired: it can be taken.
  }
  const lease: Lease = {
    who: String(v.who ?? '?'),
    branch: String(v.branch ?? '?'),
    since: String(v.since ?? ''),
    until: String(v.until ?? new Date(0).toISOString()),
    note: typeof v.note === 'string' ? v.note : undefined,
  };
  return { lease, body: got.body, etag: got.etag };
}

export function isExpired(lease: Lease, now: Date): boolean {
  const until = Date.parse(lease.until);
  return Number.isNaN(until) || until <= now.getTime();
}

function assertClaimable(env: Environment): void {
  if (env.config.claims) return;
  throw new BddaError(
    `${env.path} is not an environment people take turns on: claims is not true in its config (${env.files.join(', ')}). Nothing was claimed. ` +
      'Claim an engineer environment (the dev tier), or set claims: true in the config of its tier.',
  );
}

/** `--for` in milliseconds: a positive duration with a unit (30m, 8h, 2d), at most claimDuration.max. */
function parseClaimDuration(env: Environment, text: string | undefined): number {
  const { default: fallback, max } = env.config.claimDuration;
  const maxMs = parseDuration(max);
  if (maxMs === undefined) {
    throw new BddaError(`claimDuration.max in the config of ${env.path} (${env.files.join(', ')}) is "${max}", which is not a duration like 7d. Fix it there.`);
  }
  const wanted = text ?? fallback;
  const value = parseDuration(wanted);
  const where = text === undefined ? `claimDuration.default in the config of ${env.path}` : '--for';
  if (value === undefined || value <= 0) {
    throw new BddaError(
      `${where} is "${wanted}", which is not a positive duration. Give a number with a unit, e.g. --for 30m, --for 8h or --for 2d. Nothing was claimed.`,
    );
  }
  if (value > maxMs) {
    throw new BddaError(
      `${where} is "${wanted}", longer than the longest claim allowed for ${env.path} (claimDuration.max: ${max}). Claim it for less and renew it later. Nothing was claimed.`,
    );
  }
  return value;
}

/** `ms` notation with a unit required: a bare `8` would be 8 milliseconds, surely not meant. */
function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^-?\d+(\.\d+)?\s*[a-z]+$/i.test(trimmed)) return undefined;
  const value = ms(trimmed as ms.StringValue);
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
