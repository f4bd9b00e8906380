/**
 * The state bucket and the lock table every layer's S3 backend uses, and the workflow's own
 * objects in that bucket (its run locks among them).
 *
 * The workflow's lock is an S3 object written with `If-None-Match: *`, which S3 (and moto 5.2.1,
 * checked) refuses with 412 PreconditionFailed when the object is already there: one writer wins.
 */
import * as os from 'node:os';
import {
  CreateBucketCommand,
  type BucketLocationConstraint,
  type CreateBucketCommandInput,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EMULATOR_CREDENTIALS } from './aws-env';

// The SDK warns, on every run, that its 2027 releases will need Node 22; the lockfile pins this one.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { BddaError } from './errors';

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
  async acquireLock(key: string, holder: LockHolder, breakHint?: string): Promise<LockInfo> {
    const info: LockInfo = {
      who: holder.who,
      operation: holder.operation,
      since: new Date().toISOString(),
      pid: process.pid,
      host: os.hostname(),
    };
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: JSON.stringify(info, null, 2) + '\n',
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
      return info;
    } catch (err) {
      // 412: the object is there. 409: a concurrent conditional write to the same key is in flight.
      const status = httpStatus(err);
      if (status !== 412 && status !== 409) throw this.wrap(err, `taking the lock s3://${this.bucket}/${key}`);
    }
    const held = await this.readLock(key).catch(() => undefined);
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

  /** Removes the lock at `key`, whoever holds it. */
  async releaseLock(key: string): Promise<void> {
    await this.deleteObject(key);
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
