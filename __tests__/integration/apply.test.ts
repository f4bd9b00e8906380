/**
 * `npm run apply` (Deploy-Apply), `destroy` and `unlock` end to end: the real terraform against a
 * private emulator, in a scratch checkout. The tests run in order and build on each other:
 *
 * - dev/dev1 is planned once and serves the refusals (hand-edited and stale diffs): nothing of it
 *   is ever deployed, so any state object appearing would mean a refused apply applied something.
 * - dev/dev2 goes the whole way: plan, two applies at once (one refused by the apply lock), a
 *   terraform state lock left behind (broken with `unlock`), convergence to "in sync", and finally
 *   destroy. Applies interrupted with SIGINT or killed with SIGKILL are the soak tier's
 *   (soak/interrupted-apply.test.ts).
 * - prod/us1 (protected) is only ever refused, in a second scratch root that is a git repository;
 *   those refusals happen before any AWS call, so no credentials are needed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readChanges } from '../../bdda/diff/changes';
import { loadEnvironment } from '../../config/load';
import { emulatorEndpoint, stopEmulator } from '../../bdda/engines/emulator';
import type { Layer } from '../../config/naming';
import { StateBackend } from '../../bdda/state/state-backend';
import { type CliProcess, killGroup, writeReviewedDiff } from '../support/apply-harness';
import { main } from '../../bdda/cli';
import { captureConsole, restoreEnv, runCli } from '../support/cli-harness';
import { holdTerraformLock, testEmulatorPort } from '../support/emulated';
import { editFile, makeScratch, removeScratch, snapshotTree } from '../support/scratch';

const PORT = testEmulatorPort(25400);
const ENDPOINT = emulatorEndpoint(PORT);

const DEV_YAML = 'environments/dev/env.yaml';
const US1_YAML = 'environments/prod/us1/env.yaml';
// Teams name per-account IAM roles, so they are set per tier.
const TEAMS_YAML = DEV_YAML;

/** The scratch root of the emulated scenarios, and the git-repository root of the guard checks. */
let root: string;
let guardRoot: string;
let backend: StateBackend;
const captured = captureConsole();
const { errors, logs } = captured;
const children: CliProcess[] = [];
const saved = { root: process.env.BDDA_ROOT, port: process.env.BDDA_EMULATOR_PORT };
const savedTty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');

beforeAll(() => {
  root = makeScratch();
  guardRoot = makeScratch();
  process.env.BDDA_ROOT = root;
  process.env.BDDA_EMULATOR_PORT = String(PORT);
  // Whatever runs jest, the commands must see what CI sees: stdin is not a terminal.
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true, writable: true });
  const { bucket, region, lockTable } = loadEnvironment(root, 'dev1').config.backend;
  backend = new StateBackend({ bucket, region, lockTable, endpoint: ENDPOINT });
});

afterAll(async () => {
  try {
    for (const proc of children) if (proc.child.exitCode === null && proc.child.signalCode === null) killGroup(proc, 'SIGKILL');
    backend?.destroy();
    if (root) await stopEmulator(path.join(root, '.bdda', 'emulator'));
  } finally {
    if (root) removeScratch(root);
    if (guardRoot) removeScratch(guardRoot);
    restoreEnv('BDDA_ROOT', saved.root);
    restoreEnv('BDDA_EMULATOR_PORT', saved.port);
    if (savedTty) Object.defineProperty(process.stdin, 'isTTY', savedTty);
    else delete (process.stdin as { isTTY?: boolean }).isTTY;
  }
});

/** Runs `bdda <args>` in-process; console output of earlier runs is dropped. */
function run(...args: string[]): Promise<number> {
  return runCli(captured, ...args);
}

/** Runs `bdda <args>` in-process and expects its exit code, showing its output when it differs. */
async function expectRun(expected: number, ...args: string[]): Promise<void> {
  const code = await run(...args);
  if (code !== expected) {
    throw new Error(`bdda ${args.join(' ')} exited ${code}, expected ${expected}:\n${errorText()}\n--- output:\n${logText().slice(-4000)}`);
  }
}

const envDir = (base: string, envPath: string) => path.join(base, 'environments', envPath);
const txtFile = (envPath: string, base = root) => path.join(envDir(base, envPath), 'changes.txt');
const jsonFile = (envPath: string, base = root) => path.join(envDir(base, envPath), 'changes.json');
const readTxt = (envPath: string) => fs.readFileSync(txtFile(envPath), 'utf8');
const hasDiff = (envPath: string) => fs.existsSync(txtFile(envPath)) || fs.existsSync(jsonFile(envPath));
const errorText = () => errors.join('\n');
const logText = () => logs.join('\n');

/** The diff files of an environment, byte for byte. */
function diffFiles(envPath: string): { txt: string; json: string } {
  return { txt: fs.readFileSync(txtFile(envPath), 'utf8'), json: fs.readFileSync(jsonFile(envPath), 'utf8') };
}

/** The summary lines at the end of changes.txt, by layer label. */
function summaries(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.trimEnd().split('\n')) {
    const m = line.match(/^(FLAG|KARR|GOLIATH): /);
    if (m) out[m[1]] = line;
  }
  return out;
}

/** The number N of `<LAYER>: N to add` in a summary line. */
function toAdd(summary: string | undefined): number {
  const m = summary?.match(/^\w+: (\d+) to add/);
  if (!m) throw new Error(`not a summary with additions: ${summary}`);
  return Number(m[1]);
}

const naming = (envPath: string) => loadEnvironment(root, envPath).naming;
const stateOf = (envPath: string, layer: Layer) => backend.getObject(naming(envPath).stateKey(layer));
const applyLockOf = (envPath: string) => backend.readLock(naming(envPath).applyLockKey);
const terraformLocksOf = async (envPath: string) =>
  (await Promise.all((['flag', 'karr'] as const).map((layer) => backend.terraformLockInfo(naming(envPath).stateKey(layer))))).filter((l) => l !== undefined);

/** Outputs recorded in a terraform state object: empty when nothing is deployed. */
function outputsOf(state: string | undefined): string[] {
  if (!state) return [];
  return Object.keys((JSON.parse(state) as { outputs?: Record<string, unknown> }).outputs ?? {});
}

/** Resolves once the captured console output matches; fails fast if `running` ends first. */
async function waitForLog(pattern: RegExp, running: Promise<number>, timeoutMs = 180_000): Promise<void> {
  let ended: number | undefined;
  void running.then((code) => (ended = code));
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(logText())) {
    if (ended !== undefined)
      throw new Error(`the command ended (exit ${ended}) before its output matched ${pattern}:\n${errorText()}\n${logText().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${logText().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=bdda test', '-c', 'user.email=bdda-test@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('guards of a protected environment (prod/us1), before any AWS call', () => {
  const US1 = 'prod/us1';

  beforeAll(() => {
    process.env.BDDA_ROOT = guardRoot;
    // A genuine reviewed diff, so that apply gets past "nothing to apply" to its guards.
    writeReviewedDiff(envDir(guardRoot, US1), US1, 3);
  });

  afterAll(() => {
    process.env.BDDA_ROOT = root;
  });

  /** Nothing was synthesized or planned: the run stopped before openContext. */
  const expectNothingTouched = (before: Record<string, string>) => {
    expect(fs.existsSync(path.join(guardRoot, 'build'))).toBe(false);
    expect(fs.existsSync(path.join(guardRoot, '.bdda'))).toBe(false);
    expect(snapshotTree(path.join(guardRoot, 'environments'))).toEqual(before);
  };

  test('apply without --yes off a terminal is refused', async () => {
    expect(loadEnvironment(guardRoot, US1).config.protected).toBe(true);
    const before = snapshotTree(path.join(guardRoot, 'environments'));
    await expectRun(1, 'apply', '--env', US1);
    expect(errorText()).toMatch(/prod\/us1 is protected/);
    expect(errorText()).toMatch(/--yes/);
    expectNothingTouched(before);
  });

  test('apply --yes from a dirty git working tree is refused, naming the changed file', async () => {
    git(guardRoot, 'init', '-q', '-b', 'main');
    git(guardRoot, 'add', '-A');
    git(guardRoot, 'commit', '-qm', 'environments');
    editFile(guardRoot, US1_YAML, /^aws:/m, '# an uncommitted edit\naws:');
    const before = snapshotTree(path.join(guardRoot, 'environments'));
    await expectRun(1, 'apply', '--env', US1, '--yes');
    expect(errorText()).toMatch(/not clean/);
    expect(errorText()).toContain(US1_YAML);
    expectNothingTouched(before);
  });

  test('apply --yes from a clean tree on another branch than main is refused', async () => {
    git(guardRoot, 'checkout', '-q', '--', US1_YAML);
    git(guardRoot, 'checkout', '-q', '-b', 'feature/bigger-nodes');
    expect(git(guardRoot, 'status', '--porcelain').trim()).toBe('');
    const before = snapshotTree(path.join(guardRoot, 'environments'));
    await expectRun(1, 'apply', '--env', US1, '--yes');
    expect(errorText()).toContain('"feature/bigger-nodes"');
    expect(errorText()).toMatch(/\bmain\b/);
    expect(errorText()).not.toMatch(/not clean/);
    expectNothingTouched(before);
  });

  test('destroy is refused without protection.allowDestroy, even with --yes on a clean main', async () => {
    git(guardRoot, 'checkout', '-q', 'main');
    expect(loadEnvironment(guardRoot, US1).config.protection.allowDestroy).toBe(false);
    const before = snapshotTree(path.join(guardRoot, 'environments'));
    await expectRun(1, 'destroy', '--env', US1, '--yes');
    expect(errorText()).toMatch(/allowDestroy/);
    expect(errorText()).toMatch(/Nothing was destroyed/);
    expectNothingTouched(before);
  });
});

describe('apply with nothing to apply', () => {
  test('exits 0 without synthesizing, planning or starting the emulator', async () => {
    expect(hasDiff('dev/dev2')).toBe(false);
    await expectRun(0, 'apply', '--env', 'dev2');
    expect(errors).toEqual([]);
    expect(logText()).toMatch(/Nothing to do/);
    expect(fs.existsSync(path.join(root, 'build'))).toBe(false);
    expect(fs.existsSync(path.join(root, '.bdda', 'emulator', 'pid'))).toBe(false);
    expect(hasDiff('dev/dev2')).toBe(false);
  });
});

describe('a refused apply applies nothing (dev/dev1)', () => {
  const DEV1 = 'dev/dev1';
  let reviewed: { txt: string; json: string };

  /** Nothing of dev1 exists in the emulator, and no apply lock was left behind. */
  const expectNothingApplied = async () => {
    expect(await stateOf(DEV1, 'flag')).toBeUndefined();
    expect(await stateOf(DEV1, 'karr')).toBeUndefined();
    expect(await stateOf(DEV1, 'goliath')).toBeUndefined();
    expect(await applyLockOf(DEV1)).toBeUndefined();
  };

  test('plan writes a diff to review', async () => {
    await expectRun(0, 'plan', '--env', 'dev1');
    reviewed = diffFiles(DEV1);
    const s = summaries(reviewed.txt);
    expect(toAdd(s.FLAG)).toBeGreaterThan(20);
    expect(s.KARR).toMatch(/\(preview until FLAG is applied\)\.$/);
    expect(toAdd(s.GOLIATH)).toBeGreaterThan(0);
  });

  test('a hand-edited changes.txt is refused', async () => {
    try {
      fs.writeFileSync(txtFile(DEV1), reviewed.txt.replace(/^FLAG: \d+ to add/m, 'FLAG: 1 to add'));
      const edited = diffFiles(DEV1);
      expect(edited.txt).not.toBe(reviewed.txt);
      await expectRun(1, 'apply', '--env', DEV1);
      expect(errorText()).toMatch(/changes\.txt was edited by hand/);
      expect(diffFiles(DEV1)).toEqual(edited);
      await expectNothingApplied();
    } finally {
      fs.writeFileSync(txtFile(DEV1), reviewed.txt);
    }
  });

  test('a hand-edited changes.json is refused', async () => {
    try {
      const record = JSON.parse(reviewed.json) as { layers: Array<{ summary: string }> };
      record.layers[0].summary = 'FLAG: no changes.';
      fs.writeFileSync(jsonFile(DEV1), `${JSON.stringify(record, null, 2)}\n`);
      const edited = diffFiles(DEV1);
      await expectRun(1, 'apply', '--env', DEV1);
      expect(errorText()).toMatch(/changes\.json was edited by hand/);
      expect(diffFiles(DEV1)).toEqual(edited);
      await expectNothingApplied();
    } finally {
      fs.writeFileSync(jsonFile(DEV1), reviewed.json);
    }
  });

  test('a diff gone stale in FLAG (flow-log retention changed since the plan) is refused', async () => {
    expect(readChanges(envDir(root, DEV1))?.record.environment).toBe(DEV1); // the restored diff is genuine again
    const before = fs.readFileSync(path.join(root, DEV_YAML), 'utf8');
    try {
      editFile(root, DEV_YAML, /retentionDays: 7\b/, 'retentionDays: 14');
      await expectRun(1, 'apply', '--env', DEV1);
      expect(errorText()).toMatch(/stale/);
      expect(errorText()).toMatch(/FLAG now plans differently/);
      expect(errorText()).not.toMatch(/GOLIATH|KARR/);
      expect(errorText()).toMatch(/Nothing was applied/);
      expect(diffFiles(DEV1)).toEqual(reviewed);
      await expectNothingApplied();
    } finally {
      fs.writeFileSync(path.join(root, DEV_YAML), before);
    }
  });

  test('a diff gone stale in GOLIATH (a team quota changed since the plan) is refused', async () => {
    const before = fs.readFileSync(path.join(root, TEAMS_YAML), 'utf8');
    try {
      editFile(root, TEAMS_YAML, 'quota: { cpu: "8", memory: 16Gi, pods: 50 }', 'quota: { cpu: "8", memory: 16Gi, pods: 60 }');
      await expectRun(1, 'apply', '--env', DEV1);
      expect(errorText()).toMatch(/stale/);
      expect(errorText()).toMatch(/GOLIATH now plans differently/);
      expect(errorText()).not.toMatch(/FLAG|KARR/);
      expect(diffFiles(DEV1)).toEqual(reviewed);
      await expectNothingApplied();
    } finally {
      fs.writeFileSync(path.join(root, TEAMS_YAML), before);
    }
  });
});

describe('dev/dev2 from nothing to deployed, through concurrent applies and a stale state lock, to destroyed', () => {
  const DEV2 = 'dev/dev2';
  const holder = `${os.userInfo().username}@${os.hostname()}`;

  // dev2 asks for a review of each layer's real plan (`review: per-layer`), so that an apply stops
  // after FLAG with KARR's real diff: the concurrency and lock tests act on that round.
  beforeAll(() => fs.appendFileSync(path.join(root, 'environments', DEV2, 'env.yaml'), 'review: per-layer\n'));

  test('plan: FLAG creates, KARR is previewed against FLAG, GOLIATH adds', async () => {
    await expectRun(0, 'plan', '--env', 'dev2');
    const s = summaries(readTxt(DEV2));
    expect(toAdd(s.FLAG)).toBeGreaterThan(20);
    expect(s.KARR).toMatch(/^KARR: [1-9]\d* to add, 0 to change, 0 to destroy \(preview until FLAG is applied\)\.$/);
    expect(toAdd(s.GOLIATH)).toBeGreaterThan(0);
  });

  test('a second apply while the first runs is refused naming the lock holder; the first applies FLAG and stops for review of KARR', async () => {
    const first = runCli(captured, 'apply', '--env', 'dev2');
    // Terraform is applying FLAG's saved plan (its configuration already loaded) and holds the lock.
    await waitForLog(/\[dev\/dev2\] FLAG\s+applying[\s\S]*Creating\.\.\./, first);
    const second = await main(['node', 'bdda', 'apply', '--env', 'dev2']); // keeps the first's output
    const firstCode = await first;

    expect([firstCode, second]).toEqual([0, 1]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`s3://acme-bdda-dev-state/${DEV2}/apply.lock is held by ${holder} (apply ${DEV2}, pid ${process.pid}`);
    expect(errors[0]).toContain(`npm run unlock -- --env ${DEV2} --yes`);

    // FLAG is deployed; its section left the diff, KARR's fresh diff came in for review.
    expect(outputsOf(await stateOf(DEV2, 'flag')).length).toBeGreaterThan(0);
    expect(await stateOf(DEV2, 'goliath')).toBeUndefined();
    expect(await applyLockOf(DEV2)).toBeUndefined();
    const text = readTxt(DEV2);
    expect(text).not.toMatch(/^======== FLAG/m);
    expect(text).toMatch(/^======== KARR \(terraform plan\) ========$/m);
    const s = summaries(text);
    expect(Object.keys(s)).toEqual(['KARR', 'GOLIATH']);
    expect(toAdd(s.KARR)).toBeGreaterThan(0);
    expect(toAdd(s.GOLIATH)).toBeGreaterThan(0);
    expect(readChanges(envDir(root, DEV2))?.record.layers.map((l) => [l.layer, l.status])).toEqual([
      ['karr', 'changes'],
      ['goliath', 'changes'],
    ]);
    expect(logText()).toMatch(/FLAG\s+applied/);
    expect(logText()).toMatch(/APPLY\s+stopped before KARR: the environment asks for a review of every layer's real plan \(review: per-layer\)/);
    expect(logText()).not.toMatch(/KARR\s+applying/);
  });

  test('a terraform state lock left by a killed run is broken by unlock; plan and apply then converge, and a final plan is in sync', async () => {
    // A terraform state lock that a killed run left is broken by `unlock`, as plan's error says.
    await holdTerraformLock(ENDPOINT, {
      table: backend.lockTable,
      bucket: backend.bucket,
      stateKey: naming(DEV2).stateKey('karr'),
      region: backend.region,
      who: 'ghost@ci',
    });
    await expectRun(1, 'plan', '--env', 'dev2');
    expect(errorText()).toContain('The state is locked by another terraform run');
    expect(errorText()).toContain('Who: ghost@ci');
    expect(errorText()).toContain(`npm run unlock -- --env ${DEV2} --yes`);
    await expectRun(0, 'unlock', '--env', 'dev2', '--yes');
    expect(logText()).toContain("KARR's state lock 3f2a9c1e-0000-4000-8000-000000000001, held by ghost@ci");
    expect(await terraformLocksOf(DEV2)).toEqual([]);

    await expectRun(0, 'plan', '--env', 'dev2');
    const s = summaries(readTxt(DEV2));
    expect(s.FLAG).toBe('FLAG: no changes.');
    expect(toAdd(s.GOLIATH)).toBeGreaterThan(0);

    await expectRun(0, 'apply', '--env', 'dev2');
    expect(errors).toEqual([]);
    expect(logText()).toMatch(/GOLIATH\s+applied/);
    expect(logText()).toMatch(/every layer is deployed/);
    expect(hasDiff(DEV2)).toBe(false);
    expect(outputsOf(await stateOf(DEV2, 'karr')).length).toBeGreaterThan(0);
    expect(await stateOf(DEV2, 'goliath')).toMatch(/kind: ResourceQuota/);
    expect(await applyLockOf(DEV2)).toBeUndefined();

    await expectRun(0, 'plan', '--env', 'dev2', '--detailed-exitcode');
    expect(logText()).toMatch(/in sync/);
    expect(hasDiff(DEV2)).toBe(false);

    // And with the files gone there is nothing to apply.
    await expectRun(0, 'apply', '--env', 'dev2');
    expect(logText()).toMatch(/Nothing to do/);
  });

  test('destroy needs --yes off a terminal, then tears everything down; plan shows creates again', async () => {
    await expectRun(1, 'destroy', '--env', 'dev2');
    expect(errorText()).toMatch(/--yes/);
    expect(errorText()).toMatch(/Nothing was destroyed/);
    expect(outputsOf(await stateOf(DEV2, 'flag')).length).toBeGreaterThan(0);

    await expectRun(0, 'destroy', '--env', 'dev2', '--yes');
    expect(errors).toEqual([]);
    expect(logText()).toMatch(/DESTROY\s+done/);
    expect(await stateOf(DEV2, 'goliath')).toBeUndefined();
    expect(outputsOf(await stateOf(DEV2, 'flag'))).toEqual([]);
    expect(outputsOf(await stateOf(DEV2, 'karr'))).toEqual([]);
    expect(await applyLockOf(DEV2)).toBeUndefined();
    expect(hasDiff(DEV2)).toBe(false);

    await expectRun(2, 'plan', '--env', 'dev2', '--detailed-exitcode');
    const s = summaries(readTxt(DEV2));
    expect(toAdd(s.FLAG)).toBeGreaterThan(20);
    expect(s.KARR).toMatch(/\(preview until FLAG is applied\)\.$/);
    expect(toAdd(s.GOLIATH)).toBeGreaterThan(0);
  });
});
