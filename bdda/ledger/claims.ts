/**
 * Claims on shared environments (`claims: true` in the config chain, the dev tier): a lease object
 * `<env path>/claim.json` in the environment's state bucket saying who uses it, from which
 * branch, and until when. It replaces "I'm on dev2" in the team channel.
 *
 * The lease is written with a compare-and-swap (json-objects.ts): created only if there is none,
 * replaced (an expired or one's own lease) only if it is still the one read. Two people claiming at
 * once: one write wins, the other is refused.
 */
import ms from 'ms';
import { z } from 'zod';
import { type Environment, listEnvironments, loadEnvironment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { deleteJsonIf, type JsonKind, MalformedObjectError, readJson, type Stored, swapJson } from '../state/json-objects';
import type { StateBackend } from '../state/state-backend';
import { prepareTarget } from '../engines/target';
import type { Workspace } from '../support/workspace';
import { readLedger } from './backend';
import { Git } from '../support/git';
import { whoAmI } from './who';

const leaseSchema = z.object({
  who: z.string(),
  branch: z.string(),
  /** ISO time the holder first claimed it (kept on renewal). */
  since: z.string(),
  /** ISO time the lease ends; after it, anyone may claim. */
  until: z.string(),
  note: z.string().optional(),
});

export type Lease = z.infer<typeof leaseSchema>;

const leaseKind = (envPath: string): JsonKind<Lease> => ({
  name: 'claim',
  schema: leaseSchema,
  whenMalformed: `Release it with \`npm run claim -- --env ${envPath} --release --force\`.`,
});

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
  const who = await whoAmI(ws.root);
  const branch = new Git(ws.root).currentBranch();
  const target = await prepareTarget(ws, env);
  try {
    const { backend } = target;
    const now = opts.now ?? new Date();
    // A malformed claim can only be released, by force.
    const existing = await readLease(backend, env.path).catch((err: unknown) => {
      if (opts.release && opts.force && err instanceof MalformedObjectError) return 'malformed' as const;
      throw err;
    });
    if (existing === 'malformed') {
      await backend.deleteObject(claimKey(env.path));
      return { action: 'released' };
    }
    if (opts.release) return await release(backend, env, who, existing, opts.force === true, now);

    const heldByOther = existing && existing.value.who !== who && !isExpired(existing.value, now);
    if (heldByOther) throw refusal(env, existing.value);
    const renewing = existing !== undefined && existing.value.who === who && !isExpired(existing.value, now);
    const lease: Lease = {
      who,
      branch: branch ?? 'unknown',
      since: renewing ? existing.value.since : now.toISOString(),
      until: new Date(now.getTime() + duration).toISOString(),
      note: opts.note ?? (renewing ? existing.value.note : undefined),
    };
    if ((await swapJson(backend.objects, claimKey(env.path), existing, lease)) === 'lost') {
      const winner = await readLease(backend, env.path);
      throw winner
        ? refusal(env, winner.value)
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
  existing: Stored<Lease> | undefined,
  force: boolean,
  now: Date,
): Promise<ClaimOutcome> {
  if (!existing) return { action: 'not-claimed' };
  const lease = existing.value;
  if (lease.who !== who && !isExpired(lease, now) && !force) {
    throw new BddaError(
      `${env.path} is claimed by ${lease.who} (branch ${lease.branch}) until ${lease.until}, so only they can release it. Nothing was changed. ` +
        `Ask ${lease.who} to run \`npm run claim -- --env ${env.path} --release\`, or, if they are gone, release it with --force.`,
    );
  }
  const outcome = await deleteJsonIf(backend.objects, claimKey(env.path), existing);
  if (outcome === 'gone') return { action: 'not-claimed' };
  if (outcome === 'lost')
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
  const lease = (await readLease(backend, env.path))?.value;
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
    'value' in read && read.value && read.value.value.branch === branch && !isExpired(read.value.value, now) ? [{ env, lease: read.value.value }] : [],
  );
  // Two environments claimed for one branch: the newest claim is the one meant.
  held.sort((a, b) => b.lease.since.localeCompare(a.lease.since));
  return held[0]?.env.path;
}

/** The lease with its ETag, or undefined when nobody holds one; a malformed one is a MalformedObjectError. */
export function readLease(backend: StateBackend, envPath: string): Promise<Stored<Lease> | undefined> {
  return readJson(backend.objects, claimKey(envPath), leaseKind(envPath));
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
