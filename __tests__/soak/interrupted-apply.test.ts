/**
 * Applies stopped from outside, with the real terraform against a private emulator: one
 * interrupted with SIGINT during KARR's apply, one killed with SIGKILL while it plans every layer
 * again, and the environment brought back in sync afterwards. dev/dev2 asks for a review of each
 * layer's real plan (`review: per-layer`), so its first apply stops after FLAG with KARR's real
 * diff, and the interrupted applies act on that round. The signals are sent once the run's output
 * shows the step they are meant for.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readChanges } from '../../bdda/diff/changes';
import { loadEnvironment } from '../../config/load';
import type { Layer } from '../../config/naming';
import { type CliProcess, killGroup, spawnCli } from '../support/apply-harness';
import { captureConsole, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { emulatedSuite } from '../support/emulated-suite';

const PORT = testEmulatorPort(25820);
const DEV2 = 'dev/dev2';
const holder = `${os.userInfo().username}@${os.hostname()}`;

const suite = emulatedSuite({
  port: PORT,
  env: DEV2,
  prepare: (root) => fs.appendFileSync(path.join(root, 'environments', DEV2, 'env.yaml'), 'review: per-layer\n'),
});
const captured = captureConsole();
const children: CliProcess[] = [];

afterAll(() => {
  for (const proc of children) if (proc.child.exitCode === null && proc.child.signalCode === null) killGroup(proc, 'SIGKILL');
});

async function expectRun(expected: number, ...args: string[]): Promise<void> {
  const code = await runCli(captured, ...args);
  if (code !== expected) {
    throw new Error(`bdda ${args.join(' ')} exited ${code}, expected ${expected}:\n${errorText()}\n--- output:\n${logText().slice(-4000)}`);
  }
}

const errorText = () => captured.errors.join('\n');
const logText = () => captured.logs.join('\n');
const envDir = () => path.join(suite.root, 'environments', DEV2);
const readTxt = () => fs.readFileSync(path.join(envDir(), 'changes.txt'), 'utf8');
const diffFiles = () => ({ txt: readTxt(), json: fs.readFileSync(path.join(envDir(), 'changes.json'), 'utf8') });
const naming = () => loadEnvironment(suite.root, DEV2).naming;
const stateOf = (layer: Layer) => suite.backend.getObject(naming().stateKey(layer));
const applyLock = () => suite.backend.readLock(naming().applyLockKey);
const terraformLocks = async () =>
  (await Promise.all((['flag', 'karr'] as const).map((layer) => suite.backend.terraformLockInfo(naming().stateKey(layer))))).filter((l) => l !== undefined);

/** The number N of `<LAYER>: N to add` in the diff's summary line of that layer. */
function toAdd(label: 'KARR' | 'GOLIATH'): number {
  const m = readTxt().match(new RegExp(`^${label}: (\\d+) to add`, 'm'));
  if (!m) throw new Error(`no summary with additions for ${label} in changes.txt:\n${readTxt().slice(-2000)}`);
  return Number(m[1]);
}

test('FLAG is applied, and the apply stops for the review of KARR', async () => {
  await expectRun(0, 'plan', '--env', DEV2);
  await expectRun(0, 'apply', '--env', DEV2);
  expect(logText()).toMatch(/APPLY\s+stopped before KARR/);
  expect(readChanges(envDir())?.record.layers.map((l) => l.layer)).toEqual(['karr', 'goliath']);
});

test('an apply interrupted (SIGINT to its process group) during KARR: terraform gets one interrupt; it keeps the KARR and GOLIATH diffs and releases its lock', async () => {
  const reviewed = diffFiles();
  const apply = spawnCli(suite.root, PORT, ['apply', '--env', DEV2]);
  children.push(apply);
  // Interrupted when no create of a uniquely named resource is in flight (the launch template
  // is done, the KMS key is still being created): a create that SIGINT cuts short can leave an
  // object in AWS that the state does not record, and the next apply then fails on its name.
  await apply.waitFor(/KARR\s+applying[\s\S]*aws_launch_template\.\S+: Creation complete/, 600_000);
  // The whole process group, as a CI runner cancelling a job does: terraform (in a group of its
  // own) must get one SIGINT, from the CLI, and let the operations in flight finish.
  killGroup(apply, 'SIGINT');
  const exit = await apply.exited;

  expect(exit.code).toBe(130);
  expect(apply.output()).toContain('SIGINT received: stopping at the next safe point');
  expect(apply.output()).toMatch(/execution halted|interrupt/i);
  expect(apply.output()).not.toMatch(/Two interrupts received/);
  expect(apply.output()).not.toMatch(/KARR\s+applied/);
  expect(diffFiles()).toEqual(reviewed);
  expect(toAdd('KARR')).toBeGreaterThan(0);
  expect(toAdd('GOLIATH')).toBeGreaterThan(0);
  expect(await stateOf('goliath')).toBeUndefined();
  expect(await applyLock()).toBeUndefined();
  expect(await terraformLocks()).toEqual([]);
});

test('an apply killed (SIGKILL) keeps its apply lock; unlock refuses without --yes and breaks it with --yes', async () => {
  // Re-plan first: the interrupted KARR apply may have created part of KARR.
  await expectRun(0, 'plan', '--env', DEV2);
  const reviewed = diffFiles();
  expect(toAdd('KARR')).toBeGreaterThan(0);

  const apply = spawnCli(suite.root, PORT, ['apply', '--env', DEV2]);
  children.push(apply);
  await apply.waitFor(/VERIFY\s+planning every layer again[\s\S]*KARR\s+init (reused|done)/, 600_000);
  killGroup(apply, 'SIGKILL'); // the CLI and its terraform children, mid-verification
  expect((await apply.exited).signal).toBe('SIGKILL');

  expect(await applyLock()).toMatchObject({ who: holder, operation: `apply ${DEV2}`, pid: apply.child.pid });
  expect(diffFiles()).toEqual(reviewed);

  // A new apply is refused while the dead run's lock stays.
  await expectRun(1, 'apply', '--env', DEV2);
  expect(errorText()).toContain(`held by ${holder} (apply ${DEV2}, pid ${apply.child.pid}`);

  await expectRun(1, 'unlock', '--env', DEV2);
  expect(errorText()).toContain(`pid ${apply.child.pid}`);
  expect(errorText()).toContain(`npm run unlock -- --env ${DEV2} --yes`);
  expect(await applyLock()).toMatchObject({ pid: apply.child.pid });

  await expectRun(0, 'unlock', '--env', DEV2, '--yes');
  expect(logText()).toContain(`Broke the apply lock, held by ${holder}`);
  expect(await applyLock()).toBeUndefined();
  // terraform died with it, possibly holding its state locks: unlock broke those too.
  expect(await terraformLocks()).toEqual([]);
});

test('after the interruptions, plan and apply converge and a final plan is in sync', async () => {
  await expectRun(0, 'plan', '--env', DEV2);
  expect(readTxt()).toMatch(/^FLAG: no changes\.$/m);
  for (let round = 0; round < 3 && readChanges(envDir()); round++) await expectRun(0, 'apply', '--env', DEV2);
  expect(readChanges(envDir())).toBeUndefined();
  expect(await stateOf('goliath')).toMatch(/kind: ResourceQuota/);
  await expectRun(0, 'plan', '--env', DEV2, '--detailed-exitcode');
  expect(logText()).toMatch(/in sync/);
});
