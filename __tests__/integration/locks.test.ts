/**
 * The apply lock and terraform's state locks around interruptions and failures, against a
 * private emulator:
 *
 * - plan refuses to run beside a live apply, naming it, without suggesting to break its locks;
 * - a run releases the apply lock only while it still owns it;
 * - a state lock that this run's own terraform left (its SDK resent the lock request) is broken
 *   and the command retried, with S3 lock files and with a DynamoDB lock table; anyone else's is not;
 * - the emulator dying mid-apply is the error reported, before anything about the lock.
 *
 * Runs that must be held mid-way use the stand-in terraform (support/fake-terraform.js), which
 * waits until interrupted; the others use the real terraform.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironment } from '../../config/load';
import { emulatorEndpoint, ensureEmulator, stopEmulator } from '../../bdda/engines/emulator';
import { StateBackend } from '../../bdda/state/state-backend';
import { type CliProcess, killGroup, spawnCli, writeReviewedDiff } from '../support/apply-harness';
import { captureConsole, restoreEnv, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { makeScratch, removeScratch } from '../support/scratch';
import { type LockProxy, startLockProxy } from '../support/lock-proxy';
import { writeTerraformLock } from '../support/terraform-lock';

const PORT = testEmulatorPort(25770);
const ENDPOINT = emulatorEndpoint(PORT);
const FAKE_TERRAFORM = path.join(__dirname, '..', 'support', 'fake-terraform.js');
const ME = `${os.userInfo().username}@${os.hostname()}`;

let root: string;
const captured = captureConsole();
const { errors, logs } = captured;
const children: CliProcess[] = [];
const backends = new Map<string, StateBackend>();
const saved = { root: process.env.BDDA_ROOT, port: process.env.BDDA_EMULATOR_PORT, log: process.env.FAKE_TF_LOG, terraform: process.env.TERRAFORM_BINARY };
let signalLog: string;

beforeAll(() => {
  root = makeScratch();
  process.env.BDDA_ROOT = root;
  process.env.BDDA_EMULATOR_PORT = String(PORT);
  signalLog = path.join(root, 'fake-terraform.log');
  process.env.FAKE_TF_LOG = signalLog;
  // dev/dev1 locks terraform's state in a DynamoDB table; dev/dev2 and dev/dev3 in S3 lock files (the default).
  fs.appendFileSync(path.join(root, 'environments/dev/dev1/env.yaml'), '\nbackend:\n  lockTable: acme-bdda-dev-locks-dev1\n');
});

afterAll(async () => {
  try {
    for (const proc of children) if (proc.child.exitCode === null && proc.child.signalCode === null) killGroup(proc, 'SIGKILL');
    backends.forEach((b) => b.destroy());
    if (root) await stopEmulator(path.join(root, '.bdda', 'emulator'));
  } finally {
    if (root) removeScratch(root);
    restoreEnv('BDDA_ROOT', saved.root);
    restoreEnv('BDDA_EMULATOR_PORT', saved.port);
    restoreEnv('FAKE_TF_LOG', saved.log);
    restoreEnv('TERRAFORM_BINARY', saved.terraform);
  }
});

/** The state backend of an environment, as the workflow configures it (lock table or S3 lock files). */
function backendOf(envPath: string): StateBackend {
  let backend = backends.get(envPath);
  if (!backend) {
    const { bucket, region, lockTable } = loadEnvironment(root, envPath).config.backend;
    backend = new StateBackend({ bucket, region, lockTable, endpoint: ENDPOINT });
    backends.set(envPath, backend);
  }
  return backend;
}

const naming = (envPath: string) => loadEnvironment(root, envPath).naming;
const applyLockOf = (envPath: string) => backendOf(envPath).readLock(naming(envPath).applyLockKey);
const terraformLocksOf = async (envPath: string) =>
  (await Promise.all((['flag', 'karr'] as const).map((layer) => backendOf(envPath).terraformLockInfo(naming(envPath).stateKey(layer))))).filter(
    (l) => l !== undefined,
  );
const errorText = () => errors.join('\n');
const logText = () => logs.join('\n');

async function expectRun(expected: number, ...args: string[]): Promise<void> {
  const code = await runCli(captured, ...args);
  if (code !== expected)
    throw new Error(`bdda ${args.join(' ')} exited ${code}, expected ${expected}:\n${errorText()}\n--- output:\n${logText().slice(-4000)}`);
}

/** An apply of `envPath` held in FLAG's init by the stand-in terraform, with its apply lock taken. */
async function heldApply(envPath: string): Promise<CliProcess> {
  fs.rmSync(signalLog, { force: true });
  writeReviewedDiff(path.join(root, 'environments', envPath), envPath, 3);
  process.env.TERRAFORM_BINARY = FAKE_TERRAFORM;
  try {
    const proc = spawnCli(root, PORT, ['apply', '--env', envPath]);
    children.push(proc);
    const deadline = Date.now() + 120_000;
    while (!(fs.existsSync(signalLog) && fs.readFileSync(signalLog, 'utf8').includes('start init'))) {
      if (proc.child.exitCode !== null) throw new Error(`apply ended early:\n${proc.output()}`);
      if (Date.now() > deadline) throw new Error(`apply never reached terraform:\n${proc.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return proc;
  } finally {
    restoreEnv('TERRAFORM_BINARY', saved.terraform);
  }
}

describe('plan beside an apply', () => {
  test('plan while an apply runs is refused naming who, pid, host and since when, and suggests no unlock', async () => {
    const apply = await heldApply('dev/dev2');
    try {
      const held = await applyLockOf('dev/dev2');
      expect(held).toMatchObject({ pid: apply.child.pid, host: os.hostname(), who: ME });
      await expectRun(1, 'plan', '--env', 'dev2');
      expect(errorText()).toContain('An apply is running on dev/dev2');
      expect(errorText()).toContain(`pid ${apply.child.pid} on ${os.hostname()}`);
      expect(errorText()).toContain(`since ${held?.since}`);
      expect(errorText()).toContain(ME);
      expect(errorText()).not.toMatch(/unlock/);
      expect(errorText()).not.toMatch(/state is locked/);
    } finally {
      process.kill(apply.child.pid as number, 'SIGINT');
      expect((await apply.exited).code).toBe(130);
    }
    expect(await applyLockOf('dev/dev2')).toBeUndefined();
  });

  test('plan beside the apply lock of a run that no longer exists on this host says it was killed and how to break its lock', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const key = naming('dev/dev2').applyLockKey;
    await backendOf('dev/dev2').putObject(
      key,
      JSON.stringify({ who: ME, operation: 'apply dev/dev2', since: '2026-01-01T00:00:00.000Z', pid: dead, host: os.hostname() }),
    );
    try {
      await expectRun(1, 'plan', '--env', 'dev2');
      expect(errorText()).toContain(`pid ${dead} on ${os.hostname()}`);
      expect(errorText()).toMatch(/no longer runs on this host/);
      expect(errorText()).toContain('npm run unlock -- --env dev/dev2 --yes');
    } finally {
      await backendOf('dev/dev2').deleteObject(key);
    }
  });
});

describe('releasing the apply lock', () => {
  test('releaseOwnLock deletes the lock only while this run holds it', async () => {
    const backend = backendOf('dev/dev3');
    const key = 'bdda/test/own.lock';
    const first = await backend.acquireLock(key, { who: 'first@ci', operation: 'apply dev/dev3' });
    expect(first.etag).toBeTruthy();
    expect(await backend.releaseOwnLock(first)).toBe('released');
    expect(await backend.readLock(key)).toBeUndefined();
    expect(await backend.releaseOwnLock(first)).toBe('gone');

    const broken = await backend.acquireLock(key, { who: 'broken@ci', operation: 'apply dev/dev3' });
    await backend.releaseLock(key); // unlock --yes
    const next = await backend.acquireLock(key, { who: 'next@ci', operation: 'apply dev/dev3' });
    expect(await backend.releaseOwnLock(broken)).toBe('lost');
    expect(await backend.readLock(key)).toMatchObject({ who: 'next@ci', runId: next.info.runId });
    // Without an ETag (a proxy dropped it), the run id in the body decides.
    expect(await backend.releaseOwnLock({ ...broken, etag: undefined })).toBe('lost');
    expect(await backend.releaseOwnLock({ ...next, etag: undefined })).toBe('released');
    expect(await backend.readLock(key)).toBeUndefined();
  });

  test("an apply whose lock was broken with `unlock --yes` and retaken leaves the new holder's lock when it ends", async () => {
    const apply = await heldApply('dev/dev3');
    await expectRun(0, 'unlock', '--env', 'dev3', '--yes');
    expect(await applyLockOf('dev/dev3')).toBeUndefined();
    const next = await backendOf('dev/dev3').acquireLock(naming('dev/dev3').applyLockKey, { who: 'next@ci', operation: 'apply dev/dev3' });
    try {
      process.kill(apply.child.pid as number, 'SIGINT');
      const exit = await apply.exited;
      expect(exit.code).toBe(130);
      expect(apply.output()).toMatch(/was broken while this run held it, and another run holds it now; it was left to that run/);
      expect(await applyLockOf('dev/dev3')).toMatchObject({ who: 'next@ci', runId: next.info.runId });
    } finally {
      await backendOf('dev/dev3').releaseOwnLock(next);
    }
  });
});

describe.each([
  ['S3 lock files', 'dev/dev2'],
  ['a DynamoDB lock table', 'dev/dev1'],
])("a state lock left by this run's own terraform (%s)", (_kind, envPath) => {
  const leaf = envPath.split('/')[1];

  test('is broken with force-unlock and the plan retried once, saying so; no lock remains', async () => {
    expect(Boolean(backendOf(envPath).lockTable)).toBe(envPath === 'dev/dev1');
    // The bucket (and table) the lock goes in; the plan below synthesizes and plans for real.
    await ensureEmulator(path.join(root, '.bdda', 'emulator'), { port: PORT });
    await backendOf(envPath).ensure();
    // As terraform's resent lock request leaves it: our user@host, created after the run started.
    const lock = await writeTerraformLock(backendOf(envPath), ENDPOINT, {
      stateKey: naming(envPath).stateKey('flag'),
      who: ME,
      created: new Date(Date.now() + 60_000),
    });
    await expectRun(0, 'plan', '--env', leaf);
    expect(logText()).toContain(`terraform left its own state lock ${lock.id}`);
    expect(logText()).toMatch(/retrying once/);
    expect(logText()).toMatch(/FLAG\s+\d+ to add/);
    expect(await terraformLocksOf(envPath)).toEqual([]);
  });

  test('a lock created before the run started, or by someone else, is left and reported', async () => {
    const stateKey = naming(envPath).stateKey('flag');
    for (const [who, created] of [
      [ME, new Date(Date.now() - 3_600_000)],
      ['ghost@ci', new Date(Date.now() + 60_000)],
    ] as const) {
      const lock = await writeTerraformLock(backendOf(envPath), ENDPOINT, { stateKey, who, created });
      await expectRun(1, 'plan', '--env', leaf);
      expect(errorText()).toContain('The state is locked by another terraform run');
      expect(errorText()).toContain(`ID: ${lock.id}`);
      expect(logText()).not.toMatch(/its own state lock/);
      expect((await terraformLocksOf(envPath)).map((l) => l.id)).toEqual([lock.id]);
      await expectRun(0, 'unlock', '--env', leaf, '--yes');
      expect(await terraformLocksOf(envPath)).toEqual([]);
    }
  });
});

describe.each([
  ['S3 lock files', 'dev/dev2'],
  ['a DynamoDB lock table', 'dev/dev1'],
])('a lock response that never arrives (a proxy drops it; %s)', (_kind, envPath) => {
  const leaf = envPath.split('/')[1];
  const runDir = () => path.join(root, '.bdda', 'emulator');
  let proxy: LockProxy;

  beforeAll(async () => {
    await ensureEmulator(runDir(), { port: PORT });
    proxy = await startLockProxy({ upstreamPort: PORT, port: PORT + 1, delayMs: 3000 });
    // The workflow and terraform talk to the emulator through the proxy.
    fs.writeFileSync(path.join(runDir(), 'port'), String(proxy.port));
    process.env.BDDA_EMULATOR_PORT = String(proxy.port);
  });

  afterAll(async () => {
    await proxy?.close();
    fs.writeFileSync(path.join(runDir(), 'port'), String(PORT));
    process.env.BDDA_EMULATOR_PORT = String(PORT);
  });

  test('terraform resends its lock request and reports its own lock as held; plan breaks it, retries, and no lock remains', async () => {
    proxy.armOnce('state');
    await expectRun(0, 'plan', '--env', leaf);
    expect(proxy.spoiled()).toBe(1);
    expect(logText()).toMatch(/FLAG\s+terraform left its own state lock \S+ .*released it, retrying once/);
    expect(logText()).toMatch(/FLAG\s+\d+ to add/);
    expect(await terraformLocksOf(envPath)).toEqual([]);
  });

  test("the workflow's own apply lock survives the same resend: taken once, released by its owner", async () => {
    const { bucket, region, lockTable } = loadEnvironment(root, envPath).config.backend;
    const viaProxy = new StateBackend({ bucket, region, lockTable, endpoint: emulatorEndpoint(proxy.port) });
    try {
      await viaProxy.ensure(); // the bucket, when this test runs alone
      const before = proxy.spoiled();
      proxy.armOnce('apply');
      const held = await viaProxy.acquireLock(naming(envPath).applyLockKey, { who: ME, operation: `apply ${envPath}` });
      expect(proxy.spoiled()).toBe(before + 1);
      expect(await applyLockOf(envPath)).toMatchObject({ runId: held.info.runId });
      expect(await viaProxy.releaseOwnLock(held)).toBe('released');
      expect(await applyLockOf(envPath)).toBeUndefined();
    } finally {
      viaProxy.destroy();
    }
  });
});

describe('the emulator dying mid-apply', () => {
  test('is the error reported first, naming the layer and what to do; the lock comes after', async () => {
    await expectRun(0, 'plan', '--env', 'dev2');
    const running = runCli(captured, 'apply', '--env', 'dev2');
    const deadline = Date.now() + 300_000;
    while (!/FLAG\s+applying[\s\S]*Creating\.\.\./.test(logText())) {
      if (Date.now() > deadline) throw new Error(`FLAG's apply never started:\n${logText().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const pid = Number(fs.readFileSync(path.join(root, '.bdda', 'emulator', 'pid'), 'utf8').trim());
    process.kill(pid, 'SIGKILL');
    expect(await running).toBe(1);
    const message = errorText();
    expect(message).toMatch(/^Error: The emulator stopped answering during FLAG's apply of dev\/dev2/);
    expect(message).toContain('npm run plan -- --env dev/dev2');
    // The apply lock went with the emulator, which the note after terraform's own words says.
    expect(message).toContain('terraform said');
    expect(message.indexOf('The apply lock')).toBeGreaterThan(message.indexOf('terraform said'));
  });
});
