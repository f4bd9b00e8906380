/**
 * Many plans and applies in a row on one emulated environment, some interrupted with SIGINT at
 * varying points and some with one lock response lost (a proxy on loopback drops it, so the SDK
 * resends the lock request), with terraform's state locks and the apply lock checked empty after
 * every run. An interrupt is sent once the run's output shows it at a given step, so it always
 * lands mid-run: the run must say it stopped, exit 130 and leave the diff files as they were. The
 * environment stays deployed; rounds change one Goliath quota or, every fourth, FLAG's flow-log
 * retention (a real terraform apply), so most runs are small. (A tag on every resource is not
 * used: the emulator cannot tag EKS node groups.)
 *
 * BDDA_LOCK_LOOP_RUNS sets the number of runs (a plan and an apply a round; 50 by default, at
 * least 8, so that every kind of run comes up).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironment } from '../../config/load';
import { emulatorEndpoint, ensureEmulator, stopEmulator } from '../../bdda/engines/emulator';
import { StateBackend } from '../../bdda/state/state-backend';
import { type CliProcess, killGroup, spawnCli } from '../support/apply-harness';
import { captureConsole, restoreEnv, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { type LockProxy, startLockProxy } from '../support/lock-proxy';
import { editFile, makeScratch, removeScratch } from '../support/scratch';

const PORT = testEmulatorPort(25800);
const ENV = 'dev/dev2';
const RUNS = Number(process.env.BDDA_LOCK_LOOP_RUNS ?? 50);
if (!Number.isInteger(RUNS) || RUNS < 8 || RUNS % 2 !== 0) {
  throw new Error(`BDDA_LOCK_LOOP_RUNS must be an even whole number of at least 8 (a plan and an apply a round), not "${process.env.BDDA_LOCK_LOOP_RUNS}"`);
}
const ROUNDS = RUNS / 2;
/** Where an interrupted plan is stopped: its output shows that step, and more steps follow. */
const PLAN_STEPS = [/FLAG\s+init\b/, /FLAG\s+init (reused|done)/, /KARR\s+init\b/];
/** Where an interrupted apply is stopped: while it plans every layer again, before it applies any (KARR's init may come after FLAG is applied). */
const APPLY_STEPS = [/VERIFY\s+planning every layer again/, /VERIFY[\s\S]*FLAG\s+init (reused|done)/, /VERIFY[\s\S]*GOLIATH\s+(\d+ to add|no changes)/];

let root: string;
let proxy: LockProxy;
let backend: StateBackend;
const captured = captureConsole();
const children: CliProcess[] = [];
const saved = { root: process.env.BDDA_ROOT, port: process.env.BDDA_EMULATOR_PORT };

beforeAll(async () => {
  root = makeScratch();
  process.env.BDDA_ROOT = root;
  const runDir = path.join(root, '.bdda', 'emulator');
  await ensureEmulator(runDir, { port: PORT });
  proxy = await startLockProxy({ upstreamPort: PORT, port: PORT + 1, delayMs: 2000 });
  // Every run, in-process or not, and terraform too, reach the emulator through the proxy.
  fs.writeFileSync(path.join(runDir, 'port'), String(proxy.port));
  process.env.BDDA_EMULATOR_PORT = String(proxy.port);
  const { bucket, region, lockTable } = loadEnvironment(root, ENV).config.backend;
  backend = new StateBackend({ bucket, region, lockTable, endpoint: emulatorEndpoint(PORT) });
});

afterAll(async () => {
  try {
    for (const proc of children) if (proc.child.exitCode === null && proc.child.signalCode === null) killGroup(proc, 'SIGKILL');
    await proxy?.close();
    backend?.destroy();
    if (root) {
      fs.writeFileSync(path.join(root, '.bdda', 'emulator', 'port'), String(PORT));
      await stopEmulator(path.join(root, '.bdda', 'emulator'));
    }
  } finally {
    if (root) removeScratch(root);
    restoreEnv('BDDA_ROOT', saved.root);
    restoreEnv('BDDA_EMULATOR_PORT', saved.port);
  }
});

const naming = () => loadEnvironment(root, ENV).naming;

/** No terraform state lock and no apply lock remain. */
async function expectNoLocks(after: string): Promise<void> {
  const locks = [
    ...(await Promise.all((['flag', 'karr'] as const).map((layer) => backend.terraformLockInfo(naming().stateKey(layer))))).filter((l) => l !== undefined),
    ...[await backend.readLock(naming().applyLockKey)].filter((l) => l !== undefined),
  ];
  if (locks.length > 0)
    throw new Error(`locks remain after ${after}: ${JSON.stringify(locks)}\n${captured.errors.join('\n')}\n${captured.logs.join('\n').slice(-3000)}`);
}

async function inProcess(what: string, ...args: string[]): Promise<void> {
  const code = await runCli(captured, ...args);
  if (code !== 0) throw new Error(`${what}: bdda ${args.join(' ')} exited ${code}:\n${captured.errors.join('\n')}\n${captured.logs.join('\n').slice(-3000)}`);
  await expectNoLocks(what);
}

/** The reviewed diff files of the environment, byte for byte (absent ones as undefined). */
function diffFiles(): Record<string, string | undefined> {
  const dir = path.join(root, 'environments', ENV);
  return Object.fromEntries(
    ['changes.txt', 'changes.json'].map((name) => [name, fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), 'utf8') : undefined]),
  );
}

/**
 * Runs the command in a child process and sends SIGINT to its process group once its output
 * matches `step`. The signal must have landed and stopped the run: it says so, exits 130, forwards
 * one interrupt only, leaves the diff files as they were and releases every lock.
 */
async function interrupted(what: string, step: RegExp, ...args: string[]): Promise<void> {
  const before = diffFiles();
  const proc = spawnCli(root, proxy.port, args);
  children.push(proc);
  await proc.waitFor(step, 600_000);
  killGroup(proc, 'SIGINT');
  const exit = await proc.exited;
  const output = proc.output();
  const show = `${what}: exit ${exit.code} ${exit.signal ?? ''}\n${output.slice(-4000)}`;
  expect({ what, code: exit.code, output: show }).toEqual({
    what,
    code: 130,
    output: expect.stringContaining('SIGINT received: stopping at the next safe point'),
  });
  expect({ what, output }).toEqual({ what, output: expect.not.stringMatching(/Two interrupts received|SIGINT received again/) });
  expect({ what, files: diffFiles() }).toEqual({ what, files: before });
  await expectNoLocks(what);
}

/** The armed lock request came during this very run, not a later one; else the run's output shows why. */
function expectSpoiled(run: string, armed: number): void {
  if (proxy.spoiled() !== armed)
    throw new Error(`${run}: ${proxy.spoiled()} lock responses lost so far, ${armed} armed:\n${captured.logs.join('\n').slice(-6000)}`);
}

test(
  `${RUNS} plans and applies in a row, some interrupted, some with a lost lock response, leave no lock behind after any of them`,
  async () => {
    const started = Date.now();
    // Deploy once: FLAG, then KARR (reviewed as a preview) and GOLIATH, in one apply.
    await inProcess('the first plan', 'plan', '--env', 'dev2');
    await inProcess('the first apply', 'apply', '--env', 'dev2');
    const deployed = (Date.now() - started) / 1000;

    const outcomes: string[] = [];
    let armed = 0;
    let pods = 50;
    let retention = 7;
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 4 === 2) {
        // FLAG's flow-log retention: a real terraform apply of an in-place update.
        editFile(root, 'environments/dev/env.yaml', `retentionDays: ${retention}`, `retentionDays: ${retention === 7 ? 14 : 7}`);
        retention = retention === 7 ? 14 : 7;
      } else {
        // A quota never written before, so that the round has a change to review and apply even
        // when the last apply was interrupted before it deployed the previous one.
        editFile(root, 'environments/dev/env.yaml', `quota: { cpu: "8", memory: 16Gi, pods: ${pods} }`, `quota: { cpu: "8", memory: 16Gi, pods: ${pods + 1} }`);
        pods += 1;
      }

      const planWhat = `round ${round} plan`;
      if (round % 6 === 3) {
        await interrupted(`${planWhat} (SIGINT)`, PLAN_STEPS[round % PLAN_STEPS.length], 'plan', '--env', 'dev2');
        outcomes.push('plan interrupted -> 130');
        await inProcess(`${planWhat} again`, 'plan', '--env', 'dev2');
      } else {
        if (round % 4 === 1) proxy.armOnce('state');
        await inProcess(planWhat, 'plan', '--env', 'dev2');
        outcomes.push(round % 4 === 1 ? 'plan, lock response lost -> 0' : 'plan -> 0');
        if (round % 4 === 1) armed += 1;
        expectSpoiled(planWhat, armed);
      }

      const applyWhat = `round ${round} apply`;
      if (round % 3 === 2) {
        await interrupted(`${applyWhat} (SIGINT)`, APPLY_STEPS[round % APPLY_STEPS.length], 'apply', '--env', 'dev2');
        outcomes.push('apply interrupted -> 130');
      } else {
        if (round % 4 === 0) proxy.armOnce(round % 8 === 0 ? 'apply' : 'state');
        await inProcess(applyWhat, 'apply', '--env', 'dev2');
        outcomes.push(round % 4 === 0 ? 'apply, lock response lost -> 0' : 'apply -> 0');
        if (round % 4 === 0) armed += 1;
        expectSpoiled(applyWhat, armed);
      }
    }
    console.info(
      `lock loop: deployed in ${deployed.toFixed(0)} s, then ${outcomes.length} runs in ${((Date.now() - started) / 1000 - deployed).toFixed(0)} s; ` +
        `${proxy.spoiled()} lock responses lost\n${outcomes.join('\n')}`,
    );
    // Every lock request the proxy was armed for came, and its response was lost.
    expect(proxy.spoiled()).toBe(armed);
    await expectNoLocks('the loop');

    // The environment ends where the last config says: what an interrupted apply left is applied
    // now, and then every layer is in sync and the quota deployed is the last one written.
    await inProcess('the last apply', 'apply', '--env', 'dev2');
    await inProcess('the final plan', 'plan', '--env', 'dev2', '--detailed-exitcode');
    expect(diffFiles()).toEqual({ 'changes.txt': undefined, 'changes.json': undefined });
    const goliath = await backend.getObject(naming().stateKey('goliath'));
    expect(goliath).toMatch(new RegExp(`pods: "?${pods}\\b`));
    expect(goliath).not.toMatch(new RegExp(`pods: "?${pods - 1}\\b`));
    // A safety net, not a timing: real plans and applies (each FLAG change adds KARR's preview) run for many minutes on 2 cores.
  },
  600_000 + RUNS * 60_000,
);
