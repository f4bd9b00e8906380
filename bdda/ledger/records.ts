/**
 * Deployment records: what is deployed where (current), what was before (previous). Every apply
 * that deploys at least one layer, sync and destroy write one immutable record into the
 * environment's state bucket, then move the `current` pointer to it.
 *
 * A record's key is its start time and a random suffix, written with `If-None-Match: *`, so two
 * runs can never overwrite each other's record; the pointer is moved after the record, by a
 * compare-and-swap (json-objects.ts), so it only ever points at a record that exists.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ChangesRecord } from '../diff/changes';
import type { PlanContext } from '../workflow/context';
import { BddaError, withNote } from '../../config/errors';
import type { Layer } from '../../config/naming';
import { type JsonKind, readJson, swapJson } from '../state/json-objects';
import type { StateBackend } from '../state/state-backend';
import { assertClaimAllows } from './claims';
import { gitSource, whoAmI } from './who';

/** How a run that changes an environment asks the ledger to record it. */
export interface LedgerOptions {
  /** `--force`: deploy although someone else holds the claim. Recorded. @default false */
  readonly force?: boolean;
  /** The ref a sync deployed (`origin/main`); the record's branch. @default the checkout's branch */
  readonly ref?: string;
}

interface DeployedLayer {
  readonly layer: Layer;
  /** The reviewed summary line, e.g. `FLAG: 31 to add, 0 to change, 0 to destroy.`; for a destroy, what was shown before it went. */
  readonly summary: string;
  /** The reviewed plan's digest, as in changes.json. @default none: a destroy has no reviewed plan */
  readonly digest?: string;
  /** The reviewed plan's counts, e.g. `{ add: 31, change: 0, destroy: 0 }`, from its typed plan. @default not recorded */
  readonly counts?: Readonly<Record<string, number>>;
  /** `preview`: the review was a preview, and the real plan applied matched it. @default the real plan was reviewed */
  readonly reviewed?: 'preview';
}

export interface DeploymentRecord {
  readonly formatVersion: 1;
  readonly environment: string;
  readonly operation: 'apply' | 'sync' | 'destroy';
  /** `failed` records still list the layers that were deployed before the failure. */
  readonly status: 'succeeded' | 'failed';
  /** The first line of the error of a failed run. */
  readonly error?: string;
  readonly sha: string;
  readonly branch: string;
  /** Whether the working tree was clean. */
  readonly clean: boolean;
  readonly who: string;
  /** `--force` was given. */
  readonly forced: boolean;
  /** Who held the claim that `--force` overrode. */
  readonly overrodeClaimOf?: string;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly layers: readonly DeployedLayer[];
  readonly tools: Readonly<Record<string, string>>;
}

const currentPointerSchema = z.object({ current: z.string(), previous: z.string().optional() });

/** The `current` pointer: the newest record's key and the one before it. */
export type CurrentPointer = z.infer<typeof currentPointerSchema>;

const POINTER: JsonKind<CurrentPointer> = {
  name: 'deployment pointer',
  schema: currentPointerSchema,
  whenMalformed: 'Delete it: the next apply writes it again, and `npm run history` lists the records without it.',
};

/** Set by sync for the ref's own bdda it runs in a worktree: the ref the record names as its branch. */
export const DEPLOY_REF_VARIABLE = 'BDDA_DEPLOY_REF';

export const deploymentsPrefix = (envPath: string) => `${envPath}/deployments/`;
export const currentPointerKey = (envPath: string) => `${envPath}/deployments.current.json`;

/** `<env>/deployments/20261126T063012.123Z-9f2c4e1a.json`: sorts by time, never collides. */
function recordKey(envPath: string, startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[-:]/g, '');
  return `${deploymentsPrefix(envPath)}${stamp}-${randomBytes(4).toString('hex')}.json`;
}

/** Writes the record (create-only), then moves the pointer to it. Returns the record's key. */
export async function writeDeployment(backend: StateBackend, record: DeploymentRecord): Promise<string> {
  let key: string;
  for (let attempt = 0; ; attempt++) {
    key = recordKey(record.environment, new Date(record.startedAt));
    if ((await swapJson(backend.objects, key, undefined, record)) !== 'lost') break;
    // Only a random-suffix collision gets here; another suffix is another key.
    if (attempt >= 2) throw new BddaError(`The deployment record s3://${backend.bucket}/${key} could not be written: the key was taken three times.`);
  }
  await movePointer(backend, record.environment, key);
  return key;
}

async function movePointer(backend: StateBackend, envPath: string, key: string): Promise<void> {
  const pointerKey = currentPointerKey(envPath);
  for (let attempt = 0; attempt < 5; attempt++) {
    const now = await readJson(backend.objects, pointerKey, POINTER);
    // A newer record already took the pointer (keys sort by start time): leave it there.
    if (now && now.value.current >= key) return;
    if ((await swapJson(backend.objects, pointerKey, now, { current: key, previous: now?.value.current })) !== 'lost') return;
  }
  throw new BddaError(
    `The deployment pointer s3://${backend.bucket}/${pointerKey} kept changing under this run; the record ${key} was written, the pointer not.`,
  );
}

/** The `current` pointer, or undefined when nothing was recorded; a malformed one is a MalformedObjectError. */
export async function readPointer(backend: StateBackend, envPath: string): Promise<CurrentPointer | undefined> {
  return (await readJson(backend.objects, currentPointerKey(envPath), POINTER))?.value;
}

async function readRecord(backend: StateBackend, key: string): Promise<DeploymentRecord | undefined> {
  const text = await backend.getObject(key);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as DeploymentRecord;
  } catch {
    return undefined;
  }
}

/** The record `current` points at, or undefined when nothing was recorded. */
export async function currentDeployment(backend: StateBackend, envPath: string): Promise<(DeploymentRecord & { key: string }) | undefined> {
  const pointer = await readPointer(backend, envPath);
  const record = pointer && (await readRecord(backend, pointer.current));
  return record && pointer ? { ...record, key: pointer.current } : undefined;
}

/** The newest `limit` records, newest first, read in parallel. */
export async function listDeployments(backend: StateBackend, envPath: string, limit: number): Promise<Array<DeploymentRecord & { key: string }>> {
  const keys = (await backend.listKeys(deploymentsPrefix(envPath)))
    .filter((k) => k.endsWith('.json'))
    .sort()
    .reverse()
    .slice(0, limit);
  const records = await Promise.all(keys.map(async (key) => ({ key, record: await readRecord(backend, key) })));
  return records.flatMap(({ key, record }) => (record ? [{ ...record, key }] : []));
}

/**
 * Starts the record of one run: who runs it, from which commit, and the claim its `--force`
 * overrides (the claim is checked here, so a refused run records nothing). Returns the function
 * that writes the record with what the run did.
 */
async function openEntry(ctx: PlanContext, opts: LedgerOptions, operation: DeploymentRecord['operation'], ref?: string) {
  const { env, ws, target } = ctx;
  const [who, source] = await Promise.all([whoAmI(ws.root), gitSource(ws.root)]);
  const overrodeClaimOf = await assertClaimAllows(target.backend, env, who, opts.force === true, operation);
  const startedAt = new Date().toISOString();
  return (outcome: Pick<DeploymentRecord, 'status' | 'error' | 'layers' | 'tools'>): Promise<string> =>
    writeDeployment(target.backend, {
      formatVersion: 1,
      environment: env.path,
      operation,
      sha: source.sha,
      branch: ref ?? source.branch,
      clean: source.clean,
      who,
      forced: opts.force === true,
      overrodeClaimOf,
      startedAt,
      endedAt: new Date().toISOString(),
      ...outcome,
    });
}

/**
 * Runs an apply (`run`) of the reviewed diff `reviewed` and records what it deployed, also when it
 * fails part-way: a layer is deployed once `run` has marked it applied. The claim is checked
 * first, so a refused run deploys and records nothing.
 */
export async function recordingDeployment<T>(
  ctx: PlanContext,
  reviewed: ChangesRecord,
  opts: LedgerOptions,
  run: (applied: Set<Layer>) => Promise<T>,
): Promise<T> {
  const { env } = ctx;
  // A sync that runs the ref's own bdda in its worktree names the ref through the environment.
  const ref = opts.ref ?? (process.env[DEPLOY_REF_VARIABLE] || undefined);
  const entry = await openEntry(ctx, opts, ref ? 'sync' : 'apply', ref);
  // `run` adds each layer once its engine's apply went through.
  const applied = new Set<Layer>();
  const write = async (status: DeploymentRecord['status'], error?: unknown) => {
    const layers = deployedLayers(reviewed, applied);
    if (layers.length === 0) return;
    const key = await entry({
      status,
      error: error === undefined ? undefined : firstLine(error),
      layers,
      tools: reviewed.tools,
    });
    ctx.progress.step(env.path, 'LEDGER', `recorded ${status === 'failed' ? 'the failed ' : ''}deployment ${key}`);
  };
  let result: T;
  try {
    result = await run(applied);
  } catch (err) {
    const recorded = await write('failed', err).then(
      () => undefined,
      (recordErr: Error) => recordErr,
    );
    throw recorded ? withNote(err, `The deployment record could not be written either: ${recorded.message}`) : err;
  }
  await write('succeeded').catch((recordErr: Error) => {
    throw new BddaError(
      `${env.path} was applied, but its deployment record could not be written: ${recordErr.message} \`npm run history\` will not show this apply.`,
      { cause: recordErr },
    );
  });
  return result;
}

/**
 * The reviewed layers this run applied. A layer whose section left the diff without an apply (a
 * preview whose real plan had no changes) deployed nothing, so it is not among them.
 */
export function deployedLayers(reviewed: ChangesRecord, applied: ReadonlySet<Layer>): DeployedLayer[] {
  return reviewed.layers
    .filter((l) => applied.has(l.layer))
    .map(({ layer, summary, digest, counts, status }) => ({
      layer,
      summary,
      digest,
      counts,
      ...(status === 'preview' ? { reviewed: 'preview' as const } : {}),
    }));
}

/** What a destroy has done so far, filled in by the destroy as it goes. */
export interface DestroyProgress {
  /** Set once the first layer starts to go (after the confirmation). */
  started: boolean;
  /** The layers removed entirely, in the order they went. */
  readonly removed: DeployedLayer[];
}

/**
 * Records a destroy that went through (no layers: everything went), and one that failed after it
 * began, marked failed with the layers it removed. A destroy refused before anything went (not
 * confirmed, nothing deployed) records nothing.
 */
export async function recordingDestroy<T>(ctx: PlanContext, opts: LedgerOptions, run: (done: DestroyProgress) => Promise<T>): Promise<T> {
  const { env } = ctx;
  const entry = await openEntry(ctx, opts, 'destroy');
  const done: DestroyProgress = { started: false, removed: [] };
  let result: T;
  try {
    result = await run(done);
  } catch (err) {
    if (!done.started) throw err;
    await entry({ status: 'failed', error: firstLine(err), layers: done.removed, tools: {} })
      .then((key) => ctx.progress.step(env.path, 'LEDGER', `recorded the failed destroy ${key}`))
      .catch((recordErr: Error) => {
        if (err instanceof Error) err.message += `\n\nThe deployment record could not be written either: ${recordErr.message}`;
      });
    throw err;
  }
  if (result !== 'nothing-to-destroy') await entry({ status: 'succeeded', layers: [], tools: {} });
  return result;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
