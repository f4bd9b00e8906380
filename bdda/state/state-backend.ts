/**
 * The state backend of one environment: the bucket every layer's S3 backend uses and, when
 * configured, terraform's DynamoDB lock table. One object for call sites; the work is done in
 * bucket.ts (creation), objects.ts (reads and conditional writes), apply-lock.ts (the
 * workflow's lock) and terraform-locks.ts (terraform's lock info).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { EMULATOR_CREDENTIALS } from '../engines/aws-env';
import { acquireLock, type HeldLock, type LockHolder, type LockInfo, readLock, releaseOwnLock } from './apply-lock';
import { ensureLockTable, ensureStateBucket, expectBucketOwner } from './bucket';
import { StateObjects } from './objects';
import { readTerraformLock, type TerraformLockInfo } from './terraform-locks';

// The SDK warns, on every run, that its 2027 releases will need Node 22; the lockfile pins this one.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface StateBackendOptions {
  readonly bucket: string;
  readonly region: string;
  /** The DynamoDB table terraform locks state in; none when the backend uses S3 lock files. */
  readonly lockTable?: string;
  /**
   * The account the bucket must belong to: every request for it carries `ExpectedBucketOwner`.
   * @default - not checked
   */
  readonly accountId?: string;
  /**
   * The KMS key that encrypts a bucket this backend creates.
   * @default - a key bdda creates for the bucket
   */
  readonly kmsKeyArn?: string;
  /** The emulator's endpoint, e.g. `http://127.0.0.1:4599`. Unset for real AWS. */
  readonly endpoint?: string;
  /**
   * Credentials to use. @default the emulator's fake ones when `endpoint` is set, otherwise the
   * SDK's default chain (environment, profile, SSO, instance role...).
   */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export class StateBackend {
  readonly bucket: string;
  readonly region: string;
  readonly lockTable?: string;
  private readonly s3: S3Client;
  private readonly dynamodb: DynamoDBClient;
  /** The bucket's objects, for the compare-and-swap of json-objects.ts. */
  readonly objects: StateObjects;
  private readonly options: StateBackendOptions;
  private readonly clientConfig: { region: string; credentials?: StateBackendOptions['credentials']; endpoint?: string; maxAttempts: number };

  constructor(opts: StateBackendOptions) {
    this.bucket = opts.bucket;
    this.region = opts.region;
    this.lockTable = opts.lockTable;
    const credentials = opts.credentials ?? (opts.endpoint ? { ...EMULATOR_CREDENTIALS } : undefined);
    const common = { region: opts.region, credentials, endpoint: opts.endpoint, maxAttempts: 3 };
    this.s3 = new S3Client({ ...common, forcePathStyle: opts.endpoint !== undefined });
    if (opts.accountId) expectBucketOwner(this.s3, this.bucket, opts.accountId);
    this.options = opts;
    this.clientConfig = common;
    this.dynamodb = new DynamoDBClient(common);
    this.objects = new StateObjects(this.s3, this.bucket);
  }

  /** Closes the SDK clients' sockets. */
  destroy(): void {
    this.s3.destroy();
    this.dynamodb.destroy();
  }

  /**
   * Creates what is missing: the bucket (versioned, KMS-encrypted, public access blocked, TLS
   * only) and the lock table, if one is configured. An existing bucket must be this account's
   * and versioned; it is otherwise left as it is.
   */
  async ensure(): Promise<{ created: boolean }> {
    const { accountId, kmsKeyArn } = this.options;
    // Loaded only to create a bucket's key: most runs find the bucket and never need KMS.
    let kms: KMSClient | undefined;
    const kmsClient = async (): Promise<KMSClient> => {
      const { KMSClient } = await import('@aws-sdk/client-kms');
      kms ??= new KMSClient(this.clientConfig);
      return kms;
    };
    let bucketCreated: boolean;
    try {
      bucketCreated = await ensureStateBucket(
        { s3: this.s3, kms: kmsClient },
        {
          bucket: this.bucket,
          region: this.region,
          ...(accountId ? { accountId } : {}),
          ...(kmsKeyArn ? { kmsKeyArn } : {}),
          requireTls: !plainHttp(s3Endpoint(this.options.endpoint)),
        },
      );
    } finally {
      kms?.destroy();
    }
    const tableCreated = this.lockTable ? await ensureLockTable(this.dynamodb, this.lockTable) : false;
    return { created: bucketCreated || tableCreated };
  }

  /** The object's text, or undefined when there is no such object. */
  getObject(key: string): Promise<string | undefined> {
    return this.objects.get(key);
  }

  putObject(key: string, body: string, contentType = 'application/json'): Promise<void> {
    return this.objects.put(key, body, contentType);
  }

  /** Deletes the object (its current version; a versioned bucket keeps the older ones). */
  deleteObject(key: string): Promise<void> {
    return this.objects.delete(key);
  }

  /** The keys under `prefix`, every page. */
  listKeys(prefix: string): Promise<string[]> {
    return this.objects.listKeys(prefix);
  }

  objectExists(key: string): Promise<boolean> {
    return this.objects.exists(key);
  }

  /** Takes the workflow lock at `key`, or throws a BddaError naming who holds it (see apply-lock.ts). */
  acquireLock(key: string, holder: LockHolder, breakHint?: string): Promise<HeldLock> {
    return acquireLock(this.objects, key, holder, breakHint);
  }

  /** Removes the lock at `key`, whoever holds it: for `unlock --yes`, which breaks a dead run's lock. */
  releaseLock(key: string): Promise<void> {
    return this.objects.delete(key);
  }

  /** Removes a lock this run took, only if it still holds it (see apply-lock.ts). */
  releaseOwnLock(held: HeldLock): Promise<'released' | 'lost' | 'gone'> {
    return releaseOwnLock(this.objects, held);
  }

  /** The lock at `key`, or undefined when nobody holds it. */
  readLock(key: string): Promise<LockInfo | undefined> {
    return readLock(this.objects, key);
  }

  /** Who holds terraform's own lock on the state at `stateKey`; undefined when the state is not locked. */
  terraformLockInfo(stateKey: string): Promise<TerraformLockInfo | undefined> {
    return readTerraformLock(this.objects, stateKey, this.lockTable ? { client: this.dynamodb, name: this.lockTable } : undefined);
  }
}

/** The S3 endpoint the SDK talks to: the emulator's, else one the AWS environment variables name; undefined for AWS's own. */
function s3Endpoint(configured: string | undefined): string | undefined {
  return configured ?? (process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined);
}

// A bucket policy refusing plain HTTP would refuse bdda's own requests to an http:// endpoint (an
// S3 stand-in), so a bucket is made TLS-only only where bdda itself reaches it over TLS.
function plainHttp(endpoint: string | undefined): boolean {
  return endpoint?.toLowerCase().startsWith('http:') ?? false;
}
