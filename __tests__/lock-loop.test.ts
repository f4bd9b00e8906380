/**
 * Many plans and applies in a row on one emulated environment, some interrupted with SIGINT at
 * varying points and some with one lock response lost (a proxy on loopback drops it, so the SDK
 * resends the lock request), with terraform's state locks and the apply lock checked empty after
 * every run. The environment stays deployed; rounds change one Goliath quota or, every fourth,
 * FLAG's flow-log retention (a real terraform apply), so most runs are small. (A tag on every
 * resource is not used: the emulator cannot tag EKS node groups.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironment } from '../config/load';
import { emulatorEndpoint, ensureEmulator, stopEmulator } from '../bdda/engines/emulator';
import { StateBackend } from '../bdda/state/state-backend';
import { type CliProcess, killGroup, spawnCli } from './support/apply-harness';
import { captureConsole, restoreEnv, runCli } from './support/cli-harness';
import { testEmulatorPort } from './support/emulated';
import { type LockProxy, startLockProxy } from './support/lock-proxy';
import { editFile, makeScratch, removeScratch } from './support/scratch';

const PORT = testEmulatorPort(45900, 2);
const ENV = 'dev/dev2';
const ROUNDS = 25; // two runs each: 50 plans and applies

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

/** Runs the command in a child process and sends SIGINT to its process group after `delayMs`. */
async function interrupted(what: string, delayMs: number, ...args: string[]): Promise<number | string | null> {
  const proc = spawnCli(root, proxy.port, args);
  children.push(proc);
  const timer = setTimeout(() => killGroup(proc, 'SIGINT'), delayMs);
  const exit = await proc.exited;
  clearTimeout(timer);
  // Killed by the signal itself only while node was still starting, before the CLI (and its handlers) ran.
  const beforeStart = exit.signal === 'SIGINT' && proc.output().trim() === '';
  if (exit.code !== 0 && exit.code !== 130 && !beforeStart) throw new Error(`${what}: exit ${exit.code} ${exit.signal ?? ''}\n${proc.output().slice(-4000)}`);
  if (/Two interrupts received/.test(proc.output())) throw new Error(`${what}: terraform got two interrupts:\n${proc.output().slice(-3000)}`);
  await expectNoLocks(what);
  return beforeStart ? 'SIGINT while node started' : exit.code;
}

test('50 plans and applies in a row, some interrupted, some with a lost lock response, leave no lock behind after any of them', async () => {
  const started = Date.now();
  // Deploy once: FLAG, then KARR (reviewed as a preview) and GOLIATH, in one apply.
  await inProcess('the first plan', 'plan', '--env', 'dev2');
  await inProcess('the first apply', 'apply', '--env', 'dev2');
  const deployed = (Date.now() - started) / 1000;

  const outcomes: string[] = [];
  let pods = 50;
  let retention = 7;
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 4 === 2) {
      // FLAG's flow-log retention: a real terraform apply of an in-place update.
      editFile(root, 'environments/dev/env.yaml', `retentionDays: ${retention}`, `retentionDays: ${retention === 7 ? 14 : 7}`);
      retention = retention === 7 ? 14 : 7;
    } else {
      editFile(
        root,
        'environments/dev/env.yaml',
        `quota: { cpu: "8", memory: 16Gi, pods: ${pods} }`,
        `quota: { cpu: "8", memory: 16Gi, pods: ${pods === 50 ? 51 : 50} }`,
      );
      pods = pods === 50 ? 51 : 50;
    }

    const planWhat = `round ${round} plan`;
    if (round % 6 === 3) {
      const code = await interrupted(`${planWhat} (SIGINT)`, [1500, 4000, 7000, 10_000][round % 4], 'plan', '--env', 'dev2');
      outcomes.push(`plan SIGINT -> ${code}`);
      if (code !== 0) await inProcess(`${planWhat} again`, 'plan', '--env', 'dev2');
    } else {
      if (round % 4 === 1) proxy.armOnce('state');
      await inProcess(planWhat, 'plan', '--env', 'dev2');
      outcomes.push(round % 4 === 1 ? 'plan, lock response lost -> 0' : 'plan -> 0');
    }

    const applyWhat = `round ${round} apply`;
    if (round % 3 === 2) {
      const code = await interrupted(`${applyWhat} (SIGINT)`, [2000, 5000, 9000, 14_000, 20_000][round % 5], 'apply', '--env', 'dev2');
      outcomes.push(`apply SIGINT -> ${code}`);
    } else {
      if (round % 4 === 0) proxy.armOnce(round % 8 === 0 ? 'apply' : 'state');
      await inProcess(applyWhat, 'apply', '--env', 'dev2');
      outcomes.push(round % 4 === 0 ? 'apply, lock response lost -> 0' : 'apply -> 0');
    }
  }
  console.info(
    `lock loop: deployed in ${deployed.toFixed(0)} s, then ${outcomes.length} runs in ${((Date.now() - started) / 1000 - deployed).toFixed(0)} s; ` +
      `${proxy.spoiled()} lock responses lost\n${outcomes.join('\n')}`,
  );
  expect(outcomes).toHaveLength(2 * ROUNDS);
  expect(proxy.spoiled()).toBeGreaterThan(0);
  await expectNoLocks('the loop');
  // A safety net, not a timing: 50 real plans and applies (each FLAG change adds KARR's preview) run for many minutes on 2 cores.
}, 1_500_000);
