/**
 * Every git call bdda makes, through the `git` CLI that every CI image has: CI's commits and
 * pushes, the guards' clean-tree and branch checks, the ledger's commit and author, sync's
 * worktree. Each call is one git command whose exit code and stderr the caller classifies (a
 * rejected push is retried, no push rights is an error), which a wrapper library would only hide.
 *
 * CI and the guards call git synchronously; the ledger asks with `output`, asynchronously, so that
 * `status` can ask about many environments at once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BddaError } from '../../config/errors';
import { type Program, runProcess, runProcessSync } from './process';

const GIT: Program = { binary: 'git', install: 'git' };

export interface GitResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** An identity for commits: `git -c user.name=… -c user.email=…`. */
export interface GitIdentity {
  readonly name: string;
  readonly email: string;
}

export class Git {
  constructor(
    /** The working tree git runs in. */
    public readonly cwd: string,
  ) {}

  /** Runs git; never throws on a non-zero exit. */
  tryRun(args: readonly string[], env: Readonly<Record<string, string>> = {}): GitResult {
    const result = runProcessSync(GIT, args, { cwd: this.cwd, env: gitEnv(env) });
    return { status: result.code, stdout: result.stdout, stderr: result.stderr };
  }

  /**
   * Runs git without blocking: its stdout, or undefined when git fails (not a repository, an
   * unknown ref) or cannot be run. For what is only reported, never relied on.
   */
  async output(args: readonly string[]): Promise<string | undefined> {
    try {
      const result = await runProcess(GIT, args, { cwd: this.cwd, env: gitEnv(), onInterrupt: 'finish' });
      return result.code === 0 ? result.stdout : undefined;
    } catch {
      return undefined;
    }
  }

  /** Runs git and returns stdout without its final newline; throws a BddaError naming the command. */
  run(args: readonly string[], what: string, env: Readonly<Record<string, string>> = {}): string {
    const result = this.tryRun(args, env);
    if (result.status !== 0) {
      throw new BddaError(`git ${args.join(' ')} failed in ${this.cwd} while ${what}: ${firstLines(result.stderr || result.stdout)}`);
    }
    return result.stdout.replace(/\n$/, '');
  }

  /** The branch HEAD is on, or undefined when HEAD is detached. */
  currentBranch(): string | undefined {
    const result = this.tryRun(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    return result.status === 0 ? result.stdout.trim() : undefined;
  }

  head(): string {
    return this.run(['rev-parse', 'HEAD'], 'reading the commit HEAD points at');
  }

  /** Subject and author e-mail of a commit. */
  commitInfo(rev: string): { subject: string; email: string } {
    const [subject, email] = this.run(['log', '-1', '--format=%s%x00%ae', rev], `reading commit ${rev}`).split('\0');
    return { subject, email };
  }

  /** `git status --porcelain` entries: each path with its two-letter status. */
  status(pathspecs: readonly string[] = []): Array<{ code: string; path: string }> {
    const out = this.run(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...pathspecs], 'reading the working tree');
    const entries: Array<{ code: string; path: string }> = [];
    const fields = out.split('\0').filter(Boolean);
    for (let i = 0; i < fields.length; i++) {
      const code = fields[i].slice(0, 2);
      entries.push({ code, path: fields[i].slice(3) });
      if (code.startsWith('R') || code.startsWith('C')) i++; // the rename's source follows
    }
    return entries;
  }

  /** Commits between `from` (exclusive) and `to`, newest first. */
  commitsBetween(from: string, to: string): string[] {
    const out = this.run(['rev-list', `${from}..${to}`], `listing the commits between ${from} and ${to}`);
    return out ? out.split('\n') : [];
  }

  /** Paths a commit changed. */
  changedPaths(rev: string): string[] {
    const out = this.run(['diff-tree', '--no-commit-id', '--name-only', '-r', '-z', '--root', rev], `reading the files commit ${rev} changed`);
    return out.split('\0').filter(Boolean);
  }

  /** Commits exactly `paths` (added, changed or removed) as `identity`. */
  commit(paths: readonly string[], message: string, identity: GitIdentity): string {
    this.run(['add', '--all', '--', ...paths], 'staging the diff files');
    const env = { GIT_AUTHOR_NAME: identity.name, GIT_AUTHOR_EMAIL: identity.email, GIT_COMMITTER_NAME: identity.name, GIT_COMMITTER_EMAIL: identity.email };
    this.run(['commit', '--quiet', '--no-verify', '-m', message, '--', ...paths], 'committing the diff files', env);
    return this.head();
  }
}

// No prompt for credentials: CI has no terminal, and a prompt would hang the job.
function gitEnv(env: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...env };
}

function firstLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(0, n).join(' ').replace(/\s+/g, ' ');
}

/** The git checkout holding `root`, and a function giving a file's path as git shows it (from the checkout's top). */
export function checkoutOf(root: string): { git: Git; gitPath: (file: string) => string } {
  const top = new Git(root).run(['rev-parse', '--show-toplevel'], `finding the git checkout of ${root}`);
  const gitPath = (file: string) =>
    path
      .relative(top, path.join(fs.realpathSync(path.dirname(file)), path.basename(file)))
      .split(path.sep)
      .join('/');
  return { git: new Git(top), gitPath };
}
