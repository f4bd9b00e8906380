/**
 * Helpers for suites that run against the emulator: apply a saved terraform plan the way the
 * workflow would, and hold terraform's DynamoDB state lock as another run would.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EMULATOR_CREDENTIALS, emulatorAwsEnv } from '../../bdda/aws-env';
import { tools } from '../../bdda/tools';

/**
 * A port per jest worker, away from the ports of the other suites and of the repo (4599).
 * `BDDA_TEST_PORT_OFFSET` shifts every suite's ports, so two test runs on one machine do not meet.
 */
export function testEmulatorPort(base: number, perWorker = 1): number {
  return base + Number(process.env.BDDA_TEST_PORT_OFFSET ?? 0) + Number(process.env.JEST_WORKER_ID ?? 0) * perWorker;
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
  readonly lockId: string;
  release(): Promise<void>;
}

/** Writes terraform's own lock item for `stateKey`, as a running terraform holding it would. */
export async function holdTerraformLock(
  endpoint: string,
  opts: { table: string; bucket: string; stateKey: string; region: string; who: string },
): Promise<HeldLock> {
  const client = new DynamoDBClient({ region: opts.region, endpoint, credentials: { ...EMULATOR_CREDENTIALS } });
  const lockId = `${opts.bucket}/${opts.stateKey}`;
  const info = {
    ID: '3f2a9c1e-0000-4000-8000-000000000001',
    Operation: 'OperationTypeApply',
    Info: '',
    Who: opts.who,
    Version: '1.11.4',
    Created: '2026-01-01T00:00:00Z',
    Path: lockId,
  };
  await client.send(new PutItemCommand({ TableName: opts.table, Item: { LockID: { S: lockId }, Info: { S: JSON.stringify(info) } } }));
  return {
    lockId,
    async release() {
      try {
        await client.send(new DeleteItemCommand({ TableName: opts.table, Key: { LockID: { S: lockId } } }));
      } finally {
        client.destroy();
      }
    },
  };
}
