/**
 * Which branch and commit a build is for. Git knows when HEAD is on a branch; CI systems often
 * check out a detached commit and say the branch in their own variables.
 */
import { BddaError } from '../../config/errors';
import type { Git } from '../support/git';

export interface BuildRef {
  readonly branch: string;
  readonly commit: string;
  /** Where the branch name came from: `git`, or the CI variable that gave it. */
  readonly source: string;
}

/** Each CI system's variables for the branch and the commit, in the order they are asked. */
const CI_VARIABLES: ReadonlyArray<{ readonly ci: string; readonly branch: string; readonly commit: string }> = [
  // GITHUB_HEAD_REF is set (to the PR's branch) only on pull_request events; GITHUB_REF_NAME otherwise.
  { ci: 'GitHub Actions', branch: 'GITHUB_HEAD_REF', commit: 'GITHUB_SHA' },
  { ci: 'GitHub Actions', branch: 'GITHUB_REF_NAME', commit: 'GITHUB_SHA' },
  { ci: 'GitLab CI', branch: 'CI_COMMIT_REF_NAME', commit: 'CI_COMMIT_SHA' },
  { ci: 'Bitbucket Pipelines', branch: 'BITBUCKET_BRANCH', commit: 'BITBUCKET_COMMIT' },
  { ci: 'Bamboo', branch: 'bamboo_planRepository_branchName', commit: 'bamboo_planRepository_revision' },
];

export function buildRef(git: Git, vars: Readonly<Record<string, string | undefined>> = process.env): BuildRef {
  const head = git.head();
  const branch = git.currentBranch();
  if (branch) return { branch, commit: head, source: 'git' };
  const found = CI_VARIABLES.find((v) => vars[v.branch]);
  if (!found) {
    throw new BddaError(
      `HEAD is detached in ${git.cwd} and no CI variable names the branch (${CI_VARIABLES.map((v) => v.branch).join(', ')}), ` +
        'so ci build does not know where to push the diff. Check out the branch (`git checkout <branch>`), or set the variable of your CI. Nothing was committed.',
    );
  }
  const commit = vars[found.commit];
  if (commit && commit !== head) {
    throw new BddaError(
      `HEAD is ${head.slice(0, 7)} but ${found.commit} says the build is for ${commit.slice(0, 7)}; the checkout does not hold the commit the CI built. ` +
        'Check out that commit (a full checkout, not a merge commit) and run again. Nothing was committed.',
    );
  }
  return { branch: vars[found.branch] as string, commit: head, source: found.branch };
}
