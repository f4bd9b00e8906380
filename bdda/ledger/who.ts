/**
 * Who runs a command, and from which commit: what the ledger writes into claims and deployment
 * records. Git is asked with async calls so that `status` can ask about many environments at once.
 */
import { execFile } from 'node:child_process';
import * as os from 'node:os';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** CI systems' variables naming the person who started the job, in the order they are tried. */
const CI_ACTOR_VARIABLES = ['GITHUB_ACTOR', 'GITLAB_USER_LOGIN', 'BITBUCKET_STEP_TRIGGERER_UUID', 'bamboo_ManualBuildTriggerReason_userName'] as const;

/**
 * `BDDA_USER`, else the CI actor, else git's `user.email` (or `user.name`) of `root`, else
 * `user@host`.
 */
export async function whoAmI(root: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const explicit = env.BDDA_USER?.trim();
  if (explicit) return explicit;
  for (const name of CI_ACTOR_VARIABLES) {
    const value = env[name]?.trim();
    if (value) return value;
  }
  for (const key of ['user.email', 'user.name']) {
    const value = (await git(root, ['config', '--get', key]))?.trim();
    if (value) return value;
  }
  return `${os.userInfo().username}@${os.hostname()}`;
}

/** The commit a run deploys from. */
export interface GitSource {
  /** The full commit sha; `unknown` outside a git repository. */
  readonly sha: string;
  /** The branch, `HEAD` when detached; `unknown` outside a git repository. */
  readonly branch: string;
  /** Whether the working tree had no uncommitted changes. */
  readonly clean: boolean;
}

export async function gitSource(root: string): Promise<GitSource> {
  const [sha, branch, status] = await Promise.all([
    git(root, ['rev-parse', 'HEAD']),
    git(root, ['rev-parse', '--abbrev-ref', 'HEAD']),
    git(root, ['status', '--porcelain']),
  ]);
  return { sha: sha?.trim() || 'unknown', branch: branch?.trim() || 'unknown', clean: status !== undefined && status.trim() === '' };
}

/** The current branch of `root`, or undefined outside a git repository. */
export async function currentBranch(root: string): Promise<string | undefined> {
  return (await git(root, ['rev-parse', '--abbrev-ref', 'HEAD']))?.trim() || undefined;
}

/** `git <args>` in `cwd`: its stdout, or undefined when git fails (not a repository, unknown ref). */
export async function git(cwd: string, args: readonly string[]): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('git', args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch {
    return undefined;
  }
}
