/**
 * The workflow's objects in the state bucket: plain and conditional reads and writes.
 *
 * Conditional writes use `If-None-Match: *` (only create) and `If-Match: <etag>` (only replace
 * that version), which S3 and moto 5.2.1 (checked) honour on PutObject and DeleteObject.
 */
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsFailure, errName, httpStatus, isMissing } from './aws-errors';

/** A condition for `putIf`: only create, or only replace the version with this ETag. */
export type WriteCondition = { readonly ifNoneMatch: '*' } | { readonly ifMatch: string };

export class StateObjects {
  constructor(
    private readonly s3: S3Client,
    /** The state bucket. */
    readonly bucket: string,
  ) {}

  /** The object's text, or undefined when there is no such object. */
  async get(key: string): Promise<string | undefined> {
    return (await this.getWithEtag(key))?.body;
  }

  /** The object's text and ETag (for a later `putIf` with `ifMatch`), or undefined when there is none. */
  async getWithEtag(key: string): Promise<{ body: string; etag?: string } | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { body: out.Body ? await out.Body.transformToString('utf8') : '', etag: out.ETag };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw awsFailure(err, `reading ${this.url(key)}`);
    }
  }

  async put(key: string, body: string, contentType = 'application/json'): Promise<void> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (err) {
      throw awsFailure(err, `writing ${this.url(key)}`);
    }
  }

  /**
   * A conditional write. Returns the new ETag, or 'precondition-failed' when someone else wrote
   * first (412, or 409 for a concurrent conditional write; 404 when an `ifMatch` object is gone).
   */
  async putIf(key: string, body: string, condition: WriteCondition, doing = 'writing'): Promise<{ etag?: string } | 'precondition-failed'> {
    try {
      const out = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          IfNoneMatch: 'ifNoneMatch' in condition ? condition.ifNoneMatch : undefined,
          IfMatch: 'ifMatch' in condition ? condition.ifMatch : undefined,
        }),
      );
      return { etag: out.ETag };
    } catch (err) {
      const status = httpStatus(err);
      if (status === 412 || status === 409 || ('ifMatch' in condition && isMissing(err))) return 'precondition-failed';
      throw awsFailure(err, `${doing} ${this.url(key)}`);
    }
  }

  /** Deletes the object (its current version; a versioned bucket keeps the older ones). */
  async delete(key: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      throw awsFailure(err, `deleting ${this.url(key)}`);
    }
  }

  /** Deletes the object only while its ETag is `etag`: 'deleted', 'changed' (412) or 'gone'. */
  async deleteIf(key: string, etag: string, doing = 'deleting'): Promise<'deleted' | 'changed' | 'gone'> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: etag }));
      return 'deleted';
    } catch (err) {
      if (httpStatus(err) === 412) return 'changed';
      if (isMissing(err)) return 'gone';
      throw awsFailure(err, `${doing} ${this.url(key)}`);
    }
  }

  /** The keys under `prefix`, every page; none when the bucket does not exist. */
  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      if (errName(err) === 'NoSuchBucket') return [];
      throw awsFailure(err, `listing ${this.url(prefix)}`);
    }
    return keys;
  }

  /** The object's ETag, or undefined when there is no such object (or no ETag came back). */
  async etagOf(key: string): Promise<string | undefined> {
    return (await this.head(key))?.etag;
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== undefined;
  }

  private async head(key: string): Promise<{ etag?: string } | undefined> {
    try {
      return { etag: (await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))).ETag };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw awsFailure(err, `checking ${this.url(key)}`);
    }
  }

  /** `s3://<bucket>/<key>`, for messages. */
  url(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}
