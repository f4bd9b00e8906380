/**
 * The compare-and-swap of the state bucket's JSON objects (bdda/state/json-objects.ts), against a
 * fake S3 client that honours If-None-Match and If-Match as S3 does: of two writers that read the
 * same version one wins and the other is told; a malformed object is a clear error; without ETags
 * (a proxy that strips them) the body read decides.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { BddaError } from '../config/errors';
import { deleteJsonIf, type JsonKind, MalformedObjectError, readJson, swapJson } from '../bdda/state/json-objects';
import { StateObjects } from '../bdda/state/objects';

/** S3's answer to a failed condition or a missing key, as the SDK throws it. */
function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

/** An in-memory bucket speaking the four commands StateObjects sends. */
class FakeS3 {
  readonly objects = new Map<string, { body: string; etag: string }>();
  private version = 0;

  constructor(private readonly withEtags = true) {}

  /** Another writer, outside the helper. */
  write(key: string, body: string): void {
    this.objects.set(key, { body, etag: `"v${++this.version}"` });
  }

  async send(command: unknown): Promise<unknown> {
    if (command instanceof GetObjectCommand) {
      const o = this.objects.get(command.input.Key as string);
      if (!o) throw s3Error('NoSuchKey', 404);
      return { Body: { transformToString: async () => o.body }, ETag: this.withEtags ? o.etag : undefined };
    }
    if (command instanceof PutObjectCommand) {
      const { Key, Body, IfNoneMatch, IfMatch } = command.input;
      const now = this.objects.get(Key as string);
      if (IfNoneMatch === '*' && now) throw s3Error('PreconditionFailed', 412);
      if (IfMatch !== undefined && !now) throw s3Error('NoSuchKey', 404);
      if (IfMatch !== undefined && now?.etag !== IfMatch) throw s3Error('PreconditionFailed', 412);
      this.write(Key as string, Body as string);
      return { ETag: this.withEtags ? this.objects.get(Key as string)?.etag : undefined };
    }
    if (command instanceof DeleteObjectCommand) {
      const { Key, IfMatch } = command.input;
      const now = this.objects.get(Key as string);
      if (IfMatch !== undefined && !now) throw s3Error('NoSuchKey', 404);
      if (IfMatch !== undefined && now?.etag !== IfMatch) throw s3Error('PreconditionFailed', 412);
      this.objects.delete(Key as string);
      return {};
    }
    throw new Error(`the fake S3 does not know ${String(command)}`);
  }
}

const COUNTER: JsonKind<{ owner: string; n: number }> = {
  name: 'counter',
  schema: z.object({ owner: z.string(), n: z.number() }),
  whenMalformed: 'Delete it.',
};
const KEY = 'dev/dev2/counter.json';

function bucket(withEtags = true): { s3: FakeS3; objects: StateObjects } {
  const s3 = new FakeS3(withEtags);
  return { s3, objects: new StateObjects(s3 as unknown as S3Client, 'state') };
}

describe('swapJson', () => {
  test('creates an object only when there is none', async () => {
    const { objects } = bucket();
    expect(await swapJson(objects, KEY, undefined, { owner: 'a', n: 1 })).toMatchObject({ value: { owner: 'a', n: 1 } });
    expect(await swapJson(objects, KEY, undefined, { owner: 'b', n: 1 })).toBe('lost');
    expect((await readJson(objects, KEY, COUNTER))?.value).toEqual({ owner: 'a', n: 1 });
  });

  test('of two writers that read the same version, the second is refused and the first one stays', async () => {
    const { objects } = bucket();
    await swapJson(objects, KEY, undefined, { owner: 'a', n: 1 });
    const readByA = await readJson(objects, KEY, COUNTER);
    const readByB = await readJson(objects, KEY, COUNTER);
    expect(await swapJson(objects, KEY, readByA, { owner: 'a', n: 2 })).not.toBe('lost');
    expect(await swapJson(objects, KEY, readByB, { owner: 'b', n: 2 })).toBe('lost');
    expect((await readJson(objects, KEY, COUNTER))?.value).toEqual({ owner: 'a', n: 2 });
  });

  test('replacing an object someone deleted since it was read is refused', async () => {
    const { s3, objects } = bucket();
    await swapJson(objects, KEY, undefined, { owner: 'a', n: 1 });
    const read = await readJson(objects, KEY, COUNTER);
    s3.objects.delete(KEY);
    expect(await swapJson(objects, KEY, read, { owner: 'a', n: 2 })).toBe('lost');
  });

  test('without ETags, the body read decides: a changed object is refused, an unchanged one replaced', async () => {
    const { s3, objects } = bucket(false);
    await swapJson(objects, KEY, undefined, { owner: 'a', n: 1 });
    const read = await readJson(objects, KEY, COUNTER);
    expect(read?.etag).toBeUndefined();
    s3.write(KEY, JSON.stringify({ owner: 'b', n: 5 }));
    expect(await swapJson(objects, KEY, read, { owner: 'a', n: 2 })).toBe('lost');
    const again = await readJson(objects, KEY, COUNTER);
    expect(await swapJson(objects, KEY, again, { owner: 'a', n: 6 })).not.toBe('lost');
    expect((await readJson(objects, KEY, COUNTER))?.value).toEqual({ owner: 'a', n: 6 });
  });
});

describe('deleteJsonIf', () => {
  test('deletes only the version read: a changed object stays, a gone one is reported', async () => {
    const { s3, objects } = bucket();
    await swapJson(objects, KEY, undefined, { owner: 'a', n: 1 });
    const stale = await readJson(objects, KEY, COUNTER);
    s3.write(KEY, JSON.stringify({ owner: 'b', n: 2 }));
    expect(await deleteJsonIf(objects, KEY, stale as NonNullable<typeof stale>)).toBe('lost');
    expect((await readJson(objects, KEY, COUNTER))?.value.owner).toBe('b');
    const current = await readJson(objects, KEY, COUNTER);
    expect(await deleteJsonIf(objects, KEY, current as NonNullable<typeof current>)).toBe('deleted');
    expect(await deleteJsonIf(objects, KEY, current as NonNullable<typeof current>)).toBe('gone');
  });

  test('without ETags, the body read decides', async () => {
    const { s3, objects } = bucket(false);
    await swapJson(objects, KEY, undefined, { owner: 'a', n: 1 });
    const read = await readJson(objects, KEY, COUNTER);
    s3.write(KEY, JSON.stringify({ owner: 'b', n: 2 }));
    expect(await deleteJsonIf(objects, KEY, read as NonNullable<typeof read>)).toBe('lost');
    expect(s3.objects.has(KEY)).toBe(true);
  });
});

describe('readJson', () => {
  test('no object is undefined', async () => {
    expect(await readJson(bucket().objects, KEY, COUNTER)).toBeUndefined();
  });

  test('an object that is not JSON is a clear error naming it', async () => {
    const { s3, objects } = bucket();
    s3.write(KEY, 'not json {');
    const err = await readJson(objects, KEY, COUNTER).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MalformedObjectError);
    expect(err).toBeInstanceOf(BddaError);
    expect((err as Error).message).toContain(`s3://state/${KEY} is not the counter bdda writes: it is not JSON`);
    expect((err as Error).message).toContain('Delete it.');
  });

  test('JSON of the wrong shape is a clear error naming the field', async () => {
    const { s3, objects } = bucket();
    s3.write(KEY, JSON.stringify({ owner: 'a', n: 'three' }));
    const err = await readJson(objects, KEY, COUNTER).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MalformedObjectError);
    expect((err as Error).message).toMatch(/is not the counter bdda writes \(n: /);
  });
});
