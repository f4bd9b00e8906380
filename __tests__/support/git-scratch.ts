/** Scratch roots that are git repositories, for the ledger's records (sha, branch) and sync's worktrees. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeScratch } from './scratch';

/** `git <args>` in `cwd` as a fixed test identity; its stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=bdda test', '-c', 'user.email=bdda-test@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A scratch copy of `environments/` committed on `main`, ignoring build/ and .bdda/ as the repository does. */
export function makeGitScratch(): string {
  const root = makeScratch();
  fs.writeFileSync(path.join(root, '.gitignore'), 'build/\n.bdda/\n');
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'environments');
  return root;
}

/** Commits everything in the scratch root; returns the new sha. */
export function commitAll(root: string, message: string): string {
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', message);
  return git(root, 'rev-parse', 'HEAD').trim();
}
