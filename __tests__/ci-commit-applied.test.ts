/**
 * `npm run ci -- commit-applied` and the bot's push with real git and no terraform: a bare
 * repository is the remote, one clone is the CI workspace after an apply (BDDA_ROOT), another is a
 * person or another CI job pushing to the same branch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pushWithRetries } from '../bdda/ci/push';
import { Git } from '../bdda/support/git';
import { captureConsole, restoreEnv, runCli } from './support/cli-harness';
import { git, type GitSandbox, makeGitSandbox } from './support/git-remote';

const BOT = { name: 'bdda-bot', email: 'bdda-bot@users.noreply.github.com' };
const DEV2 = 'environments/dev/dev2';
const DEV2_DIFF = [`${DEV2}/changes.json`, `${DEV2}/changes.txt`];
// A CI variable of the machine running the tests must not name the branch.
const CI_VARS = ['GITHUB_HEAD_REF', 'GITHUB_REF_NAME', 'GITHUB_SHA', 'CI_COMMIT_REF_NAME', 'CI_COMMIT_SHA', 'BITBUCKET_BRANCH', 'BITBUCKET_COMMIT'];
const saved = Object.fromEntries(['BDDA_ROOT', ...CI_VARS].map((v) => [v, process.env[v]]));

const captured = captureConsole();
let box: GitSandbox;

beforeEach(() => {
  for (const v of CI_VARS) delete process.env[v];
  box = makeGitSandbox();
});

afterEach(() => {
  box.remove();
  for (const [name, value] of Object.entries(saved)) restoreEnv(name, value);
});

const remoteHead = () => git(box.remote, 'rev-parse', 'refs/heads/feature/x');
const touched = (rev: string) => git(box.remote, 'diff-tree', '--no-commit-id', '--name-only', '-r', rev).split('\n').sort();
const diffFiles = (label: string) => ({ [`${DEV2}/changes.txt`]: `FLAG: ${label}\n`, [`${DEV2}/changes.json`]: `{"label":"${label}"}\n` });

/** A CI clone of the branch where the reviewed diff of dev2 was committed, and apply has since removed it. */
function appliedCheckout(): string {
  const person = box.clone('person', 'feature/x');
  box.commitAndPush(person, diffFiles('reviewed'), 'bdda: diff of dev/dev2 [skip ci]');
  const ci = box.clone('ci', 'feature/x');
  for (const file of DEV2_DIFF) fs.rmSync(path.join(ci, file));
  process.env.BDDA_ROOT = ci;
  return ci;
}

test('commit-applied pushes one bot commit that removes exactly the deployed diff files', async () => {
  const ci = appliedCheckout();
  const before = remoteHead();
  const code = await runCli(captured, 'ci', 'commit-applied', '--env', 'dev2');
  expect(captured.errors).toEqual([]);
  expect(code).toBe(0);
  const after = remoteHead();
  expect(git(box.remote, 'rev-parse', `${after}^`)).toBe(before);
  expect(touched(after)).toEqual(DEV2_DIFF);
  expect(git(box.remote, 'log', '-1', '--format=%ae %s', after)).toBe(`${BOT.email} bdda: deployed dev/dev2 at ${before.slice(0, 7)} [skip ci]`);
  expect(git(box.remote, 'ls-tree', '--name-only', after, `${DEV2}/`)).not.toContain('changes.txt');
  expect(git(ci, 'status', '--porcelain')).toBe('');
});

test('commit-applied also commits the removal of the imports the apply made', async () => {
  const person = box.clone('person', 'feature/x');
  box.commitAndPush(person, { ...diffFiles('reviewed'), [`${DEV2}/imports.json`]: '{"flag":[{"to":"aws_vpc.vpc","id":"vpc-0abc"}]}\n' }, 'adopt');
  const ci = box.clone('ci', 'feature/x');
  for (const file of [...DEV2_DIFF, `${DEV2}/imports.json`]) fs.rmSync(path.join(ci, file));
  process.env.BDDA_ROOT = ci;
  expect(await runCli(captured, 'ci', 'commit-applied', '--env', 'dev2')).toBe(0);
  expect(touched(remoteHead())).toEqual([...DEV2_DIFF, `${DEV2}/imports.json`]);
  expect(git(ci, 'status', '--porcelain')).toBe('');
});

test('commit-applied with the diff files as committed pushes nothing and exits 0', async () => {
  const ci = box.clone('ci', 'feature/x');
  process.env.BDDA_ROOT = ci;
  const before = remoteHead();
  const code = await runCli(captured, 'ci', 'commit-applied', '--env', 'dev2');
  expect(code).toBe(0);
  expect(captured.logs.join('\n')).toContain('nothing to commit');
  expect(remoteHead()).toBe(before);
});

test('commit-applied refuses a tree with changes other than diff files, committing nothing', async () => {
  const ci = appliedCheckout();
  fs.appendFileSync(path.join(ci, 'README.md'), 'edited on the runner\n');
  const before = remoteHead();
  const code = await runCli(captured, 'ci', 'commit-applied', '--env', 'dev2');
  expect(code).toBe(1);
  expect(captured.errors.join('\n')).toContain('README.md');
  expect(remoteHead()).toBe(before);
  expect(git(ci, 'rev-parse', 'HEAD')).toBe(before);
});

test("commit-applied rebases the removal over a person's newer commit and pushes", async () => {
  const ci = appliedCheckout();
  const person = path.join(box.dir, 'person');
  const theirs = box.commitAndPush(person, { 'README.md': '# infrastructure\n\nRead the diffs.\n' }, 'docs: read the diffs');
  const code = await runCli(captured, 'ci', 'commit-applied', '--env', 'dev2');
  expect(captured.errors).toEqual([]);
  expect(code).toBe(0);
  const after = remoteHead();
  expect(git(box.remote, 'rev-parse', `${after}^`)).toBe(theirs);
  expect(touched(after)).toEqual(DEV2_DIFF);
  expect(git(ci, 'status', '--porcelain')).toBe('');
});

test('commit-applied whose rebase conflicts with a newer diff of the same environment says so, pushes nothing and keeps the removal', async () => {
  const ci = appliedCheckout();
  const other = box.commitAndPush(path.join(box.dir, 'person'), diffFiles('newer'), 'bdda: diff of dev/dev2 [skip ci]');
  const code = await runCli(captured, 'ci', 'commit-applied', '--env', 'dev2');
  expect(code).toBe(1);
  const error = captured.errors.join('\n');
  expect(error).toContain('conflicts');
  expect(error).toContain('Nothing was pushed');
  expect(error).toContain('plan dev/dev2 again');
  expect(remoteHead()).toBe(other);
  // The checkout is back where apply left it: on its commit, not mid-rebase, the removal still there to commit.
  expect(fs.existsSync(path.join(ci, '.git', 'rebase-merge'))).toBe(false);
  expect(git(ci, 'log', '-1', '--format=%s')).toBe('bdda: diff of dev/dev2 [skip ci]');
  expect(git(ci, 'status', '--porcelain', '--', `${DEV2}/`).split('\n').sort()).toEqual(DEV2_DIFF.map((f) => `D  ${f}`));
});

test("the bot's push whose rebase conflicts on the diff files throws, pushes nothing and leaves the new diff in the working tree", () => {
  const ci = box.clone('ci', 'feature/x');
  const start = git(ci, 'rev-parse', 'HEAD');
  box.commitAndPush(box.clone('person', 'feature/x'), diffFiles('another build'), 'bdda: diff of dev/dev2 [skip ci]');
  const theirs = remoteHead();
  for (const [file, content] of Object.entries(diffFiles('this build'))) fs.writeFileSync(path.join(ci, file), content);
  const repo = new Git(ci);
  repo.commit(DEV2_DIFF, 'bdda: diff of dev/dev2 [skip ci]', BOT);
  const said: string[] = [];
  const push = () =>
    pushWithRetries(repo, {
      remote: 'origin',
      branch: 'feature/x',
      start,
      bot: BOT,
      attempts: 3,
      makesStale: () => false,
      nextStep: 'Run the build again.',
      say: (m) => said.push(m),
    });
  expect(push).toThrow(/Rebasing the diff commit onto origin\/feature\/x \([0-9a-f]{7}\) conflicts.*Nothing was pushed/);
  expect(said.join('\n')).toContain('push rejected');
  expect(remoteHead()).toBe(theirs);
  expect(git(ci, 'rev-parse', 'HEAD')).toBe(start);
  expect(fs.existsSync(path.join(ci, '.git', 'rebase-merge'))).toBe(false);
  expect(fs.readFileSync(path.join(ci, `${DEV2}/changes.txt`), 'utf8')).toBe('FLAG: this build\n');
  expect(fs.readFileSync(path.join(ci, `${DEV2}/changes.json`), 'utf8')).toBe('{"label":"this build"}\n');
});
