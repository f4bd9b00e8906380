/**
 * Who runs a command, and from which commit: what the ledger writes into claims and deployment
 * records.
 */
import * as os from 'node:os';
import { Git } from '../support/git';

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
    const value = (await new Git(root).output(['config', '--get', key]))?.trim();
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
  const git = new Git(root);
  const [sha, status] = await Promise.all([git.output(['rev-parse', 'HEAD']), git.output(['status', '--porcelain'])]);
  if (!sha?.trim()) return { sha: 'unknown', branch: 'unknown', clean: false };
  return { sha: sha.trim(), branch: git.currentBranch() ?? 'HEAD', clean: status !== undefined && status.trim() === '' };
}
