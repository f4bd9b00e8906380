/**
 * Real git for CI tests: a bare repository as the remote, seeded with a copy of the shipped
 * environments, and clones of it as the CI workspace and as a person.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './scratch';

const PERSON = { name: 'Pat Person', email: 'pat@example.com' };

/** `git <args>` in `cwd` as the person; stdout without its final newline. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', `user.name=${PERSON.name}`, '-c', `user.email=${PERSON.email}`, '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  }).replace(/\n$/, '');
}

export interface GitSandbox {
  readonly dir: string;
  /** The bare remote. */
  readonly remote: string;
  /** Clones `branch` of the remote into `<dir>/<name>`. */
  clone(name: string, branch: string): string;
  /** Commits `files` (path → content) in `clone` as the person and pushes the branch. */
  commitAndPush(clone: string, files: Record<string, string>, message: string): string;
  remove(): void;
}

/** A bare remote whose `main` holds environments/, .gitignore and a README, and a branch `feature/x` off it. */
export function makeGitSandbox(): GitSandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-git-'));
  const remote = path.join(dir, 'remote.git');
  git(dir, 'init', '--quiet', '--bare', remote);
  const seed = path.join(dir, 'seed');
  git(dir, 'init', '--quiet', seed);
  fs.cpSync(path.join(REPO_ROOT, 'environments'), path.join(seed, 'environments'), { recursive: true, filter: (src) => !/changes\.(txt|json)$/.test(src) });
  fs.writeFileSync(path.join(seed, '.gitignore'), 'build/\n.bdda/\n');
  fs.writeFileSync(path.join(seed, 'README.md'), '# infrastructure\n');
  git(seed, 'add', '-A');
  git(seed, 'commit', '--quiet', '-m', 'the environments');
  git(seed, 'push', '--quiet', remote, 'HEAD:refs/heads/main', 'HEAD:refs/heads/feature/x');
  const clone = (name: string, branch: string) => {
    const target = path.join(dir, name);
    git(dir, 'clone', '--quiet', '--branch', branch, remote, target);
    return target;
  };
  return {
    dir,
    remote,
    clone,
    commitAndPush(cloneDir, files, message) {
      git(cloneDir, 'pull', '--quiet', '--rebase');
      for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(cloneDir, file), content);
      git(cloneDir, 'add', '-A');
      git(cloneDir, 'commit', '--quiet', '-m', message);
      git(cloneDir, 'push', '--quiet');
      return git(cloneDir, 'rev-parse', 'HEAD');
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
