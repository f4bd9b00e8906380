/**
 * Pushing a bot commit to a branch that others push to as well: other CI jobs (drift shards, the
 * builds of staging and prod) and people.
 */
import { BddaError } from '../../config/errors';
import type { Git, GitIdentity } from '../support/git';

/** A commit the bot made: its builds must not build again. */
export function isBotCommit(info: { subject: string; email: string }, bot: GitIdentity): boolean {
  return info.email === bot.email || /^bdda: .*\[skip ci\]$/.test(info.subject);
}

export interface PushPlan {
  readonly remote: string;
  readonly branch: string;
  /** The commit the build planned. */
  readonly start: string;
  readonly bot: GitIdentity;
  readonly attempts: number;
  /** Whether a person's commit changing this file makes the pushed commit stale (then nothing is pushed). */
  readonly makesStale: (file: string) => boolean;
  /** What to do when the push cannot be made (a conflicting rebase, a branch that keeps moving). */
  readonly nextStep: string;
  readonly say: (message: string) => void;
}

/**
 * Pushes HEAD (the bot commit) to the branch. A rejected push fetches: commits of the bot or that
 * change nothing the plan reads are rebased under ours and the push is tried again; a person's
 * commit that does change an input means our diff is of an older commit, so nothing is pushed.
 * Returns the pushed commit, or undefined when superseded. Failing, the local bot commit is undone.
 */
export function pushWithRetries(git: Git, p: PushPlan): string | undefined {
  const undo = () => git.tryRun(['reset', '--soft', 'HEAD~1']);
  const identityEnv = { GIT_COMMITTER_NAME: p.bot.name, GIT_COMMITTER_EMAIL: p.bot.email };
  for (let attempt = 1; attempt <= p.attempts; attempt++) {
    const push = git.tryRun(['push', '--porcelain', p.remote, `HEAD:refs/heads/${p.branch}`]);
    if (push.status === 0) return git.head();
    const text = `${push.stdout}\n${push.stderr}`;
    if (!/\[rejected\]|non-fast-forward|fetch first|\(stale info\)/.test(text)) {
      undo();
      throw new BddaError(
        `git push to ${p.remote}/${p.branch} failed: ${text.trim().split('\n').slice(-4).join(' ')}. ` +
          'The CI job needs push rights to the branch (on GitHub Actions: `permissions: contents: write`, and no branch rule that blocks the bot). Nothing was pushed; the bot commit was undone.',
      );
    }
    const fetch = git.tryRun(['fetch', '--quiet', p.remote, `refs/heads/${p.branch}`]);
    if (fetch.status !== 0) {
      undo();
      throw new BddaError(
        `git fetch ${p.remote} ${p.branch} failed after a rejected push: ${fetch.stderr.trim()}. Nothing was pushed; the bot commit was undone.`,
      );
    }
    const theirs = git.run(['rev-parse', 'FETCH_HEAD'], 'reading the fetched branch');
    const newer = git.commitsBetween(p.start, theirs);
    const stale = newer.find((c) => !isBotCommit(git.commitInfo(c), p.bot) && git.changedPaths(c).some(p.makesStale));
    if (stale) {
      undo();
      p.say(
        `${p.branch} moved on to ${theirs.slice(0, 7)} since this build of ${p.start.slice(0, 7)} began, with ${stale.slice(0, 7)} ("${git.commitInfo(stale).subject}") changing what the plan reads; ` +
          'this diff would describe an older commit, so nothing was pushed. The build of the newer commit pushes its diff.',
      );
      return undefined;
    }
    p.say(
      `push rejected: ${p.branch} has ${newer.length} newer commit(s) that do not change the plan; rebasing the diff commit onto ${theirs.slice(0, 7)} (attempt ${attempt} of ${p.attempts})`,
    );
    const rebase = git.tryRun(['rebase', '--quiet', theirs], identityEnv);
    if (rebase.status !== 0) {
      git.tryRun(['rebase', '--abort']);
      undo();
      throw new BddaError(
        `Rebasing the diff commit onto ${p.remote}/${p.branch} (${theirs.slice(0, 7)}) conflicts: another commit changed the same diff files (${rebase.stdout.trim().split('\n').slice(-2).join(' ')}). ` +
          `Nothing was pushed. ${p.nextStep}`,
      );
    }
  }
  undo();
  throw new BddaError(`git push to ${p.remote}/${p.branch} was rejected ${p.attempts} times: the branch keeps moving. Nothing was pushed. ${p.nextStep}`);
}
