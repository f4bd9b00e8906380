/**
 * `npm run bench`: figures for the Build-Diff of emulated environments, printed, never asserted.
 *
 *   1. one environment, cold (fresh emulator, fresh working directories) and warm (reused);
 *   2. `plan --all` over 1, 2, 4 and 8 environments, so growth is visible.
 *
 * It works in a scratch copy of the repository with its own emulator port, and stops that
 * emulator when done. Override the sizes with `BENCH_SIZES=1,2`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironment } from '../config/load';
import { stopEmulator } from './engines/emulator';
import type { StageTiming } from './workflow/context';
import { planEnvironment } from './workflow/plan';
import { planCommand } from './commands/plan';
import { silentProgress } from './support/progress';
import { repoRoot, workspace, type Workspace } from './support/workspace';

const REPO = repoRoot();

/** A scratch root holding the organisation defaults, the dev tier and `count` copies of dev1. */
function scratchWithDevEnvironments(count: number): Workspace {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-bench-'));
  const envs = path.join(root, 'environments');
  fs.mkdirSync(path.join(envs, 'dev'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'environments', 'env.yaml'), path.join(envs, 'env.yaml'));
  fs.copyFileSync(path.join(REPO, 'environments', 'dev', 'env.yaml'), path.join(envs, 'dev', 'env.yaml'));
  const template = fs.readFileSync(path.join(REPO, 'environments', 'dev', 'dev1', 'env.yaml'), 'utf8');
  for (let i = 1; i <= count; i++) {
    fs.mkdirSync(path.join(envs, 'dev', `bench${i}`));
    // dev1 uses 10.11.x.x; each copy gets its own second octet.
    fs.writeFileSync(path.join(envs, 'dev', `bench${i}`, 'env.yaml'), template.replace(/10\.11\./g, `10.${100 + i}.`));
  }
  return workspace(root);
}

function rssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function printStages(title: string, wall: number, timings: readonly StageTiming[]): void {
  const engine = timings.reduce((sum, t) => sum + t.engineSeconds, 0);
  console.log(`\n${title}`);
  console.log(`  ${'stage'.padEnd(16)} ${'wall s'.padStart(8)} ${'terraform s'.padStart(12)}`);
  for (const t of timings) console.log(`  ${t.stage.padEnd(16)} ${t.seconds.toFixed(2).padStart(8)} ${t.engineSeconds.toFixed(2).padStart(12)}`);
  console.log(`  ${'total'.padEnd(16)} ${wall.toFixed(2).padStart(8)} ${engine.toFixed(2).padStart(12)}   (layers plan in parallel, so stage times overlap)`);
  console.log(`  node peak RSS so far: ${rssMiB().toFixed(0)} MiB`);
}

async function main(): Promise<void> {
  const sizes = (process.env.BENCH_SIZES ?? '1,2,4,8').split(',').map(Number);
  process.env.BDDA_EMULATOR_PORT ??= '45990';
  console.log(`bdda bench: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  console.log(`emulator port ${process.env.BDDA_EMULATOR_PORT}; figures are wall-clock seconds on this machine, one run each`);

  const one = scratchWithDevEnvironments(1);
  try {
    const env = loadEnvironment(one.root, 'bench1');
    for (const label of ['cold: new emulator, new working directories', 'warm: emulator running, init reused']) {
      const started = Date.now();
      const plan = await planEnvironment(one, env, silentProgress);
      printStages(`One environment, ${label}`, (Date.now() - started) / 1000, plan.timings);
    }
  } finally {
    await stopEmulator(one.emulatorDir);
    fs.rmSync(one.root, { recursive: true, force: true });
  }

  console.log(`\nplan --all (concurrency 2), a fresh emulator and new working directories for each size`);
  console.log(`  ${'envs'.padStart(4)} ${'wall s'.padStart(8)} ${'s/env'.padStart(7)} ${'terraform s'.padStart(12)} ${'overhead s'.padStart(11)} ${'peak RSS MiB'.padStart(13)}`);
  for (const n of sizes) {
    const ws = scratchWithDevEnvironments(n);
    try {
      const started = Date.now();
      const { runs } = await planCommand(ws, { all: true, concurrency: 2 }, silentProgress);
      const wall = (Date.now() - started) / 1000;
      const failed = runs.filter((r) => r.error);
      if (failed.length) throw failed[0].error;
      const engine = runs.flatMap((r) => r.plan?.timings ?? []).reduce((sum, t) => sum + t.engineSeconds, 0);
      // Overhead: wall time not covered by terraform, with up to two environments at once.
      const overhead = Math.max(0, wall - engine / Math.min(n, 2));
      console.log(`  ${String(n).padStart(4)} ${wall.toFixed(1).padStart(8)} ${(wall / n).toFixed(2).padStart(7)} ${engine.toFixed(1).padStart(12)} ${overhead.toFixed(1).padStart(11)} ${rssMiB().toFixed(0).padStart(13)}`);
    } finally {
      await stopEmulator(ws.emulatorDir);
      fs.rmSync(ws.root, { recursive: true, force: true });
    }
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
