/**
 * Apply never applies a downstream layer's saved plan made against its upstream's old outputs.
 * The real terraform against a private emulator, in a scratch checkout; the tests build on each
 * other on dev/dev1:
 *
 * 1. dev1 is deployed (FLAG, then KARR and GOLIATH).
 * 2. A reviewed change moves a public subnet (a FLAG output KARR does not read) and adds a node
 *    group: apply applies FLAG, sees its outputs move, plans KARR again, finds the same diff as
 *    reviewed and applies that fresh plan.
 * 3. A reviewed change moves a private subnet (FLAG replaces it: a new id in the outputs KARR's
 *    node groups read) and adds another node group. KARR's reviewed plan still names the old subnet.
 *    Apply applies FLAG, plans KARR again, finds it differs from the reviewed KARR, and stops with
 *    KARR's new diff written, KARR untouched. The next apply deploys KARR onto FLAG's current subnets.
 *
 * 4. A third AZ is added. KARR reads FLAG's subnets as whole lists through one remote state, so it
 *    plans against the lists FLAG has applied; apply grows FLAG and stops with KARR's new diff.
 *
 * (Node groups are added rather than resized because the emulator does not implement EKS
 * DescribeUpdate, which terraform waits on after an in-place node group update.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { EMULATOR_CREDENTIALS } from '../bdda/engines/aws-env';
import { readChanges } from '../bdda/diff/changes';
import { loadEnvironment } from '../config/load';
import { changedOutputs } from '../bdda/workflow/downstream';
import { downstreamOf } from '../bdda/layers/index';
import { emulatorEndpoint } from '../bdda/engines/emulator';
import type { Layer } from '../config/naming';
import { captureConsole, runCli } from './support/cli-harness';
import { testEmulatorPort } from './support/emulated';
import { emulatedSuite } from './support/emulated-suite';
import { editFile } from './support/scratch';

const PORT = testEmulatorPort(45850);
const ENDPOINT = emulatorEndpoint(PORT);
const DEV1 = 'dev/dev1';

interface TfState {
  serial: number;
  outputs: Record<string, { value: unknown }>;
  resources: Array<{ type: string; name: string; instances: Array<{ attributes: Record<string, unknown> }> }>;
}

const suite = emulatedSuite({ port: PORT, env: DEV1 });
const captured = captureConsole();

const logText = () => captured.logs.join('\n');
const txtFile = () => path.join(suite.root, 'environments', DEV1, 'changes.txt');

async function expectRun(expected: number, ...args: string[]): Promise<void> {
  const code = await runCli(captured, ...args);
  if (code !== expected) {
    throw new Error(`bdda ${args.join(' ')} exited ${code}, expected ${expected}:\n${captured.errors.join('\n')}\n--- output:\n${logText().slice(-4000)}`);
  }
}

async function state(layer: Exclude<Layer, 'goliath'>): Promise<TfState> {
  const text = await suite.backend.getObject(loadEnvironment(suite.root, DEV1).naming.stateKey(layer));
  if (!text) throw new Error(`no ${layer} state`);
  return JSON.parse(text) as TfState;
}

/**
 * What S3 lock files (`use_lockfile`) left of terraform's lock on a layer's state: in the versioned
 * state bucket, each lock taken is a version of `<state key>.tflock` and each release a delete marker.
 */
async function lockFileHistory(layer: Exclude<Layer, 'goliath'>): Promise<{ versions: number; held: boolean }> {
  const key = `${loadEnvironment(suite.root, DEV1).naming.stateKey(layer)}.tflock`;
  const s3 = new S3Client({ region: 'us-east-1', endpoint: ENDPOINT, forcePathStyle: true, credentials: { ...EMULATOR_CREDENTIALS } });
  try {
    const out = await s3.send(new ListObjectVersionsCommand({ Bucket: suite.backend.bucket, Prefix: key }));
    const versions = (out.Versions ?? []).filter((v) => v.Key === key);
    const latestMarker = (out.DeleteMarkers ?? []).some((m) => m.Key === key && m.IsLatest);
    return { versions: versions.length, held: versions.some((v) => v.IsLatest) && !latestMarker };
  } finally {
    s3.destroy();
  }
}

const outputList = (s: TfState, name: string) => s.outputs[name]?.value as string[];

/** The attribute of every instance of every resource of `type`. */
function attributesOf(s: TfState, type: string): Array<Record<string, unknown>> {
  return s.resources.filter((r) => r.type === type).flatMap((r) => r.instances.map((i) => i.attributes));
}

/** The subnet ids KARR's cluster and node groups are placed in, by what holds them. */
function karrSubnets(s: TfState): { cluster: string[]; nodeGroups: string[][] } {
  const [cluster] = attributesOf(s, 'aws_eks_cluster');
  const vpcConfig = (cluster.vpc_config as Array<{ subnet_ids: string[] }>)[0];
  return {
    cluster: [...vpcConfig.subnet_ids].sort(),
    nodeGroups: attributesOf(s, 'aws_eks_node_group').map((g) => [...(g.subnet_ids as string[])].sort()),
  };
}

describe('a reviewed change that moves FLAG outputs', () => {
  const DEV1_YAML = 'environments/dev/dev1/env.yaml';
  let karrBefore: TfState;
  let reviewedKarr: string;
  let reviewedGoliath: string | undefined;

  /** Adds a small node group to dev1's env.yaml (a KARR change). */
  function addNodeGroup(name: string): void {
    const file = path.join(suite.root, DEV1_YAML);
    const text = fs.readFileSync(file, 'utf8');
    const block = text.includes('\n  nodeGroups:\n') ? '' : 'kubernetes:\n  nodeGroups:\n';
    fs.appendFileSync(
      file,
      `${block}    ${name}:\n      instanceTypes: [t3.medium]\n      capacityType: SPOT\n      minSize: 1\n      desiredSize: 1\n      maxSize: 2\n      diskSizeGiB: 20\n`,
    );
  }

  /** Plans, checks that FLAG and KARR both have a reviewed diff, and keeps KARR's state and digest. */
  async function planBoth(nodeGroup: string): Promise<void> {
    await expectRun(0, 'plan', '--env', DEV1);
    const reviewed = readChanges(path.join(suite.root, 'environments', DEV1));
    const layers = Object.fromEntries((reviewed?.record.layers ?? []).map((l) => [l.layer, l]));
    expect(layers.flag?.status).toBe('changes');
    expect(layers.karr?.status).toBe('changes');
    expect(layers.karr?.actions).toEqual(expect.objectContaining({ [`aws_eks_node_group.node-group-${nodeGroup}`]: 'create' }));
    reviewedKarr = layers.karr?.digest as string;
    reviewedGoliath = layers.goliath?.digest;
    karrBefore = await state('karr');
  }

  const nodeGroupNames = async () =>
    attributesOf(await state('karr'), 'aws_eks_node_group')
      .map((g) => g.node_group_name as string)
      .sort();

  test('dev1 is deployed: FLAG, then KARR and GOLIATH', async () => {
    await expectRun(0, 'plan', '--env', DEV1);
    await expectRun(0, 'apply', '--env', DEV1);
    expect(logText()).toMatch(/stopped: KARR was waiting/);
    await expectRun(0, 'apply', '--env', DEV1);
    expect(fs.existsSync(txtFile())).toBe(false);
    const flag = await state('flag');
    expect(outputList(flag, 'private_subnet_ids')).toHaveLength(2);
    expect(karrSubnets(await state('karr')).cluster).toEqual([...outputList(flag, 'intra_subnet_ids')].sort());

    // The shipped dev tier locks with S3 lock files: each run's lock was written and removed, and no lock table exists.
    for (const layer of ['flag', 'karr'] as const) expect(await lockFileHistory(layer)).toEqual({ versions: expect.any(Number), held: false });
    expect((await lockFileHistory('flag')).versions).toBeGreaterThanOrEqual(2);
    const dynamodb = new DynamoDBClient({ region: 'us-east-1', endpoint: ENDPOINT, credentials: { ...EMULATOR_CREDENTIALS } });
    try {
      expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    } finally {
      dynamodb.destroy();
    }
  }, 900_000);

  test('outputs KARR does not read moved: KARR is planned again after FLAG, and that fresh plan, the reviewed one, is applied', async () => {
    editFile(suite.root, DEV1_YAML, 'public: [10.11.0.0/24, 10.11.1.0/24]', 'public: [10.11.0.0/24, 10.11.2.0/24]');
    addNodeGroup('batch');
    await planBoth('batch');
    const publicBefore = outputList(await state('flag'), 'public_subnet_ids');

    await expectRun(0, 'apply', '--env', DEV1);
    const log = logText();
    const replanned = log.search(/FLAG\s+outputs changed \(.*public_subnet_ids.*\); planning KARR again/);
    const flagApplied = log.search(/FLAG\s+applied/);
    const karrApplying = log.search(/KARR\s+applying/);
    expect(flagApplied).toBeGreaterThan(-1);
    expect(replanned).toBeGreaterThan(flagApplied);
    expect(karrApplying).toBeGreaterThan(replanned);
    expect(log).not.toMatch(/stopped/);
    expect(fs.existsSync(txtFile())).toBe(false);
    expect(outputList(await state('flag'), 'public_subnet_ids')).not.toEqual(publicBefore);
    expect(await nodeGroupNames()).toEqual(['dev-dev1-batch', 'dev-dev1-general']);
  }, 900_000);

  test("outputs KARR reads moved: apply applies FLAG, plans KARR again, and stops with KARR's new diff, KARR untouched", async () => {
    editFile(suite.root, DEV1_YAML, 'private: [10.11.16.0/20, 10.11.32.0/20]', 'private: [10.11.16.0/20, 10.11.48.0/20]');
    addNodeGroup('batch2');
    await planBoth('batch2');
    const privateBefore = outputList(await state('flag'), 'private_subnet_ids');
    // The reviewed KARR was planned against the subnets FLAG has now.
    const reviewedText = readChanges(path.join(suite.root, 'environments', DEV1))?.text ?? '';
    const karrSection = reviewedText.slice(reviewedText.indexOf('======== KARR'));
    expect(karrSection).not.toMatch(/must be replaced/);

    await expectRun(0, 'apply', '--env', DEV1);
    const log = logText();
    expect(log).toMatch(/FLAG\s+outputs changed \(.+\); planning KARR again/);
    expect(log).toMatch(/stopped: FLAG's outputs changed, and KARR, planned again against them, now differs from the reviewed diff/);
    expect(log).not.toMatch(/KARR\s+applying/);

    const privateIds = outputList(await state('flag'), 'private_subnet_ids');
    expect(privateIds).toHaveLength(2);
    expect(privateIds).not.toEqual(privateBefore);
    // KARR's state is the one from before: its saved plan was never applied.
    const karr = await state('karr');
    expect(karr.serial).toBe(karrBefore.serial);
    expect(karr.resources).toEqual(karrBefore.resources);

    // The new diff holds KARR, planned against FLAG's current subnets, and (when the chart changed
    // too) GOLIATH's reviewed section, which comes after KARR; FLAG is deployed.
    const review = readChanges(path.join(suite.root, 'environments', DEV1));
    const layers = review?.record.layers.map((l) => l.layer) ?? [];
    expect(layers).toContain('karr');
    expect(layers).not.toContain('flag');
    expect(review?.record.layers.find((l) => l.layer === 'karr')?.digest).not.toBe(reviewedKarr);
    const goliath = review?.record.layers.find((l) => l.layer === 'goliath');
    if (goliath) expect(goliath.digest).toBe(reviewedGoliath);
    const moved = privateIds.filter((id) => !privateBefore.includes(id));
    expect(moved).toHaveLength(1);
    expect(review?.text).toContain(moved[0]);
  }, 900_000);

  test("the next apply deploys KARR onto FLAG's current subnets", async () => {
    await expectRun(0, 'apply', '--env', DEV1);
    expect(fs.existsSync(txtFile())).toBe(false);
    const flag = await state('flag');
    const subnets = karrSubnets(await state('karr'));
    expect(subnets.cluster).toEqual([...outputList(flag, 'intra_subnet_ids')].sort());
    expect(subnets.nodeGroups).toHaveLength(3);
    for (const group of subnets.nodeGroups) expect(group).toEqual([...outputList(flag, 'private_subnet_ids')].sort());
    expect(await nodeGroupNames()).toEqual(['dev-dev1-batch', 'dev-dev1-batch2', 'dev-dev1-general']);
  }, 900_000);

  test("a third AZ: KARR plans against FLAG's applied lists, then apply grows FLAG and stops with KARR's new diff over three subnets", async () => {
    editFile(suite.root, DEV1_YAML, 'public: [10.11.0.0/24, 10.11.2.0/24]', 'public: [10.11.0.0/24, 10.11.2.0/24, 10.11.3.0/24]');
    editFile(suite.root, DEV1_YAML, 'private: [10.11.16.0/20, 10.11.48.0/20]', 'private: [10.11.16.0/20, 10.11.48.0/20, 10.11.64.0/20]');
    editFile(suite.root, DEV1_YAML, 'intra: [10.11.8.0/26, 10.11.8.64/26]', 'intra: [10.11.8.0/26, 10.11.8.64/26, 10.11.8.128/26]');
    fs.appendFileSync(path.join(suite.root, DEV1_YAML), 'aws:\n  azs: [us-east-1a, us-east-1b, us-east-1c]\n');

    // KARR reads FLAG's subnets as whole lists, so before FLAG has the new AZ it plans against the
    // two-AZ lists FLAG has applied: nothing to do yet, and no output missing.
    await expectRun(0, 'plan', '--env', DEV1);
    expect(logText()).not.toMatch(/Unsupported attribute/);
    const planned = Object.fromEntries((readChanges(path.join(suite.root, 'environments', DEV1))?.record.layers ?? []).map((l) => [l.layer, l]));
    expect(planned.flag?.actions).toEqual(
      expect.objectContaining({ 'aws_subnet.private-subnet-us-east-1c': 'create', 'aws_subnet.intra-subnet-us-east-1c': 'create' }),
    );
    expect(planned.karr?.status ?? 'no-changes').toBe('no-changes');

    // Apply grows FLAG's lists; KARR, planned again against them, now moves to three subnets.
    await expectRun(0, 'apply', '--env', DEV1);
    const log = logText();
    expect(log).toMatch(/FLAG\s+outputs changed \(.*private_subnet_ids.*\); planning KARR again/);
    expect(log).not.toMatch(/Unsupported attribute/);
    const flag = await state('flag');
    expect(outputList(flag, 'private_subnet_ids')).toHaveLength(3);
    expect(outputList(flag, 'intra_subnet_ids')).toHaveLength(3);
    const review = readChanges(path.join(suite.root, 'environments', DEV1));
    expect(review?.record.layers.find((l) => l.layer === 'karr')?.status).toBe('changes');
    const added = outputList(flag, 'private_subnet_ids')[2];
    expect(review?.text).toContain(added);
  }, 900_000);
});

describe('which outputs moved, and who reads them', () => {
  test('changedOutputs names the outputs added, removed or changed in value, type or sensitivity, whatever the key order', () => {
    const before = { vpc_id: { value: 'vpc-1', type: 'string' }, ids: { value: ['a', 'b'], type: ['list', 'string'] }, gone: { value: 1, type: 'number' } };
    expect(
      changedOutputs(before, {
        ids: { type: ['list', 'string'], value: ['a', 'b'] },
        vpc_id: { value: 'vpc-1', type: 'string' },
        gone: { value: 1, type: 'number' },
      }),
    ).toEqual([]);
    expect(
      changedOutputs(before, {
        vpc_id: { value: 'vpc-1', type: 'string', sensitive: true },
        ids: { value: ['a', 'c'], type: ['list', 'string'] },
        added: { value: 2, type: 'number' },
      }),
    ).toEqual(['added', 'gone', 'ids', 'vpc_id']);
  });

  test('KARR reads FLAG, GOLIATH reads KARR, nothing reads GOLIATH', () => {
    expect(downstreamOf('flag')).toEqual(['karr']);
    expect(downstreamOf('karr')).toEqual(['goliath']);
    expect(downstreamOf('goliath')).toEqual([]);
  });
});
