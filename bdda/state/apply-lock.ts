/**
 * The workflow's own lock (the apply lock of an environment): an object in the state bucket
 * created only if there is none (json-objects.ts), so one writer wins.
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { z } from 'zod';
import { BddaError } from '../../config/errors';
import { deleteJsonIf, type JsonKind, readJson, type Stored, swapJson } from './json-objects';
import type { StateObjects } from './objects';

/** What the workflow writes into a lock object. */
export interface LockHolder {
  /** Who, e.g. `alice@laptop`. */
  readonly who: string;
  /** What they run, e.g. `apply dev/eu`. */
  readonly operation: string;
}

const lockInfoSchema = z.object({
  who: z.string(),
  operation: z.string(),
  /** ISO time the lock was taken. */
  since: z.string(),
  pid: z.number(),
  host: z.string(),
  /** A random id of the run that took it; absent in locks written before it existed. */
  runId: z.string().optional(),
});

export type LockInfo = z.infer<typeof lockInfoSchema>;

const LOCK: JsonKind<LockInfo> = {
  name: 'apply lock',
  schema: lockInfoSchema,
  whenMalformed: 'If no run of bdda holds it, break it with `npm run unlock -- --env <environment> --yes`.',
};

/** A lock this run took: what it wrote, and the ETag S3 returned, for the conditional delete. */
export interface HeldLock extends Stored<LockInfo> {
  readonly key: string;
  /** The same as `value`. */
  readonly info: LockInfo;
}

/**
 * Takes the lock at `key`, or throws a BddaError naming who holds it and since when.
 * `breakHint` tells the user how to break a stale lock, e.g. `npm run unlock -- --env dev/eu --yes`.
 */
export async function acquireLock(objects: StateObjects, key: string, holder: LockHolder, breakHint?: string): Promise<HeldLock> {
  const info: LockInfo = {
    who: holder.who,
    operation: holder.operation,
    since: new Date().toISOString(),
    pid: process.pid,
    host: os.hostname(),
    runId: randomUUID(),
  };
  const written = await swapJson(objects, key, undefined, info);
  if (written !== 'lost') return { ...written, key, info };
  const held = await readJson(objects, key, LOCK).catch(() => undefined);
  // The SDK resends a put whose answer was lost; the resend is refused because the first one
  // wrote our own lock. The run id tells.
  if (held && held.value.runId === info.runId) return { ...held, key, info };
  const by = held
    ? `${held.value.who} (${held.value.operation}, pid ${held.value.pid} on ${held.value.host}) since ${held.value.since}`
    : 'someone else (the lock object could not be read)';
  throw new BddaError(
    `The lock ${objects.url(key)} is held by ${by}. Wait for that run to finish. ` +
      (breakHint
        ? `If it is certain that run is dead, break the lock with: ${breakHint}`
        : `If it is certain that run is dead, delete the object ${objects.url(key)}.`),
  );
}

/**
 * Removes a lock this run took, only if it still holds it. When the lock was broken with
 * `unlock --yes` and someone else took it since, their lock stays and this returns 'lost';
 * 'gone' when nobody holds it any more.
 */
export async function releaseOwnLock(objects: StateObjects, held: HeldLock): Promise<'released' | 'lost' | 'gone'> {
  const outcome = await deleteJsonIf(objects, held.key, held);
  return outcome === 'deleted' ? 'released' : outcome;
}

/** The lock at `key`, or undefined when nobody holds it; a malformed one is a MalformedObjectError. */
export async function readLock(objects: StateObjects, key: string): Promise<LockInfo | undefined> {
  return (await readJson(objects, key, LOCK))?.value;
}
