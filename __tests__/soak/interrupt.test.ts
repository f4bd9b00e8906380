/**
 * Interrupting a command: terraform receives exactly one SIGINT however the signal arrives, and a
 * command interrupted before or while terraform runs releases the apply lock and exits 130.
 *
 * Terraform here is a stand-in (support/fake-terraform.js, through TERRAFORM_BINARY) that records
 * every signal it gets, so that the count is exact and the test fast; the emulator is real.
 * interrupted-apply.test.ts interrupts the real terraform through the process group.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironment } from '../../config/load';
import { emulatorEndpoint, stopEmulator } from '../../bdda/engines/emulator';
import { StateBackend } from '../../bdda/state/state-backend';
import { type CliProcess, killGroup, spawnCli, spawnWatched, writeReviewedDiff } from '../support/apply-harness';
import { restoreEnv } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { makeScratch, REPO_ROOT, removeScratch } from '../support/scratch';

const PORT = testEmulatorPort(25310);
const ENV = 'dev/dev2';
const FAKE_TERRAFORM = path.join(__dirname, '..', 'support', 'fake-terraform.js');

let root: string;
let backend: StateBackend;
let signalLog: string;
const children: CliProcess[] = [];
const saved = { terraform: process.env.TERRAFORM_BINARY, log: process.env.FAKE_TF_LOG };

beforeAll(() => {
  root = makeScratch();
  const { bucket, region, lockTable } = loadEnvironment(root, ENV).config.backend;
  backend = new StateBackend({ bucket, region, lockTable, endpoint: emulatorEndpoint(PORT) });
  process.env.TERRAFORM_BINARY = FAKE_TERRAFORM;
});

beforeEach(() => {
  signalLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-signals-')), 'signals.log');
  process.env.FAKE_TF_LOG = signalLog;
  // A genuine reviewed diff, so that apply takes the apply lock, synthesizes and verifies (FLAG's init).
  writeReviewedDiff(path.join(root, 'environments', ENV), ENV, 3);
});

afterAll(async () => {
  try {
    for (const proc of children) if (proc.child.exitCode === null && proc.child.signalCode === null) killGroup(proc, 'SIGKILL');
    backend?.destroy();
    if (root) await stopEmulator(path.join(root, '.bdda', 'emulator'));
  } finally {
    if (root) removeScratch(root);
    restoreEnv('TERRAFORM_BINARY', saved.terraform);
    restoreEnv('FAKE_TF_LOG', saved.log);
  }
});

/** The lines the stand-in terraform recorded: `start <args>`, then one per signal. */
const recorded = () => (fs.existsSync(signalLog) ? fs.readFileSync(signalLog, 'utf8').trim().split('\n') : []);
const signalsReceived = () => recorded().filter((l) => /^SIG/.test(l));

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, proc: CliProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`the command ended before ${what}:\n${proc.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${proc.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts `apply` through `start`, waits until terraform (FLAG's init) runs, then interrupts with `interrupt`. */
async function interruptDuringTerraform(start: () => CliProcess, interrupt: (proc: CliProcess) => unknown): Promise<{ code: number | null; output: string }> {
  const proc = start();
  children.push(proc);
  await waitUntil('terraform starting', () => recorded().some((l) => l.startsWith('start init')), proc);
  await interrupt(proc);
  const exit = await proc.exited;
  return { code: exit.code, output: proc.output() };
}

const cliArgs = ['apply', '--env', 'dev2'];
const applyLock = () => backend.readLock(loadEnvironment(root, ENV).naming.applyLockKey);

describe('terraform receives exactly one SIGINT', () => {
  test('when node alone is sent SIGINT (kill <pid>)', async () => {
    const { code, output } = await interruptDuringTerraform(
      () => spawnCli(root, PORT, cliArgs),
      (proc) => process.kill(proc.child.pid as number, 'SIGINT'),
    );
    expect(signalsReceived()).toEqual(['SIGINT']);
    expect(code).toBe(130);
    expect(output).toMatch(/SIGINT received: stopping at the next safe point/);
    expect(await applyLock()).toBeUndefined();
  });

  test('when the whole process group is sent SIGINT with stdin not a terminal (a CI runner cancelling)', async () => {
    const { code } = await interruptDuringTerraform(
      () => spawnCli(root, PORT, cliArgs),
      (proc) => killGroup(proc, 'SIGINT'),
    );
    expect(signalsReceived()).toEqual(['SIGINT']);
    expect(code).toBe(130);
    expect(await applyLock()).toBeUndefined();
  });

  test('when the process group is sent SIGTERM: terraform gets one SIGINT', async () => {
    const { code } = await interruptDuringTerraform(
      () => spawnCli(root, PORT, cliArgs),
      (proc) => killGroup(proc, 'SIGTERM'),
    );
    expect(signalsReceived()).toEqual(['SIGINT']);
    expect(code).toBe(130);
    expect(await applyLock()).toBeUndefined();
  });

  test('when Ctrl-C is typed at a terminal (the terminal signals the foreground group; stdin is a TTY)', async () => {
    // script(1) runs the command on a pseudo-terminal; ^C written to it is turned into SIGINT for
    // the terminal's foreground process group by the line discipline, as at a real terminal.
    const command = [process.execPath, require.resolve('ts-node/dist/bin.js'), path.join(REPO_ROOT, 'bdda', 'cli.ts'), ...cliArgs]
      .map((a) => `'${a}'`)
      .join(' ');
    const { code, output } = await interruptDuringTerraform(
      () => spawnWatched('script', ['-qfec', `node -e 'process.exit(process.stdin.isTTY ? 0 : 3)' && exec ${command}`, '/dev/null'], cliEnv()),
      (proc) => proc.child.stdin?.write('\x03'),
    );
    expect(signalsReceived()).toEqual(['SIGINT']);
    expect(output).toMatch(/SIGINT received/);
    expect(code).toBe(130); // script -e passes on the command's exit code
    expect(await applyLock()).toBeUndefined();
  });

  test('when npm runs the command and the process group is sent SIGINT (npm forwards it to node too)', async () => {
    const { output } = await interruptDuringTerraform(
      () => spawnWatched('npm', ['run', '--silent', 'apply', '--', '--env', 'dev2'], cliEnv()),
      (proc) => killGroup(proc, 'SIGINT'),
    );
    expect(signalsReceived()).toEqual(['SIGINT']);
    expect(output).toMatch(/SIGINT received: stopping at the next safe point/);
    expect(output).not.toMatch(/SIGINT received again/); // npm's copy and the group's are one press
    expect(await applyLock()).toBeUndefined();
  });

  test('a second interrupt is only reported; a third makes terraform stop at once (its second SIGINT)', async () => {
    process.env.FAKE_TF_STOP_MS = '6000';
    try {
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      let afterSecond: string[] = [];
      const { code, output } = await interruptDuringTerraform(
        () => spawnCli(root, PORT, cliArgs),
        async (proc) => {
          const pid = proc.child.pid as number;
          process.kill(pid, 'SIGINT');
          await sleep(1300); // more than a press apart
          process.kill(pid, 'SIGINT');
          await sleep(1300);
          afterSecond = signalsReceived();
          process.kill(pid, 'SIGINT');
        },
      );
      expect(afterSecond).toEqual(['SIGINT']);
      expect(signalsReceived()).toEqual(['SIGINT', 'SIGINT']);
      expect(output).toMatch(/SIGINT received again: still waiting/);
      expect(output).toMatch(/third time/);
      expect(code).toBe(130);
    } finally {
      delete process.env.FAKE_TF_STOP_MS;
    }
  });
});

describe('an interrupt before terraform starts', () => {
  test('SIGINT while apply synthesizes (apply lock taken) stops before any terraform, releases the lock and exits 130', async () => {
    const proc = spawnCli(root, PORT, cliArgs);
    children.push(proc);
    await waitUntil('the apply lock being taken', async () => (await applyLock()) !== undefined, proc);
    process.kill(proc.child.pid as number, 'SIGINT');
    const exit = await proc.exited;
    expect(exit.code).toBe(130);
    expect(proc.output()).toMatch(/Interrupted \(SIGINT\)/);
    expect(recorded()).toEqual([]); // no terraform started
    expect(await applyLock()).toBeUndefined();
  });
});

/** What spawnCli gives its command, for the commands started another way. */
function cliEnv(): Record<string, string> {
  return { BDDA_ROOT: root, BDDA_EMULATOR_PORT: String(PORT), TS_NODE_TRANSPILE_ONLY: '1' };
}
