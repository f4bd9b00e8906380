/**
 * How sync plans and applies the ref checked out in its worktree. A worktree that holds the
 * workflow's own code (`bdda/cli.ts`: a full checkout of this repository) is planned and applied
 * by that code, in a child process, so that main's stacks and charts are what gets deployed, not
 * the branch's. A repository of environments only (as the tests use) is run in this process.
 * Either way the emulator and the build folder are this checkout's, so state and init are shared.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyEnvironment } from '../workflow/apply';
import { CHANGES_TXT } from '../diff/changes';
import { loadEnvironment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { planEnvironment } from '../workflow/plan';
import { INTERRUPTED_EXIT_CODE } from '../support/interrupt';
import { runProcess } from '../support/process';
import type { Progress } from '../support/progress';
import { repoRoot, type Workspace } from '../support/workspace';
import { DEPLOY_REF_VARIABLE } from './records';

export interface SyncRunner {
  /** The diff of the environment at the ref, in the worktree. */
  readonly changesFile: string;
  /** Plans; true when there is something to apply. */
  plan(): Promise<boolean>;
  /** Applies the reviewed diff; true when layers were left for another round (they waited for the ones applied). */
  apply(force: boolean): Promise<boolean>;
}

export function syncRunner(ws: Workspace, worktree: string, envPath: string, ref: string, progress: Progress): SyncRunner {
  const changesFile = path.join(worktree, 'environments', envPath, CHANGES_TXT);
  if (!fs.existsSync(path.join(worktree, 'bdda', 'cli.ts'))) {
    const refWs: Workspace = { ...ws, root: worktree };
    const refEnv = loadEnvironment(worktree, envPath);
    return {
      changesFile,
      plan: async () => (await planEnvironment(refWs, refEnv, progress)).outcome === 'written',
      apply: async (force) => (await applyEnvironment(refWs, refEnv, { yes: true, interactive: false, force, ref }, progress)) === 'applied-more-to-review',
    };
  }
  shareWithWorktree(ws, worktree);
  const run = (args: string[]) => runRefCli(worktree, ref, args);
  return {
    changesFile,
    plan: async () => {
      await run(['plan', '--env', envPath]);
      return fs.existsSync(changesFile);
    },
    apply: async (force) => {
      await run(['apply', '--env', envPath, '--yes', ...(force ? ['--force'] : [])]);
      return fs.existsSync(changesFile);
    },
  };
}

/** The folders of this checkout a worktree run of the ref's own bdda uses, as symbolic links. */
export const SHARED_WITH_WORKTREE = ['node_modules', 'build', '.bdda'] as const;

/** The worktree uses this checkout's node_modules, build folder and emulator, through symbolic links. */
function shareWithWorktree(ws: Workspace, worktree: string): void {
  const codeRoot = repoRoot();
  const targets: Record<(typeof SHARED_WITH_WORKTREE)[number], string> = {
    node_modules: path.join(codeRoot, 'node_modules'),
    build: ws.buildDir,
    '.bdda': path.dirname(ws.emulatorDir),
  };
  for (const name of SHARED_WITH_WORKTREE) {
    const target = targets[name];
    fs.mkdirSync(target, { recursive: true });
    fs.rmSync(path.join(worktree, name), { recursive: true, force: true });
    fs.symlinkSync(target, path.join(worktree, name), 'dir');
  }
}

/** `bdda <args>` of the ref's own code, with its output on this terminal; throws when it fails. */
async function runRefCli(worktree: string, ref: string, args: string[]): Promise<void> {
  const tsNode = require.resolve('ts-node/dist/bin.js');
  const node = { binary: process.execPath, install: 'Node.js 20' };
  const result = await runProcess(node, [tsNode, path.join(worktree, 'bdda', 'cli.ts'), ...args], {
    cwd: worktree,
    output: 'inherit',
    env: { ...process.env, BDDA_ROOT: worktree, BDDA_REPO: worktree, TS_NODE_TRANSPILE_ONLY: '1', [DEPLOY_REF_VARIABLE]: ref },
  });
  if (result.code !== 0) {
    throw new BddaError(
      `\`bdda ${args.join(' ')}\` of ${ref}, run in its worktree, failed (${result.signal ?? `exit ${result.code}`}); its output is above.`,
      // The ref's bdda exits 130 when interrupted; so does this run.
      { exitCode: result.code === INTERRUPTED_EXIT_CODE ? INTERRUPTED_EXIT_CODE : 1 },
    );
  }
}
