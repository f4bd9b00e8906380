/**
 * `npm run verify` end to end against a private emulator: a throwaway environment built from
 * scratch, checked and removed. The emulator is started by the suite, so that it outlives each
 * run and the test can look for leftovers itself, independently of verify's own check.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { EMULATOR_CREDENTIALS } from '../../bdda/engines/aws-env';
import { emulatorEndpoint, ensureEmulator, stopEmulator } from '../../bdda/engines/emulator';
import { StateBackend } from '../../bdda/state/state-backend';
import { captureConsole, restoreEnv, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { makeScratch, removeScratch, snapshotTree } from '../support/scratch';

const PORT = testEmulatorPort(45710);
const ENDPOINT = emulatorEndpoint(PORT);
const REGION = 'us-east-1';
const common = { region: REGION, endpoint: ENDPOINT, credentials: { ...EMULATOR_CREDENTIALS } };

let root: string;
const captured = captureConsole();
const saved = { root: process.env.BDDA_ROOT, port: process.env.BDDA_EMULATOR_PORT };

beforeAll(async () => {
  root = makeScratch();
  process.env.BDDA_ROOT = root;
  process.env.BDDA_EMULATOR_PORT = String(PORT);
  await ensureEmulator(path.join(root, '.bdda', 'emulator'), { port: PORT });
});

afterAll(async () => {
  try {
    if (root) await stopEmulator(path.join(root, '.bdda', 'emulator'));
  } finally {
    if (root) removeScratch(root);
    restoreEnv('BDDA_ROOT', saved.root);
    restoreEnv('BDDA_EMULATOR_PORT', saved.port);
  }
});

/** What the emulator still holds of an environment, asked without verify's code. */
async function leftovers(envPath: string): Promise<string[]> {
  const prefix = envPath.replace(/\//g, '-');
  const ec2 = new EC2Client(common);
  const eks = new EKSClient(common);
  const iam = new IAMClient(common);
  const backend = new StateBackend({ bucket: 'acme-bdda-dev-state', region: REGION, endpoint: ENDPOINT });
  try {
    const tagged = [{ Name: 'tag:environment', Values: [envPath] }];
    return [
      ...((await ec2.send(new DescribeVpcsCommand({ Filters: tagged }))).Vpcs ?? []).map((v) => `vpc ${v.VpcId}`),
      ...((await ec2.send(new DescribeSubnetsCommand({ Filters: tagged }))).Subnets ?? []).map((s) => `subnet ${s.SubnetId}`),
      ...((await eks.send(new ListClustersCommand({}))).clusters ?? []).filter((c) => c === prefix),
      ...((await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles ?? []).map((r) => r.RoleName ?? '').filter((n) => n.startsWith(`${prefix}-`)),
      ...(await backend.listKeys(`${envPath}/`)),
    ];
  } finally {
    [ec2, eks, iam, backend].forEach((c) => c.destroy());
  }
}

function throwawayOf(logs: readonly string[]): { envPath: string; scratch: string } {
  const m = logs.join('\n').match(/^verify: throwaway environment (dev\/verify-[a-z0-9]+) \(config of dev\/dev1\) in (\S+)$/m);
  if (!m) throw new Error(`verify named no throwaway environment:\n${logs.join('\n')}`);
  return { envPath: m[1], scratch: m[2] };
}

const phaseLine = (logs: readonly string[], phase: string) => logs.find((l) => l.startsWith(`verify: ${phase.padEnd(11)} `));

test('verify builds a throwaway environment from scratch, checks it, removes it, and leaves nothing behind', async () => {
  const before = snapshotTree(path.join(root, 'environments'));
  const code = await runCli(captured, 'verify');
  expect(captured.errors).toEqual([]);
  expect(code).toBe(0);
  const { envPath, scratch } = throwawayOf(captured.logs);
  for (const phase of ['plan', 'apply', 'idempotent', 'smoke', 'destroy', 'leftovers']) {
    expect(phaseLine(captured.logs, phase)).toMatch(/ ok +\d+\.\ds {2}/);
  }
  expect(phaseLine(captured.logs, 'smoke')).toContain(`cluster ${envPath.replace('/', '-')} ACTIVE`);
  expect(captured.logs).toContainEqual(expect.stringMatching(new RegExp(`^verify: PASSED: ${envPath} built from scratch`)));
  expect(await leftovers(envPath)).toEqual([]);
  expect(fs.existsSync(scratch)).toBe(false);
  expect(snapshotTree(path.join(root, 'environments'))).toEqual(before);
  expect(fs.readdirSync(os.tmpdir()).filter((d) => path.join(os.tmpdir(), d) === scratch)).toEqual([]);
});

test('with a deliberately broken smoke check verify exits 1, still tears down, and leaves nothing behind', async () => {
  const code = await runCli(captured, 'verify', '--expect-flag-output', 'no_such_output');
  expect(code).toBe(1);
  const { envPath } = throwawayOf(captured.logs);
  expect(phaseLine(captured.logs, 'smoke')).toMatch(/ FAIL .*FLAG's state lacks the outputs no_such_output/);
  expect(phaseLine(captured.logs, 'destroy')).toMatch(/ ok /);
  expect(phaseLine(captured.logs, 'leftovers')).toMatch(/ ok /);
  expect(captured.logs).toContainEqual(expect.stringMatching(new RegExp(`^verify: FAILED: ${envPath} .*\\(failed: smoke\\)$`)));
  expect(await leftovers(envPath)).toEqual([]);
});
