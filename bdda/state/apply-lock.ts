/**
 * The workflow's own lock (the apply lock of an environment): an object in the state bucket
 * written with `If-None-Match: *`, which S3 (and moto 5.2.1, checked) refuses with 412
 * PreconditionFailed when the object is already there, so one writer wins.
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { BddaError } from '../../config/errors';
import type { StateObjects } from './objects';

/** What the workflow writes into a lock object. */
export interface LockHolder {
  /** Who, e.g. `alice@laptop`. */
  readonly who: string;
  /** What they run, e.g. `apply dev/eu`. */
  readonly operation: string;
}

export interface LockInfo extends LockHolder {
  /** ISO time the lock was taken. */
  readonly since: string;
  readonly pid: number;
  readonly host: string;
  /** A random id of the run that took it; empty in locks written before it existed. */
  readonly runId?: string;
}

/** A lock this run took: what it wrote, and the ETag S3 returned, for the conditional delete. */
export interface HeldLock {
  readonly key: string;
  readonly info: LockInfo;
  readonly etag?: string;
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
  // 'precondition-failed': the object is there (412), or a concurrent conditional write to the same key is in flight (409).
  const written = await objects.putIf(key, JSON.stringify(info, null, 2) + '\n', { ifNoneMatch: '*' }, 'taking the lock');
  if (written !== 'precondition-failed') return { key, info, etag: written.etag };
  const held = await readLock(objects, key).catch(() => undefined);
  // The SDK resends a put whose answer was lost; the resend is refused because the first one
  // wrote our own lock. The run id tells.
  if (held?.runId === info.runId) return { key, info, etag: await objects.etagOf(key) };
  const by = held ? `${held.who} (${held.operation}, pid ${held.pid} on ${held.host}) since ${held.since}` : 'someone else (the lock object could not be read)';
  throw new BddaError(
    `The lock ${objects.url(key)} is held by ${by}. Wait for that run to finish. ` +
      (breakHint
        ? `If it is certain that run is dead, break the lock with: ${breakHint}`
        : `If it is certain that run is dead, delete the object ${objects.url(key)}.`),
  );
}

/**
 * Removes a lock this run took, only if it still holds it: a delete conditional on the ETag
 * the put returned. When the lock was broken with `unlock --yes` and someone else took it
 * since, their lock stays and this returns 'lost'; 'gone' when nobody holds it any more.
 */
export async function releaseOwnLock(objects: StateObjects, held: HeldLock): Promise<'released' | 'lost' | 'gone'> {
  if (!held.etag) {
    // No ETag came back (a proxy stripped it): compare the body, which carries our random run id,
    // right before an unconditional delete. A window of one round trip remains.
    const now = await readLock(objects, held.key);
    if (!now) return 'gone';
    if (now.runId !== held.info.runId) return 'lost';
    await objects.delete(held.key);
    return 'released';
  }
  const outcome = await objects.deleteIf(held.key, held.etag, 'releasing the lock');
  return outcome === 'deleted' ? 'released' : outcome === 'changed' ? 'lost' : 'gone';
}

/** The lock at `key`, or undefined when nobody holds it. */
export async function readLock(objects: StateObjects, key: string): Promise<LockInfo | undefined> {
  const text = await objects.get(key);
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    return {
      who: String(v.who ?? '?'),
      operation: String(v.operation ?? '?'),
      since: String(v.since ?? '?'),
      pid: Number(v.pid ?? 0),
      host: String(v.host ?? '?'),
      runId: typeof v.runId === 'string' ? v.runId : undefined,
    };
  } catch {
    return { who: '?', operation: '?', since: '?', pid: 0, host: '?' };
  }
}
