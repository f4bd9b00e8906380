/**
 * Whole-cake previews (bdda/workflow/preview.ts), with the real terraform against a private
 * emulator, in a scratch checkout. The tests build on each other on dev/dev1:
 *
 * 1. A fresh dev1: one plan shows FLAG, a preview of KARR against FLAG's planned outputs, and
 *    GOLIATH; one apply deploys all three; the next plan is clean.
 * 2. A FLAG change that moves an output KARR reads (a private subnet, which feeds the node
 *    group): the review shows KARR's node group replaced next to FLAG's change, and one apply
 *    applies both.
 * 3. A divergence: while FLAG applies, someone detaches a policy from a KARR role in the console. KARR's real plan
 *    then differs from its preview: apply applies FLAG, stops with KARR's real diff written and
 *    applies nothing of KARR.
 * 4. `review: per-layer`: apply stops before KARR even though its real plan matches the preview.
 * 5. No preview possible (the preview's plan fails): KARR waits for FLAG, with the reason.
 *
 * (Node groups are replaced rather than resized because the emulator does not implement EKS
 * DescribeUpdate, which terraform waits on after an in-place node group update.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { EMULATOR_CREDENTIALS } from '../../bdda/engines/aws-env';
import { readChanges } from '../../bdda/diff/changes';
import { currentDeployment } from '../../bdda/ledger/records';
import { loadEnvironment } from '../../config/load';
import { changedOutputs } from '../../bdda/workflow/downstream';
import { downstreamOf } from '../../bdda/layers/index';
import { emulatorEndpoint } from '../../bdda/engines/emulator';
import type { Layer } from '../../config/naming';
import { captureConsole, restoreEnv, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { emulatedSuite } from '../support/emulated-suite';
import { editFile } from '../support/scratch';

const PORT = testEmulatorPort(25780);
const ENDPOINT = emulatorEndpoint(PORT);
const DEV1 = 'dev/dev1';
const DEV1_YAML = 'environments/dev/dev1/env.yaml';
const KNOWN_AFTER_FLAG = '(known after FLAG is applied)';

interface TfState {
  serial: number;
  outputs: Record<string, { value: unknown }>;
  resources: Array<{ type: string; name: string; instances: Array<{ attributes: Record<string, unknown> }> }>;
}

const suite = emulatedSuite({ port: PORT, env: DEV1, git: true });
const captured = captureConsole();

const logText = () => captured.logs.join('\n');
const envDir = () => path.join(suite.root, 'environments', DEV1);
const txtFile = () => path.join(envDir(), 'changes.txt');

async function expectRun(expected: number, ...args: string[]): Promise<void> {
  const code = await runCli(captured, ...args);
  if (code !== expected) {
    throw new Error(`bdda ${args.join(' ')} exited ${code}, expected ${expected}:\n${captured.errors.join('\n')}\n--- output:\n${logText().slice(-4000)}`);
  }
}

/** Runs `bdda <args>` with the variables set, putting back what they were after. */
async function expectRunWith(variables: Readonly<Record<string, string>>, expected: number, ...args: string[]): Promise<void> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  try {
    await expectRun(expected, ...args);
  } finally {
    for (const [name, value] of Object.entries(saved)) restoreEnv(name, value);
  }
}

async function state(layer: Exclude<Layer, 'goliath'>): Promise<TfState> {
  const text = await suite.backend.getObject(loadEnvironment(suite.root, DEV1).naming.stateKey(layer));
  if (!text) throw new Error(`no ${layer} state`);
  return JSON.parse(text) as TfState;
}

/** How many times terraform took the S3 lock file of a layer's state, and whether one is held. */
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

function attributesOf(s: TfState, type: string): Array<Record<string, unknown>> {
  return s.resources.filter((r) => r.type === type).flatMap((r) => r.instances.map((i) => i.attributes));
}

/** The subnets of each node group, sorted. */
const nodeGroupSubnets = (s: TfState) => attributesOf(s, 'aws_eks_node_group').map((g) => [...(g.subnet_ids as string[])].sort());

/** The reviewed diff's layers by name. */
function reviewedLayers() {
  return Object.fromEntries((readChanges(envDir())?.record.layers ?? []).map((l) => [l.layer, l]));
}

/** One layer's section of changes.txt, from its header to the next. */
function section(layer: string): string {
  const text = fs.readFileSync(txtFile(), 'utf8');
  const start = text.indexOf(`======== ${layer}`);
  if (start < 0) return '';
  const next = text.indexOf('\n======== ', start + 1);
  return text.slice(start, next < 0 ? undefined : next);
}

/** Files anywhere under the scratch checkout's build folder whose name says preview. */
function previewLeftovers(): string[] {
  const build = path.join(suite.root, 'build');
  if (!fs.existsSync(build)) return [];
  return (fs.readdirSync(build, { recursive: true }) as string[]).filter((f) => /preview/.test(path.basename(f)) || /\.preview(\/|$)/.test(f));
}

function movePrivateSubnet(from: string, to: string): void {
  editFile(suite.root, DEV1_YAML, `private: [10.11.16.0/20, ${from}]`, `private: [10.11.16.0/20, ${to}]`);
}

describe('whole-cake previews on dev1', () => {
  test("a fresh environment: one plan previews KARR against FLAG's planned outputs, one apply deploys all three layers, and the next plan is clean", async () => {
    await expectRun(0, 'plan', '--env', DEV1);
    const layers = reviewedLayers();
    expect(layers.flag?.status).toBe('changes');
    expect(layers.goliath?.status).toBe('changes');
    expect(layers.karr?.status).toBe('preview');
    expect(layers.karr?.preview?.upstream).toBe('flag');
    expect(layers.karr?.preview?.placeholders).toEqual(expect.arrayContaining(['private_subnet_ids[0]', 'intra_subnet_ids[1]']));
    expect(layers.karr?.actions).toEqual(expect.objectContaining({ 'aws_eks_cluster.cluster': 'create', 'aws_eks_node_group.node-group-general': 'create' }));
    expect(new Set(Object.values(layers.karr?.actions ?? {}))).toEqual(new Set(['create']));
    const summaries = fs.readFileSync(txtFile(), 'utf8').trimEnd().split('\n').slice(-4, -1);
    expect(summaries[0]).toMatch(/^FLAG: \d+ to add, 0 to change, 0 to destroy\.$/);
    expect(summaries[1]).toMatch(/^KARR: \d+ to add, 0 to change, 0 to destroy \(preview until FLAG is applied\)\.$/);
    expect(summaries[2]).toMatch(/^GOLIATH: \d+ to add, 0 to change, 0 to delete\.$/);

    // The preview holds placeholders, rendered in words, and no real id.
    const karr = section('KARR');
    expect(karr).toMatch(/^======== KARR \(terraform plan, a preview\) ========/);
    expect(karr).toContain(KNOWN_AFTER_FLAG);
    expect(karr).not.toMatch(/\b(subnet|vpc)-[0-9a-f]{8,}/);
    expect(karr).not.toContain('bdda-preview-unknown');

    // No preview plan file or scratch folder remains, and KARR's state was never locked.
    expect(previewLeftovers()).toEqual([]);
    expect(await lockFileHistory('karr')).toEqual({ versions: 0, held: false });

    await expectRun(0, 'apply', '--env', DEV1);
    const log = logText();
    expect(log).toMatch(/KARR\s+the real plan makes the changes of the reviewed preview; applying it/);
    expect(log).toMatch(/GOLIATH\s+applied/);
    expect(log).not.toMatch(/stopped/);
    expect(fs.existsSync(txtFile())).toBe(false);
    const flag = await state('flag');
    expect(nodeGroupSubnets(await state('karr'))).toEqual([[...outputList(flag, 'private_subnet_ids')].sort()]);
    expect(await lockFileHistory('karr')).toEqual({ versions: expect.any(Number), held: false });
    expect(previewLeftovers()).toEqual([]);

    // The deployment record says that KARR's review was a preview.
    const deployed = (await currentDeployment(suite.backend, DEV1))?.layers ?? [];
    expect(deployed.map((l) => [l.layer, l.reviewed])).toEqual([
      ['flag', undefined],
      ['karr', 'preview'],
      ['goliath', undefined],
    ]);

    await expectRun(0, 'plan', '--env', DEV1);
    expect(fs.existsSync(txtFile())).toBe(false);
    expect(logText()).toMatch(/no changes in any layer; the environment is in sync/);
  }, 900_000);

  test("a FLAG change that moves an output KARR reads: the review shows KARR's node group replaced beside FLAG's change, and one apply applies both", async () => {
    const before = await state('flag');
    movePrivateSubnet('10.11.32.0/20', '10.11.48.0/20');
    await expectRun(0, 'plan', '--env', DEV1);
    const layers = reviewedLayers();
    expect(layers.flag?.actions).toEqual(expect.objectContaining({ 'aws_subnet.private-subnet-us-east-1b': 'replace' }));
    expect(layers.karr?.status).toBe('preview');
    expect(layers.karr?.actions).toEqual({ 'aws_eks_node_group.node-group-general': 'replace' });
    expect(layers.karr?.summary).toBe('KARR: 1 to add, 0 to change, 1 to destroy (preview until FLAG is applied).');
    // The subnet that stays is known; the new one is a placeholder.
    const karr = section('KARR');
    expect(karr).toContain(`+ ${KNOWN_AFTER_FLAG}`);
    expect(karr).toContain(outputList(before, 'private_subnet_ids')[1]);

    await expectRun(0, 'apply', '--env', DEV1);
    const log = logText();
    expect(log).toMatch(/KARR\s+the real plan makes the changes of the reviewed preview; applying it/);
    expect(log).not.toMatch(/stopped/);
    expect(fs.existsSync(txtFile())).toBe(false);
    const flag = await state('flag');
    expect(outputList(flag, 'private_subnet_ids')).not.toEqual(outputList(before, 'private_subnet_ids'));
    expect(nodeGroupSubnets(await state('karr'))).toEqual([[...outputList(flag, 'private_subnet_ids')].sort()]);
  }, 900_000);

  test("a divergence: KARR's real plan differs from its preview, so apply applies FLAG, stops with KARR's real diff and applies nothing of KARR", async () => {
    movePrivateSubnet('10.11.48.0/20', '10.11.32.0/20');
    await expectRun(0, 'plan', '--env', DEV1);
    expect(reviewedLayers().karr?.status).toBe('preview');
    const karrBefore = await state('karr');
    const flagBefore = await state('flag');

    const drift = {
      TERRAFORM_BINARY: path.join(__dirname, '..', 'support', 'drifting-terraform.js'),
      DRIFT_ROLE: 'dev-dev1-irsa-ebs-csi-driver',
      DRIFT_POLICY_ARN: 'arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy',
    };
    await expectRunWith(drift, 0, 'apply', '--env', DEV1);
    const log = logText();
    expect(log).toMatch(/FLAG\s+applied/);
    expect(log).toMatch(
      /stopped before KARR: the real plan differs from the reviewed preview: aws_iam_role_policy_attachment\.irsa-ebs-csi-driver-AmazonEBSCSIDriverPolicy is absent from the preview but create in the real plan/,
    );
    expect(log).not.toMatch(/KARR\s+applying/);

    // FLAG moved; KARR's state is the one from before.
    expect(outputList(await state('flag'), 'private_subnet_ids')).not.toEqual(outputList(flagBefore, 'private_subnet_ids'));
    const karr = await state('karr');
    expect(karr.serial).toBe(karrBefore.serial);
    expect(karr.resources).toEqual(karrBefore.resources);

    // The new diff is KARR's real plan, for review (the drift and the node group's new subnet),
    // then GOLIATH's reviewed section (its network policies follow the node subnets), not yet applied.
    const layers = reviewedLayers();
    expect(Object.keys(layers)).toEqual(['karr', 'goliath']);
    expect(layers.karr?.status).toBe('changes');
    expect(layers.karr?.preview).toBeUndefined();
    expect(layers.karr?.actions).toEqual({
      'aws_eks_node_group.node-group-general': 'replace',
      'aws_iam_role_policy_attachment.irsa-ebs-csi-driver-AmazonEBSCSIDriverPolicy': 'create',
    });
    expect(layers.goliath?.status).toBe('changes');
    expect(section('KARR')).toMatch(/^======== KARR \(terraform plan\) ========/);
    expect(section('KARR')).toContain(outputList(await state('flag'), 'private_subnet_ids')[1]);
    expect(section('KARR')).not.toContain(KNOWN_AFTER_FLAG);

    await expectRun(0, 'apply', '--env', DEV1);
    expect(fs.existsSync(txtFile())).toBe(false);
    expect(nodeGroupSubnets(await state('karr'))).toEqual([[...outputList(await state('flag'), 'private_subnet_ids')].sort()]);
  }, 900_000);

  test('review: per-layer: apply stops before KARR and writes its real diff, even though it matches the preview', async () => {
    fs.appendFileSync(path.join(suite.root, DEV1_YAML), 'review: per-layer\n');
    movePrivateSubnet('10.11.32.0/20', '10.11.48.0/20');
    await expectRun(0, 'plan', '--env', DEV1);
    expect(reviewedLayers().karr?.status).toBe('preview');
    const karrBefore = await state('karr');

    await expectRun(0, 'apply', '--env', DEV1);
    expect(logText()).toMatch(/stopped before KARR: the environment asks for a review of every layer's real plan \(review: per-layer\)/);
    expect((await state('karr')).serial).toBe(karrBefore.serial);
    const layers = reviewedLayers();
    expect(Object.keys(layers)).toEqual(['karr', 'goliath']);
    expect(layers.karr?.status).toBe('changes');
    expect(layers.karr?.actions).toEqual({ 'aws_eks_node_group.node-group-general': 'replace' });

    await expectRun(0, 'apply', '--env', DEV1);
    expect(fs.existsSync(txtFile())).toBe(false);
    expect(nodeGroupSubnets(await state('karr'))).toEqual([[...outputList(await state('flag'), 'private_subnet_ids')].sort()]);
  }, 900_000);
});

describe('when no preview can be made', () => {
  test('KARR waits for FLAG to be applied and its section says why; nothing of the preview remains', async () => {
    // A FLAG change whether dev1 is deployed or not (this test can run alone).
    fs.appendFileSync(path.join(suite.root, DEV1_YAML), 'tags:\n  cost-centre: platform-previews\n');
    const failingPreview = { TERRAFORM_BINARY: path.join(__dirname, '..', 'support', 'failing-terraform.js'), FAIL_TF_PLAN_IN: 'stacks/karr.preview' };
    await expectRunWith(failingPreview, 0, 'plan', '--env', DEV1);
    const layers = reviewedLayers();
    expect(layers.flag?.status).toBe('changes');
    expect(layers.karr?.status).toBe('waiting');
    expect(layers.karr?.summary).toBe('KARR: waits for FLAG to be applied.');
    expect(section('KARR')).toMatch(
      /no preview could be made against FLAG's planned outputs \(terraform plan in .*karr\.preview failed .*made to fail by the test/s,
    );
    expect(logText()).toMatch(/KARR\s+no preview: /);
    expect(previewLeftovers()).toEqual([]);
  }, 300_000);
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
