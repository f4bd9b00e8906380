/**
 * The state bucket and the lock table every layer's S3 backend uses, and the workflow's own
 * objects in that bucket (its run locks among them).
 *
 * The workflow's lock is an S3 object written with `If-None-Match: *`, which S3 (and moto 5.2.1,
 * checked) refuses with 412 PreconditionFailed when the object is already there: one writer wins.
 */
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import {
  CreateBucketCommand,
  type BucketLocationConstraint,
  type CreateBucketCommandInput,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EMULATOR_CREDENTIALS } from '../engines/aws-env';

// The SDK warns, on every run, that its 2027 releases will need Node 22; the lockfile pins this one.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { BddaError } from '../../config/errors';

export interface StateBackendOptions {
  readonly bucket: string;
  readonly region: string;
  /** The DynamoDB table terraform locks state in; none when the backend uses S3 lock files. */
  readonly lockTable?: string;
  /** The emulator's endpoint, e.g. `http://127.0.0.1:4599`. Unset for real AWS. */
  readonly endpoint?: string;
  /**
   * Credentials to use. @default the emulator's fake ones when `endpoint` is set, otherwise the
   * SDK's default chain (environment, profile, SSO, instance role...).
   */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

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

/** Terraform's own lock record (DynamoDB item `Info`, or the `.tflock` object of S3 locking). */
export interface TerraformLockInfo {
  readonly id: string;
  readonly operation: string;
  readonly who: string;
  readonly created: string;
  readonly path: string;
}

export class StateBackend {
  readonly bucket: string;
  readonly region: string;
  readonly lockTable?: string;
  private readonly s3: S3Client;
  private readonly dynamodb: DynamoDBClient;

  constructor(opts: StateBackendOptions) {
    this.bucket = opts.bucket;
    this.region = opts.region;
    this.lockTable = opts.lockTable;
    const credentials = opts.credentials ?? (opts.endpoint ? { ...EMULATOR_CREDENTIALS } : undefined);
    const common = { region: opts.region, credentials, endpoint: opts.endpoint, maxAttempts: 3 };
    this.s3 = new S3Client({ ...common, forcePathStyle: opts.endpoint !== undefined });
    this.dynamodb = new DynamoDBClient(common);
  }

  /** Closes the SDK clients' sockets. */
  destroy(): void {
    this.s3.destroy();
    this.dynamodb.destroy();
  }

  /**
   * Creates what is missing: the bucket (versioned, encrypted by default, public access blocked)
   * and the lock table, if one is configured. An existing bucket is left as it is.
   */
  async ensure(): Promise<{ created: boolean }> {
    const bucketCreated = await this.ensureBucket();
    const tableCreated = this.lockTable ? await this.ensureTable(this.lockTable) : false;
    return { created: bucketCreated || tableCreated };
  }

  private async ensureBucket(): Promise<boolean> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return false;
    } catch (err) {
      const status = httpStatus(err);
      if (status === 403) throw this.foreignBucket();
      if (status !== 404 && errName(err) !== 'NotFound' && errName(err) !== 'NoSuchBucket') {
        throw this.wrap(err, `checking the state bucket ${this.bucket}`);
      }
    }
    const input: CreateBucketCommandInput = { Bucket: this.bucket };
    // us-east-1 is the one region that refuses an explicit location constraint.
    if (this.region !== 'us-east-1') input.CreateBucketConfiguration = { LocationConstraint: this.region as BucketLocationConstraint };
    try {
      await this.s3.send(new CreateBucketCommand(input));
    } catch (err) {
      if (errName(err) === 'BucketAlreadyOwnedByYou') return false;
      if (errName(err) === 'BucketAlreadyExists') throw this.foreignBucket();
      throw this.wrap(err, `creating the state bucket ${this.bucket}`);
    }
    try {
      await this.s3.send(
        new PutBucketVersioningCommand({ Bucket: this.bucket, VersioningConfiguration: { Status: 'Enabled' } }),
      );
      await this.s3.send(
        new PutBucketEncryptionCommand({
          Bucket: this.bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }],
          },
        }),
      );
      await this.s3.send(
        new PutPublicAccessBlockCommand({
          Bucket: this.bucket,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            IgnorePublicAcls: true,
            BlockPublicPolicy: true,
            RestrictPublicBuckets: true,
          },
        }),
      );
    } catch (err) {
      throw this.wrap(err, `configuring the new state bucket ${this.bucket} (versioning, encryption, public access block)`);
    }
    return true;
  }

  private async ensureTable(table: string): Promise<boolean> {
    try {
      const out = await this.dynamodb.send(new DescribeTableCommand({ TableName: table }));
      if (out.Table?.TableStatus !== 'CREATING') return false;
      await this.waitForTable(table);
      return false;
    } catch (err) {
      if (errName(err) !== 'ResourceNotFoundException') throw this.wrap(err, `checking the lock table ${table}`);
    }
    try {
      await this.dynamodb.send(
        new CreateTableCommand({
          TableName: table,
          AttributeDefinitions: [{ AttributeName: 'LockID', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'LockID', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (err) {
      // Someone else created it in the meantime.
      if (errName(err) !== 'ResourceInUseException') throw this.wrap(err, `creating the lock table ${table}`);
    }
    await this.waitForTable(table);
    return true;
  }

  private async waitForTable(table: string): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const out = await this.dynamodb.send(new DescribeTableCommand({ TableName: table }));
      if (out.Table?.TableStatus === 'ACTIVE') return;
      if (Date.now() > deadline) {
        throw new BddaError(`The lock table ${table} is still ${out.Table?.TableStatus} after two minutes. Run the command again in a while.`);
      }
      await sleep(1000);
    }
  }

  /** The object's text, or undefined when there is no such object. */
  async getObject(key: string): Promise<string | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body ? await out.Body.transformToString('utf8') : '';
    } catch (err) {
      if (errName(err) === 'NoSuchKey' || httpStatus(err) === 404) return undefined;
      throw this.wrap(err, `reading s3://${this.bucket}/${key}`);
    }
  }

  async putObject(key: string, body: string, contentType = 'application/json'): Promise<void> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (err) {
      throw this.wrap(err, `writing s3://${this.bucket}/${key}`);
    }
  }

  /** Deletes the object (its current version; a versioned bucket keeps the older ones). */
  async deleteObject(key: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      throw this.wrap(err, `deleting s3://${this.bucket}/${key}`);
    }
  }

  /** The object's text and ETag (for a later `putObjectIf` with `ifMatch`), or undefined when there is none. */
  async getObjectWithEtag(key: string): Promise<{ body: string; etag?: string } | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return { body: out.Body ? await out.Body.transformToString('utf8') : '', etag: out.ETag };
    } catch (err) {
      if (errName(err) === 'NoSuchKey' || httpStatus(err) === 404) return undefined;
      throw this.wrap(err, `reading s3://${this.bucket}/${key}`);
    }
  }

  /**
   * A conditional write: `ifNoneMatch: '*'` only creates, `ifMatch: <etag>` only replaces that
   * version (S3 and moto 5.2.1, checked, honour both on PutObject). Returns the new ETag, or
   * 'precondition-failed' when someone else wrote first (412, or 409 for a concurrent write;
   * 404 when an `ifMatch` object is gone).
   */
  async putObjectIf(key: string, body: string, condition: { readonly ifNoneMatch: '*' } | { readonly ifMatch: string }): Promise<{ etag?: string } | 'precondition-failed'> {
    try {
      const out = await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json', IfNoneMatch: 'ifNoneMatch' in condition ? condition.ifNoneMatch : undefined, IfMatch: 'ifMatch' in condition ? condition.ifMatch : undefined }));
      return { etag: out.ETag };
    } catch (err) {
      const status = httpStatus(err);
      if (status === 412 || status === 409 || ('ifMatch' in condition && (status === 404 || errName(err) === 'NoSuchKey'))) return 'precondition-failed';
      throw this.wrap(err, `writing s3://${this.bucket}/${key}`);
    }
  }

  /** Deletes the object only while its ETag is `etag`; false when it changed or is gone. */
  async deleteObjectIf(key: string, etag: string): Promise<boolean> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: etag }));
      return true;
    } catch (err) {
      const status = httpStatus(err);
      if (status === 412 || status === 404 || errName(err) === 'NoSuchKey') return false;
      throw this.wrap(err, `deleting s3://${this.bucket}/${key}`);
    }
  }

  /** The keys under `prefix`, every page. */
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
      throw this.wrap(err, `listing s3://${this.bucket}/${prefix}`);
    }
    return keys;
  }

  /** The object's ETag, or undefined when there is no such object. */
  private async etagOf(key: string): Promise<string | undefined> {
    try {
      return (await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }))).ETag;
    } catch (err) {
      if (httpStatus(err) === 404 || errName(err) === 'NotFound') return undefined;
      throw this.wrap(err, `checking s3://${this.bucket}/${key}`);
    }
  }

  async objectExists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (httpStatus(err) === 404 || errName(err) === 'NotFound') return false;
      throw this.wrap(err, `checking s3://${this.bucket}/${key}`);
    }
  }

  /**
   * Takes the workflow lock at `key`, or throws a BddaError naming who holds it and since when.
   * `breakHint` tells the user how to break a stale lock, e.g.
   * `npm run apply -- --env dev/eu --break-lock`.
   */
  async acquireLock(key: string, holder: LockHolder, breakHint?: string): Promise<HeldLock> {
    const info: LockInfo = {
      who: holder.who,
      operation: holder.operation,
      since: new Date().toISOString(),
      pid: process.pid,
      host: os.hostname(),
      runId: randomUUID(),
    };
    try {
      const out = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: JSON.stringify(info, null, 2) + '\n',
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
      return { key, info, etag: out.ETag };
    } catch (err) {
      // 412: the object is there. 409: a concurrent conditional write to the same key is in flight.
      const status = httpStatus(err);
      if (status !== 412 && status !== 409) throw this.wrap(err, `taking the lock s3://${this.bucket}/${key}`);
    }
    const held = await this.readLock(key).catch(() => undefined);
    // The SDK resends a put whose answer was lost; the resend is refused because the first one
    // wrote our own lock. The run id tells.
    if (held?.runId === info.runId) return { key, info, etag: await this.etagOf(key) };
    const by = held
      ? `${held.who} (${held.operation}, pid ${held.pid} on ${held.host}) since ${held.since}`
      : 'someone else (the lock object could not be read)';
    throw new BddaError(
      `The lock s3://${this.bucket}/${key} is held by ${by}. Wait for that run to finish. ` +
        (breakHint
          ? `If it is certain that run is dead, break the lock with: ${breakHint}`
          : `If it is certain that run is dead, delete the object s3://${this.bucket}/${key}.`),
    );
  }

  /** Removes the lock at `key`, whoever holds it: for `unlock --yes`, which breaks a dead run's lock. */
  async releaseLock(key: string): Promise<void> {
    await this.deleteObject(key);
  }

  /**
   * Removes a lock this run took, only if it still holds it: a delete conditional on the ETag
   * the put returned (`If-Match`, which S3 and moto 5.2.1 honour on DeleteObject). When the lock
   * was broken with `unlock --yes` and someone else took it since, their lock stays and this
   * returns 'lost'; 'gone' when nobody holds it any more.
   */
  async releaseOwnLock(held: HeldLock): Promise<'released' | 'lost' | 'gone'> {
    if (!held.etag) {
      // No ETag came back (a proxy stripped it): compare the body, which carries our random run id,
      // right before an unconditional delete. A window of one round trip remains.
      const now = await this.readLock(held.key);
      if (!now) return 'gone';
      if (now.runId !== held.info.runId) return 'lost';
      await this.deleteObject(held.key);
      return 'released';
    }
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: held.key, IfMatch: held.etag }));
      return 'released';
    } catch (err) {
      if (httpStatus(err) === 412) return 'lost';
      if (httpStatus(err) === 404 || errName(err) === 'NoSuchKey') return 'gone';
      throw this.wrap(err, `releasing the lock s3://${this.bucket}/${held.key}`);
    }
  }

  /** The lock at `key`, or undefined when nobody holds it. */
  async readLock(key: string): Promise<LockInfo | undefined> {
    const text = await this.getObject(key);
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

  /**
   * Who holds terraform's own lock on the state at `stateKey`: the lock table's item
   * `<bucket>/<stateKey>` when a lock table is configured, else the `<stateKey>.tflock` object
   * (S3 native locking). Undefined when the state is not locked.
   */
  async terraformLockInfo(stateKey: string): Promise<TerraformLockInfo | undefined> {
    let text: string | undefined;
    if (this.lockTable) {
      try {
        const out = await this.dynamodb.send(
          new GetItemCommand({
            TableName: this.lockTable,
            Key: { LockID: { S: `${this.bucket}/${stateKey}` } },
            ConsistentRead: true,
          }),
        );
        text = out.Item?.Info?.S;
      } catch (err) {
        throw this.wrap(err, `reading terraform's lock on ${stateKey} from ${this.lockTable}`);
      }
    } else {
      text = await this.getObject(`${stateKey}.tflock`);
    }
    if (text === undefined) return undefined;
    try {
      const v = JSON.parse(text) as Record<string, unknown>;
      return {
        id: String(v.ID ?? ''),
        operation: String(v.Operation ?? ''),
        who: String(v.Who ?? ''),
        created: String(v.Created ?? ''),
        path: String(v.Path ?? ''),
      };
    } catch {
      return { id: '', operation: '', who: '', created: '', path: stateKey };
    }
  }

  private foreignBucket(): BddaError {
    return new BddaError(
      `The state bucket ${this.bucket} exists but is not reachable with these credentials: it belongs to another ` +
        `AWS account, or they lack s3:ListBucket on it. Bucket names are global; if the bucket is not yours, ` +
        `choose another name in backend.bucket of the environment's env.yaml.`,
    );
  }

  private wrap(err: unknown, doing: string): Error {
    const name = errName(err);
    if (name === 'CredentialsProviderError' || name === 'ExpiredToken' || name === 'ExpiredTokenException') {
      return new BddaError(`No valid AWS credentials while ${doing}: ${messageOf(err)}. Log in (e.g. aws sso login) and run again.`);
    }
    if (isConnectionError(err)) {
      return new BddaError(`Could not reach AWS while ${doing}: ${messageOf(err)}.`);
    }
    if (err instanceof Error) err.message = `${doing}: ${err.message}`;
    return err instanceof Error ? err : new Error(`${doing}: ${String(err)}`);
  }
}

function errName(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? '';
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND' || code === 'ETIMEDOUT';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
