/**
 * Creating the state bucket and terraform's DynamoDB lock table when they are missing, and
 * refusing an existing bucket that is not this account's or keeps no versions.
 *
 * Bucket names are global and ours are predictable (`backend.bucket`), so every call that can
 * carries `ExpectedBucketOwner`: a bucket of the same name in another account is refused by S3
 * itself instead of receiving our state. A new bucket is versioned, encrypted with a KMS key
 * (the one `backend.kmsKeyArn` names, or one bdda creates with the alias `alias/bdda-state/<bucket>`),
 * closed to public access, and its policy refuses every request that does not use TLS.
 */
import {
  CreateBucketCommand,
  type BucketLocationConstraint,
  type CreateBucketCommandInput,
  GetBucketVersioningCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { KMSClient } from '@aws-sdk/client-kms';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BddaError } from '../../config/errors';
import { awsFailure, errName, httpStatus } from './aws-errors';

/** The state bucket as the config describes it. */
export interface StateBucketSpec {
  /** The bucket's name (`backend.bucket`). */
  readonly bucket: string;
  /** Its region (`backend.region`). */
  readonly region: string;
  /**
   * The account the bucket must belong to; sent as `ExpectedBucketOwner`.
   * @default - not checked (the emulator, whose account is fixed)
   */
  readonly accountId?: string;
  /**
   * The KMS key (or alias) ARN that encrypts the bucket.
   * @default - a key bdda creates, aliased `alias/bdda-state/<bucket>`
   */
  readonly kmsKeyArn?: string;
  /**
   * Give the bucket the policy that refuses requests without TLS. Off for the emulator, which is
   * served over plain HTTP on 127.0.0.1 and enforces bucket policies.
   * @default true
   */
  readonly requireTls?: boolean;
}

/** The S3 and KMS clients bucket creation talks to; only `send` is used. */
export interface StateBucketClients {
  readonly s3: Pick<S3Client, 'send'>;
  /** Made only when a bucket is created without a configured key. */
  readonly kms: () => Promise<Pick<KMSClient, 'send'>>;
}

/**
 * Adds `ExpectedBucketOwner` to every request the client sends for `bucket` (the SDK leaves the
 * field out of the requests of commands that have no such parameter, such as CreateBucket).
 */
export function expectBucketOwner(s3: S3Client, bucket: string, accountId: string): void {
  s3.middlewareStack.add(
    (next) => (args) => {
      const input = args.input as { Bucket?: string; ExpectedBucketOwner?: string };
      if (input.Bucket === bucket) input.ExpectedBucketOwner ??= accountId;
      return next(args);
    },
    { step: 'initialize', name: 'bddaExpectedBucketOwner' },
  );
}

/** The policy that refuses every request made without TLS. */
function tlsOnlyPolicy(bucket: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
}

/** Creates the bucket unless it exists; true when it was created. An existing bucket must be ours and versioned. */
export async function ensureStateBucket(clients: StateBucketClients, spec: StateBucketSpec): Promise<boolean> {
  const { s3 } = clients;
  const { bucket, region } = spec;
  const owner = spec.accountId ? { ExpectedBucketOwner: spec.accountId } : {};
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket, ...owner }));
    await assertVersioned(clients, spec);
    return false;
  } catch (err) {
    if (err instanceof BddaError) throw err;
    const status = httpStatus(err);
    if (status === 403) throw foreignBucket(spec);
    if (status !== 404 && errName(err) !== 'NotFound' && errName(err) !== 'NoSuchBucket') {
      throw awsFailure(err, `checking the state bucket ${bucket}`);
    }
  }
  const input: CreateBucketCommandInput = { Bucket: bucket };
  // us-east-1 is the one region that refuses an explicit location constraint.
  if (region !== 'us-east-1') input.CreateBucketConfiguration = { LocationConstraint: region as BucketLocationConstraint };
  try {
    await s3.send(new CreateBucketCommand(input));
  } catch (err) {
    if (errName(err) === 'BucketAlreadyOwnedByYou') {
      await assertVersioned(clients, spec);
      return false;
    }
    if (errName(err) === 'BucketAlreadyExists') throw foreignBucket(spec);
    throw awsFailure(err, `creating the state bucket ${bucket}`);
  }
  try {
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' }, ...owner }));
    const keyArn = spec.kmsKeyArn ?? (await ensureStateKey(await clients.kms(), bucket));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }],
        },
        ...owner,
      }),
    );
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
        ...owner,
      }),
    );
    if (spec.requireTls ?? true) await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: tlsOnlyPolicy(bucket), ...owner }));
  } catch (err) {
    if (err instanceof BddaError) throw err;
    throw awsFailure(err, `configuring the new state bucket ${bucket} (versioning, KMS encryption, public access block, TLS-only policy)`);
  }
  return true;
}

/** Refuses a bucket whose versioning is not on: without old versions a bad write loses the state. */
async function assertVersioned({ s3 }: StateBucketClients, spec: StateBucketSpec): Promise<void> {
  const owner = spec.accountId ? { ExpectedBucketOwner: spec.accountId } : {};
  let status: string | undefined;
  try {
    status = (await s3.send(new GetBucketVersioningCommand({ Bucket: spec.bucket, ...owner }))).Status;
  } catch (err) {
    if (httpStatus(err) === 403) throw foreignBucket(spec);
    throw awsFailure(err, `reading the versioning of the state bucket ${spec.bucket}`);
  }
  if (status !== 'Enabled') {
    throw new BddaError(
      `The state bucket ${spec.bucket} exists but its versioning is ${status ? status.toLowerCase() : 'off'}: without old versions of ` +
        `the state, one bad write loses it. Turn versioning on (aws s3api put-bucket-versioning --bucket ${spec.bucket} ` +
        `--versioning-configuration Status=Enabled) or name another bucket in backend.bucket of the environment's env.yaml, then run again.`,
    );
  }
}

/** The state key's alias for a bucket; KMS aliases allow no dots. */
export function stateKeyAlias(bucket: string): string {
  return `alias/bdda-state/${bucket.replace(/\./g, '-')}`;
}

/** The ARN of the key behind the bucket's alias, created (rotating yearly) when there is none. */
async function ensureStateKey(kms: Pick<KMSClient, 'send'>, bucket: string): Promise<string> {
  const { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, EnableKeyRotationCommand } = await import('@aws-sdk/client-kms');
  const alias = stateKeyAlias(bucket);
  const existing = async (): Promise<string | undefined> => {
    try {
      return (await kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.Arn;
    } catch (err) {
      if (errName(err) === 'NotFoundException') return undefined;
      throw awsFailure(err, `looking up the state bucket's key ${alias}`);
    }
  };
  const found = await existing();
  if (found) return found;
  try {
    const created = await kms.send(
      new CreateKeyCommand({
        Description: `Encryption of the bdda state bucket ${bucket}`,
        Tags: [{ TagKey: 'managed-by', TagValue: 'bdda' }],
      }),
    );
    const keyId = created.KeyMetadata?.KeyId as string;
    await kms.send(new EnableKeyRotationCommand({ KeyId: keyId }));
    await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
    return created.KeyMetadata?.Arn as string;
  } catch (err) {
    // Another run created the alias in the meantime: use its key.
    if (errName(err) === 'AlreadyExistsException') {
      const raced = await existing();
      if (raced) return raced;
    }
    throw awsFailure(err, `creating the state bucket's key ${alias}`);
  }
}

/** Creates terraform's lock table unless it exists, and waits until it is ACTIVE; true when it was created. */
export async function ensureLockTable(dynamodb: DynamoDBClient, table: string): Promise<boolean> {
  try {
    const out = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
    if (out.Table?.TableStatus !== 'CREATING') return false;
    await waitForTable(dynamodb, table);
    return false;
  } catch (err) {
    if (errName(err) !== 'ResourceNotFoundException') throw awsFailure(err, `checking the lock table ${table}`);
  }
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'LockID', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'LockID', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (err) {
    // Someone else created it in the meantime.
    if (errName(err) !== 'ResourceInUseException') throw awsFailure(err, `creating the lock table ${table}`);
  }
  await waitForTable(dynamodb, table);
  return true;
}

async function waitForTable(dynamodb: DynamoDBClient, table: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const out = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) {
      throw new BddaError(`The lock table ${table} is still ${out.Table?.TableStatus} after two minutes. Run the command again in a while.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function foreignBucket({ bucket, accountId }: StateBucketSpec): BddaError {
  return new BddaError(
    `The state bucket ${bucket} exists but is not ${accountId ? `in account ${accountId}` : 'reachable with these credentials'}: it belongs to ` +
      `another AWS account, or these credentials lack s3:ListBucket on it. Bucket names are global; if the bucket is not yours, ` +
      `choose another name in backend.bucket of the environment's env.yaml.`,
  );
}
