/**
 * Helpers for the Deploy-Apply suite: run the CLI as a separate process (to interrupt it), and
 * write a valid reviewed diff without planning (for guard checks that must stop before any AWS call).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { type LayerPlan, layerPlan, writeChanges } from '../../bdda/diff/changes';
import { policyRecord } from '../../bdda/policy/record';
import { sha256 } from '../../bdda/support/digest';
import { REPO_ROOT } from './scratch';

/** A CLI run in a child process, with its output collected as it comes. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves once the output matches `pattern`; rejects if the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * `ts-node bdda/cli.ts <args>` as its own process group (so that a SIGKILL can take its terraform
 * children along, as a closed terminal or an OOM-killed CI job would), pointed at `root` and
 * the emulator on `port`.
 */
export function spawnCli(root: string, port: number, args: string[]): CliProcess {
  return spawnWatched(process.execPath, [require.resolve('ts-node/dist/bin.js'), path.join(REPO_ROOT, 'bdda', 'cli.ts'), ...args], {
    BDDA_ROOT: root,
    BDDA_EMULATOR_PORT: String(port),
    TS_NODE_TRANSPILE_ONLY: '1',
  });
}

/** Any command as its own process group in the repository, with `env` added, watched like `spawnCli`. */
export function spawnWatched(command: string, args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let text = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: string) => {
    text += chunk;
    listeners.forEach((l) => l());
  };
  child.stdout?.setEncoding('utf8').on('data', collect);
  child.stderr?.setEncoding('utf8').on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      listeners.forEach((l) => l());
      resolve({ code, signal });
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            cleanup();
            resolve();
          } else if (done || child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`the process ended before its output matched ${pattern}:\n${text.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${text.slice(-4000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Sends `signal` to the whole process group of a `spawnCli` process (CLI and terraform). */
export function killGroup(proc: CliProcess, signal: NodeJS.Signals): void {
  if (proc.child.pid === undefined) return;
  try {
    process.kill(-proc.child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Writes a genuine (correctly signed) reviewed diff for `envPath` without planning: one FLAG
 * section with `adds` resources to add. Enough to get `apply` past "nothing to apply".
 */
export function writeReviewedDiff(envDir: string, envPath: string, adds: number): void {
  const changes = Array.from({ length: adds }, (_, i) => ({
    address: `aws_vpc.example_${i}`,
    type: 'aws_vpc',
    name: `example_${i}`,
    action: 'create' as const,
    before: null,
    after: { cidr_block: `10.${i}.0.0/16` },
  }));
  const plan: LayerPlan = layerPlan({
    layer: 'flag',
    label: 'FLAG',
    engine: 'terraform plan',
    status: 'changes',
    body: changes.map((c) => `  # ${c.address} will be created`).join('\n'),
    plan: { changes, outputs: [], drift: [] },
    removal: 'destroy',
  });
  // No findings, judged with no waivers file (the digest of nothing).
  const policy = policyRecord([], { file: `environments/${envPath}/waivers.yaml`, digest: sha256('') });
  writeChanges(envDir, envPath, { terraform: '1.11.4', 'hashicorp/aws': '6.0.0' }, [plan], policy);
}
