/**
 * The guards of a protected environment: off a terminal, `--yes`; a clean git working tree; HEAD
 * on the main branch. Each can be relaxed by the environment's `protection` config.
 */
import type { Environment } from '../../config/load';
import { BddaError } from '../../config/errors';
import { Git } from '../support/git';
import { confirm, type ConfirmOptions, isInteractive, requireYesOffTerminal } from '../support/terminal';
import type { Workspace } from '../support/workspace';

export type GuardOptions = ConfirmOptions;

export async function assertGuards(ws: Workspace, env: Environment, operation: 'apply' | 'destroy', opts: GuardOptions): Promise<void> {
  if (!env.config.protected) return;
  const { protection } = env.config;
  const interactive = isInteractive(opts);
  const file = env.files[env.files.length - 1];
  if (operation === 'destroy' && !protection.allowDestroy) {
    throw new BddaError(
      `${env.path} is protected and its config does not allow destroy (protection.allowDestroy in ${file} or a parent). Nothing was destroyed.`,
    );
  }
  requireYesOffTerminal(opts, `${env.path} is protected: ${operation}`, 'Run it with --yes once the diff has been reviewed.');
  const git = new Git(ws.root);
  const checkout = 'checking the protected environment (it is applied from a git checkout)';
  if (protection.requireCleanTree) {
    const dirty = git.run(['status', '--porcelain'], checkout).trim();
    if (dirty) {
      throw new BddaError(
        `${env.path} is protected and the git working tree is not clean:\n${dirty}\nCommit or stash these changes so that what is applied is what is in git, or set protection.requireCleanTree: false.`,
      );
    }
  }
  if (protection.requireMainBranch) {
    const branch = git.currentBranch();
    if (branch !== protection.mainBranch) {
      throw new BddaError(
        `${env.path} is protected: ${operation} runs from ${protection.mainBranch}, but HEAD is ${branch ? `on "${branch}"` : 'detached'}. Merge the change and run it from ${protection.mainBranch}.`,
      );
    }
  }
  // Last, once every other guard has passed: a person at a terminal confirms by name.
  if (interactive && !opts.yes && operation === 'apply' && !(await confirm(`${env.path} is protected. Type its path to apply: `, env.path))) {
    throw new BddaError(`apply to ${env.path} was not confirmed. Nothing was applied.`);
  }
}
