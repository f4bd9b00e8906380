/**
 * Compare-and-swap of the workflow's JSON objects in the state bucket (the apply lock, claims, the
 * deployment pointer): read one with its ETag, then write or delete it only if nobody changed it
 * since, so that of two runs racing for it exactly one wins and the other is told.
 *
 * The condition is `If-None-Match: *` (only create) or `If-Match: <the ETag read>` (only replace
 * that version). When a read brings no ETag back (a proxy in front of S3 that strips it), the body
 * is read again and compared right before an unconditional write: a window of one round trip.
 */
import type { z } from 'zod';
import { BddaError } from '../../config/errors';
import type { StateObjects } from './objects';

/** An object as read: its parsed value, its text and the ETag to make the next write conditional on. */
export interface Stored<T> {
  readonly value: T;
  readonly body: string;
  readonly etag?: string;
}

/** What one of these objects is, for messages, and the shape it must have. */
export interface JsonKind<T> {
  /** E.g. `apply lock`. */
  readonly name: string;
  readonly schema: z.ZodType<T>;
  /** What to do about a malformed one, e.g. `Break it with npm run unlock.` */
  readonly whenMalformed: string;
}

/** The object at `key`, parsed as `kind`; undefined when there is none. A malformed one is a BddaError naming it. */
export async function readJson<T>(objects: StateObjects, key: string, kind: JsonKind<T>): Promise<Stored<T> | undefined> {
  const got = await objects.getWithEtag(key);
  if (!got) return undefined;
  return { value: parseJson(objects.url(key), got.body, kind), body: got.body, etag: got.etag };
}

/**
 * Writes `value` at `key` only if the object is still `expected` (undefined: only if there is none).
 * Returns what was stored, or 'lost' when another writer changed it first.
 */
export async function swapJson<T>(objects: StateObjects, key: string, expected: Stored<T> | undefined, value: T): Promise<Stored<T> | 'lost'> {
  const body = `${JSON.stringify(value, null, 2)}\n`;
  if (expected && !expected.etag) {
    if ((await objects.get(key)) !== expected.body) return 'lost';
    await objects.put(key, body);
    return { value, body };
  }
  const written = await objects.putIf(key, body, expected?.etag ? { ifMatch: expected.etag } : { ifNoneMatch: '*' });
  return written === 'precondition-failed' ? 'lost' : { value, body, etag: written.etag };
}

/**
 * Deletes the object at `key` only if it is still `expected`: 'deleted', 'lost' when another writer
 * changed it since, 'gone' when nobody holds it any more.
 */
export async function deleteJsonIf<T>(objects: StateObjects, key: string, expected: Stored<T>): Promise<'deleted' | 'lost' | 'gone'> {
  if (!expected.etag) {
    const now = await objects.get(key);
    if (now === undefined) return 'gone';
    if (now !== expected.body) return 'lost';
    await objects.delete(key);
    return 'deleted';
  }
  const outcome = await objects.deleteIf(key, expected.etag);
  return outcome === 'changed' ? 'lost' : outcome;
}

/** An object that is not what bdda writes there: edited by hand, or written by something else. */
export class MalformedObjectError extends BddaError {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'MalformedObjectError';
  }
}

function parseJson<T>(url: string, body: string, kind: JsonKind<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new MalformedObjectError(`${url} is not the ${kind.name} bdda writes: it is not JSON (${(err as Error).message}). ${kind.whenMalformed}`, err);
  }
  const parsed = kind.schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(the object)'}: ${i.message}`).join('; ');
  throw new MalformedObjectError(`${url} is not the ${kind.name} bdda writes (${problems}). ${kind.whenMalformed}`, parsed.error);
}
