/**
 * Creating the state bucket (versioned, encrypted by default, public access blocked) and
 * terraform's DynamoDB lock table when they are missing.
 */
import {
  CreateBucketCommand,
  type BucketLocationConstraint,
  type CreateBucketCommandInput,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BddaError } from '../../config/errors';
import { awsFailure, errName, httpStatus } from './aws-errors';

/** Creates the bucket unless it exists; true when it was created. An existing bucket is left as it is. */
export async function ensureStateBucket(s3: S3Client, bucket: string, region: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (err) {
    const status = httpStatus(err);
    if (status === 403) throw foreignBucket(bucket);
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
    if (errName(err) === 'BucketAlreadyOwnedByYou') return false;
    if (errName(err) === 'BucketAlreadyExists') throw foreignBucket(bucket);
    throw awsFailure(err, `creating the state bucket ${bucket}`);
  }
  try {
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }],
        },
      }),
    );
    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket: bucket,
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }),
    );
  } catch (err) {
    throw awsFailure(err, `configuring the new state bucket ${bucket} (versioning, encryption, public access block)`);
  }
  return true;
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

function foreignBucket(bucket: string): BddaError {
  return new BddaError(
    `The state bucket ${bucket} exists but is not reachable with these credentials: it belongs to another ` +
      `AWS account, or they lack s3:ListBucket on it. Bucket names are global; if the bucket is not yours, ` +
      `choose another name in backend.bucket of the environment's env.yaml.`,
  );
}
