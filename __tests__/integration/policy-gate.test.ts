/**
 * The policy gate end to end, on dev/dev2 against a private emulator in a scratch checkout: a
 * change that opens the cluster API to 0.0.0.0/0 is planned and shows the errors in changes.txt,
 * apply refuses it with nothing applied, and once a reviewed waiver covers it and the diff is
 * planned again, apply deploys it. The tests run in order and build on each other.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ChangesRecord, readChanges } from '../../bdda/diff/changes';
import { emulatorEndpoint, stopEmulator } from '../../bdda/engines/emulator';
import { StateBackend } from '../../bdda/state/state-backend';
import { loadEnvironment } from '../../config/load';
import type { Layer } from '../../config/naming';
import { captureConsole, restoreEnv, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { makeScratch, removeScratch } from '../support/scratch';

const PORT = testEmulatorPort(25500);
const ENDPOINT = emulatorEndpoint(PORT);
const DEV2 = 'dev/dev2';
const CLUSTER = 'aws_eks_cluster.cluster';
// The configuration rule judges the config, the plan rule the change that turns the endpoint on.
const OPEN_API_RULES = ['EKS-PRIVATE-ENDPOINT', 'PUBLIC-API-ENDPOINT'];

let root: string;
let backend: StateBackend;
const captured = captureConsole();
const { errors, logs } = captured;
const saved = { root: process.env.BDDA_ROOT, port: process.env.BDDA_EMULATOR_PORT };
const savedTty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');

beforeAll(() => {
  root = makeScratch();
  process.env.BDDA_ROOT = root;
  process.env.BDDA_EMULATOR_PORT = String(PORT);
  // As in CI: stdin is not a terminal, so apply asks for --yes on nothing.
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true, writable: true });
  const { bucket, region, lockTable } = loadEnvironment(root, DEV2).config.backend;
  backend = new StateBackend({ bucket, region, lockTable, endpoint: ENDPOINT });
});

afterAll(async () => {
  try {
    backend?.destroy();
    if (root) await stopEmulator(path.join(root, '.bdda', 'emulator'));
  } finally {
    if (root) removeScratch(root);
    restoreEnv('BDDA_ROOT', saved.root);
    restoreEnv('BDDA_EMULATOR_PORT', saved.port);
    if (savedTty) Object.defineProperty(process.stdin, 'isTTY', savedTty);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
  }
});

/** Runs `bdda <args>` in-process and expects its exit code, showing its output when it differs. */
async function expectRun(expected: number, ...args: string[]): Promise<void> {
  const code = await runCli(captured, ...args);
  if (code !== expected) {
    throw new Error(`bdda ${args.join(' ')} exited ${code}, expected ${expected}:\n${errors.join('\n')}\n--- output:\n${logs.join('\n').slice(-4000)}`);
  }
}

const envDir = () => path.join(root, 'environments', DEV2);
const txt = () => fs.readFileSync(path.join(envDir(), 'changes.txt'), 'utf8');
const record = (): ChangesRecord => {
  const read = readChanges(envDir());
  if (!read) throw new Error(`${DEV2} has no diff`);
  return read.record;
};
const stateOf = (layer: Layer) => backend.getObject(loadEnvironment(root, DEV2).naming.stateKey(layer));

/** The policy results of the diff, as `<mark> <rule> <address>`. */
const findings = () => record().policy.results.map((r) => `${r.severity === 'error' ? (r.waiver ? 'waived' : 'error') : 'warning'} ${r.rule} ${r.address}`);

test('a plan that opens the cluster API to 0.0.0.0/0 shows the errors in the POLICY section and ends with their count', async () => {
  fs.appendFileSync(path.join(envDir(), 'env.yaml'), 'kubernetes:\n  publicAccessCidrs: [0.0.0.0/0]\n');
  await expectRun(0, 'plan', '--env', DEV2);
  const text = txt();
  for (const rule of OPEN_API_RULES) expect(text).toMatch(new RegExp(`^ {2}ERROR +${rule} +KARR +aws_eks_cluster\\.cluster: `, 'm'));
  expect(text).toContain(`add a waiver to environments/${DEV2}/waivers.yaml`);
  expect(text.trimEnd().split('\n').at(-1)).toBe('POLICY: 2 errors, 0 warnings');
  expect(findings()).toEqual(OPEN_API_RULES.map((rule) => `error ${rule} ${CLUSTER}`));
  expect(record().policy.errors).toBe(2);
});

test('apply refuses the unwaived errors, naming each, and applies nothing', async () => {
  const before = txt();
  await expectRun(1, 'apply', '--env', DEV2, '--yes');
  for (const rule of OPEN_API_RULES) expect(errors.join('\n')).toContain(`${rule} at KARR ${CLUSTER}`);
  expect(errors.join('\n')).toContain('Nothing was applied.');
  expect(await stateOf('flag')).toBeUndefined();
  expect(await stateOf('karr')).toBeUndefined();
  expect(txt()).toBe(before);
});

test('a waiver added after the plan makes the diff stale; planned again, the errors are waived and apply deploys every layer', async () => {
  const entry = (rule: string) =>
    `  - rule: ${rule}\n    address: "aws_eks_cluster.*"\n    reason: a demo cluster reached from anywhere\n    approvedBy: platform-owner@example.com\n    expires: "2999-12-31"\n`;
  fs.writeFileSync(path.join(envDir(), 'waivers.yaml'), `waivers:\n${OPEN_API_RULES.map(entry).join('')}`);
  await expectRun(1, 'apply', '--env', DEV2, '--yes');
  expect(errors.join('\n')).toContain(`environments/${DEV2}/waivers.yaml changed since the plan`);
  expect(await stateOf('flag')).toBeUndefined();

  await expectRun(0, 'plan', '--env', DEV2);
  expect(findings()).toEqual(OPEN_API_RULES.map((rule) => `waived ${rule} ${CLUSTER}`));
  expect(txt().trimEnd().split('\n').at(-1)).toBe('POLICY: 0 errors, 0 warnings, 2 waived');

  await expectRun(0, 'apply', '--env', DEV2, '--yes');
  expect(await stateOf('karr')).toContain('"endpoint_public_access": true');
  expect(fs.existsSync(path.join(envDir(), 'changes.txt'))).toBe(false);
});
