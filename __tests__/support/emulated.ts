/**
 * Helpers for suites that run against the emulator: apply a saved terraform plan the way the
 * workflow would, and hold terraform's state lock as another run would.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EMULATOR_CREDENTIALS, emulatorAwsEnv } from '../../bdda/engines/aws-env';
import { tools } from '../../bdda/engines/tools';

/**
 * A port of the suite's own: each suite passes a base of its own, 25000 to 25990 in steps of ten,
 * and may use the ten ports from it (a proxy, a port held busy), so suites running side by side in
 * jest's workers never meet. The block lies below Linux's ephemeral range (32768 and up), where
 * terraform's and the SDK's outgoing connections would otherwise take a suite's port before its
 * emulator binds it. `BDDA_TEST_PORT_OFFSET` shifts every suite's ports, so two test runs
 * on one machine do not meet either; the repository's own emulator (4599) is far below.
 */
export function testEmulatorPort(base: number): number {
  return base + Number(process.env.BDDA_TEST_PORT_OFFSET ?? 0);
}

/**
 * `terraform apply <plan file>` in the plan file's folder, pointed at the emulator. Throws with
 * terraform's output when it fails.
 */
export function applySavedPlan(root: string, planFile: string, endpoint: string): string {
  const result = spawnSync(tools().terraform, ['apply', '-input=false', '-no-color', planFile], {
    cwd: path.dirname(planFile),
    encoding: 'utf8',
    env: {
      ...process.env,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
      ...emulatorAwsEnv(endpoint),
      TF_CLI_CONFIG_FILE: path.join(root, 'build', 'terraform.rc'),
    },
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) {
    throw new Error(`terraform apply ${planFile} failed (exit ${result.status}${result.error ? `, ${result.error.message}` : ''}):\n${output.slice(-4000)}`);
  }
  return output;
}

export interface HeldLock {
  /** The lock's path, `<bucket>/<state key>`: the lock table's key, or the `.tflock` object's place. */
  readonly lockId: string;
  release(): Promise<void>;
}

/**
 * Writes terraform's own lock for `stateKey`, as a running terraform holding it would: the
 * `<stateKey>.tflock` object of S3 lock files (`use_lockfile`, the default), or with `table` the
 * item of that DynamoDB lock table (the older option).
 */
export async function holdTerraformLock(
  endpoint: string,
  opts: { table?: string; bucket: string; stateKey: string; region: string; who: string },
): Promise<HeldLock> {
  const lockId = `${opts.bucket}/${opts.stateKey}`;
  const info = JSON.stringify({
    ID: '3f2a9c1e-0000-4000-8000-000000000001',
    Operation: 'OperationTypeApply',
    Info: '',
    Who: opts.who,
    Version: '1.11.4',
    Created: '2026-01-01T00:00:00Z',
    Path: lockId,
  });
  const credentials = { ...EMULATOR_CREDENTIALS };
  if (opts.table) {
    const table = opts.table;
    const client = new DynamoDBClient({ region: opts.region, endpoint, credentials });
    await client.send(new PutItemCommand({ TableName: table, Item: { LockID: { S: lockId }, Info: { S: info } } }));
    return {
      lockId,
      async release() {
        try {
          await client.send(new DeleteItemCommand({ TableName: table, Key: { LockID: { S: lockId } } }));
        } finally {
          client.destroy();
        }
      },
    };
  }
  const s3 = new S3Client({ region: opts.region, endpoint, credentials, forcePathStyle: true });
  const key = `${opts.stateKey}.tflock`;
  await s3.send(new PutObjectCommand({ Bucket: opts.bucket, Key: key, Body: info, ContentType: 'application/json' }));
  return {
    lockId,
    async release() {
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: opts.bucket, Key: key }));
      } finally {
        s3.destroy();
      }
    },
  };
}
