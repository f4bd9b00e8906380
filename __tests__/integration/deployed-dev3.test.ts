/**
 * dev/dev3 deployed once from nothing, then planned again: the real terraform against a private
 * emulator, in a scratch checkout whose dev tier sets a lock table again and whose dev3 runs
 * Kubernetes 1.34.
 *
 * - The older locking option, `backend.lockTable` (a DynamoDB table, deprecated by terraform
 *   1.11), still works end to end, and terraform's deprecation warning about it stays out of the
 *   reviewed diff: it is shown once as a WARNING line instead.
 * - A one-minor Kubernetes upgrade (1.34 to 1.35) of the deployed environment plans as in-place
 *   updates, never as replacements.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { EMULATOR_CREDENTIALS } from '../../bdda/engines/aws-env';
import { readChanges } from '../../bdda/diff/changes';
import { loadEnvironment } from '../../config/load';
import { emulatorEndpoint } from '../../bdda/engines/emulator';
import { captureConsole, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { emulatedSuite } from '../support/emulated-suite';
import { editFile } from '../support/scratch';

const PORT = testEmulatorPort(25760);
const ENDPOINT = emulatorEndpoint(PORT);
const DEV3 = 'dev/dev3';
const DEV3_YAML = `environments/${DEV3}/env.yaml`;
const TABLE = 'acme-bdda-dev-locks';

const suite = emulatedSuite({
  port: PORT,
  env: DEV3,
  prepare: (root) => {
    editFile(root, 'environments/dev/env.yaml', /^backend:\n/m, `backend:\n  lockTable: ${TABLE}\n`);
    editFile(root, DEV3_YAML, /^vpc:\n/m, 'kubernetes:\n  version: "1.34"\nvpc:\n');
  },
});
const captured = captureConsole();
const credentials = { ...EMULATOR_CREDENTIALS };

async function expectRun(expected: number, ...args: string[]): Promise<void> {
  const code = await runCli(captured, ...args);
  if (code !== expected) {
    throw new Error(
      `bdda ${args.join(' ')} exited ${code}, expected ${expected}:\n${captured.errors.join('\n')}\n--- output:\n${captured.logs.join('\n').slice(-4000)}`,
    );
  }
}

test('with backend.lockTable, the three layers (Kubernetes 1.34) are applied with DynamoDB locks, and the deprecation warning is shown, not reviewed', async () => {
  const env = loadEnvironment(suite.root, DEV3);
  expect(env.config.backend.lockTable).toBe(TABLE);
  await expectRun(0, 'plan', '--env', DEV3);
  // KARR reads FLAG's state through terraform_remote_state, whose config names the lock table; its
  // preview (against FLAG's planned outputs) is where terraform first warns.
  const review = readChanges(env.dir);
  expect(review?.record.layers.find((l) => l.layer === 'karr')?.status).toBe('preview');
  expect(review?.text).not.toMatch(/Deprecated|dynamodb_table|use_lockfile/);
  expect(fs.readFileSync(path.join(env.dir, 'changes.txt'), 'utf8')).toContain('======== KARR');

  await expectRun(0, 'apply', '--env', DEV3);
  const log = captured.logs.join('\n');
  expect(log).toMatch(/every layer is deployed/);
  expect(fs.existsSync(path.join(env.dir, 'changes.txt'))).toBe(false);
  const warnings = log.split('\n').filter((line) => / WARNING .*Deprecated Parameter/.test(line));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/KARR: terraform warns \(left out of changes\.txt\): Deprecated Parameter: The parameter "dynamodb_table" is deprecated/);

  // Terraform locked in the table and released every lock; no S3 lock file was ever written.
  const dynamodb = new DynamoDBClient({ region: 'us-east-1', endpoint: ENDPOINT, credentials });
  const s3 = new S3Client({ region: 'us-east-1', endpoint: ENDPOINT, forcePathStyle: true, credentials });
  try {
    const items = (await dynamodb.send(new ScanCommand({ TableName: TABLE }))).Items ?? [];
    // What stays is terraform's state digests (`<path>-md5`), never a lock (`Info`).
    expect(items.filter((item) => item.Info !== undefined)).toEqual([]);
    expect(items.some((item) => item.LockID?.S === `${env.config.backend.bucket}/${env.naming.stateKey('flag')}-md5`)).toBe(true);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: env.config.backend.bucket, Prefix: 'dev/dev3/' }));
    expect([...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].filter((v) => v.Key?.endsWith('.tflock'))).toEqual([]);
  } finally {
    dynamodb.destroy();
    s3.destroy();
  }
}, 600_000);

/** The planned action of every address of a layer in the reviewed diff. */
function actions(layer: string): Record<string, string> {
  const record = readChanges(`${suite.root}/environments/${DEV3}`)?.record;
  return { ...record?.layers.find((l) => l.layer === layer)?.actions };
}

test('the bump to 1.35 updates the control plane and the node groups in place, and replaces nothing', async () => {
  editFile(suite.root, DEV3_YAML, 'version: "1.34"', 'version: "1.35"');
  await expectRun(2, 'plan', '--env', DEV3, '--detailed-exitcode');
  const karr = actions('karr');
  expect(karr['aws_eks_cluster.cluster']).toBe('update');
  const nodeGroups = Object.entries(karr).filter(([address]) => address.startsWith('aws_eks_node_group.'));
  expect(nodeGroups.length).toBeGreaterThan(0);
  for (const [, action] of nodeGroups) expect(action).toBe('update');
  expect(Object.entries(karr).filter(([, action]) => action === 'replace' || action === 'delete')).toEqual([]);
  expect(Object.keys(actions('flag'))).toEqual([]);
  // Goliath follows with the cluster-autoscaler of the new minor.
  expect(actions('goliath')['apps/v1 Deployment platform/cluster-autoscaler']).toBe('update');
});
