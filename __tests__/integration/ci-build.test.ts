/**
 * `npm run ci -- build` with real git: a bare repository is the remote, one clone is the CI
 * workspace (BDDA_ROOT, planning against a private emulator), another is a person pushing. The
 * tests run in order on one branch, as successive builds of a CI runner would.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ciBuild } from '../../bdda/ci/build';
import { buildRef } from '../../bdda/ci/ci-vars';
import { Git } from '../../bdda/support/git';
import { emulatorEndpoint, stopEmulator } from '../../bdda/engines/emulator';
import { StateBackend } from '../../bdda/state/state-backend';
import { silentProgress } from '../../bdda/support/progress';
import { workspace } from '../../bdda/support/workspace';
import { captureConsole, restoreEnv, runCli } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { git, type GitSandbox, makeGitSandbox } from '../support/git-remote';

const PORT = testEmulatorPort(25700);
const BOT_EMAIL = 'bdda-bot@users.noreply.github.com';
const DEV2_DIFF = ['environments/dev/dev2/changes.json', 'environments/dev/dev2/changes.txt'];

let box: GitSandbox;
let ci: string;
let person: string;
const captured = captureConsole();
const saved = { root: process.env.BDDA_ROOT, port: process.env.BDDA_EMULATOR_PORT };
// A CI variable of the machine running the tests must not name the branch for a detached HEAD.
const CI_VARS = [
  'GITHUB_HEAD_REF',
  'GITHUB_REF_NAME',
  'GITHUB_SHA',
  'CI_COMMIT_REF_NAME',
  'CI_COMMIT_SHA',
  'BITBUCKET_BRANCH',
  'BITBUCKET_COMMIT',
  'bamboo_planRepository_branchName',
  'bamboo_planRepository_revision',
  'GITHUB_STEP_SUMMARY',
];
const savedVars = Object.fromEntries(CI_VARS.map((v) => [v, process.env[v]]));

beforeAll(() => {
  for (const v of CI_VARS) delete process.env[v];
  box = makeGitSandbox();
  ci = box.clone('ci', 'feature/x');
  person = box.clone('person', 'feature/x');
  process.env.BDDA_ROOT = ci;
  process.env.BDDA_EMULATOR_PORT = String(PORT);
});

afterAll(async () => {
  try {
    if (ci) await stopEmulator(path.join(ci, '.bdda', 'emulator'));
  } finally {
    box?.remove();
    restoreEnv('BDDA_ROOT', saved.root);
    restoreEnv('BDDA_EMULATOR_PORT', saved.port);
    for (const v of CI_VARS) restoreEnv(v, savedVars[v]);
  }
});

const remoteHead = (branch = 'feature/x') => git(box.remote, 'rev-parse', `refs/heads/${branch}`);
const subject = (rev: string) => git(box.remote, 'log', '-1', '--format=%s', rev);
const author = (rev: string) => git(box.remote, 'log', '-1', '--format=%ae', rev);
const touched = (rev: string) => git(box.remote, 'diff-tree', '--no-commit-id', '--name-only', '-r', rev).split('\n').sort();
const parent = (rev: string) => git(box.remote, 'rev-parse', `${rev}^`);
/** The CI runner's checkout of the branch's newest commit, as a new build starts. */
const ciPull = () => git(ci, 'pull', '--quiet', '--ff-only');
const appendToFile = (clone: string, rel: string, text: string) => ({ [rel]: `${fs.readFileSync(path.join(clone, rel), 'utf8')}${text}` });
const replaceIn = (clone: string, rel: string, from: string, to: string) => {
  const before = fs.readFileSync(path.join(clone, rel), 'utf8');
  if (!before.includes(from)) throw new Error(`${rel} does not contain ${from}`);
  return { [rel]: before.replace(from, to) };
};

test('ci build on a branch pushes exactly one commit by the bot, touching only the diff files of dev/dev2', async () => {
  const before = remoteHead();
  const code = await runCli(captured, 'ci', 'build', '--env', 'dev2');
  expect(captured.errors).toEqual([]);
  expect(code).toBe(0);
  const after = remoteHead();
  expect(git(box.remote, 'rev-list', `${before}..${after}`).split('\n')).toHaveLength(1);
  expect(parent(after)).toBe(before);
  expect(touched(after)).toEqual(DEV2_DIFF);
  expect(subject(after)).toBe(`bdda: diff of dev/dev2 at ${before.slice(0, 7)} [skip ci]`);
  expect(author(after)).toBe(BOT_EMAIL);
  const summary = fs.readFileSync(path.join(ci, '.bdda', 'ci', 'summary.md'), 'utf8');
  expect(summary).toContain('| dev/dev2 | FLAG |');
  expect(summary).toContain('`aws_vpc.');
});

test("a build of the bot's own commit does nothing: no plan, no commit", async () => {
  const before = remoteHead();
  expect(git(ci, 'rev-parse', 'HEAD')).toBe(before);
  const result = await ciBuild(workspace(), { env: 'dev2' }, silentProgress);
  expect(result.outcome).toBe('bot-head');
  expect(result.planSeconds).toBe(0);
  expect(remoteHead()).toBe(before);
});

test('a second build with no change in the diff pushes nothing and exits 0', async () => {
  const personCommit = box.commitAndPush(person, { 'README.md': '# infrastructure\n\nRead the diffs.\n' }, 'docs: read the diffs');
  ciPull();
  const result = await ciBuild(workspace(), { env: 'dev2' }, silentProgress);
  expect(result.outcome).toBe('no-change');
  expect(result.exitCode).toBe(0);
  expect(remoteHead()).toBe(personCommit);
  expect(git(ci, 'status', '--porcelain')).toBe('');
});

test("a person's commit pushed between the plan and the push stays, with the bot commit rebased on top of it", async () => {
  const start = box.commitAndPush(person, appendToFile(person, 'environments/dev/dev2/env.yaml', '\ntags:\n  purpose: ci-test\n'), 'dev2: a purpose tag');
  ciPull();
  let between = '';
  const result = await ciBuild(
    workspace(),
    {
      env: 'dev2',
      afterPlan: () => {
        between = box.commitAndPush(person, { 'README.md': '# infrastructure\n\nDiffs are committed by CI.\n' }, 'docs: who commits diffs');
      },
    },
    silentProgress,
  );
  expect(result.outcome).toBe('pushed');
  const head = remoteHead();
  expect(head).toBe(result.commit);
  expect(parent(head)).toBe(between);
  expect(parent(between)).toBe(start);
  expect(touched(head)).toEqual(DEV2_DIFF);
  expect(subject(head)).toBe(`bdda: diff of dev/dev2 at ${start.slice(0, 7)} [skip ci]`);
  expect(git(box.remote, 'show', `${head}:environments/dev/dev2/changes.txt`)).toContain('ci-test');
});

test('a newer commit of a person that changes what the plan reads: nothing is pushed, exit 0', async () => {
  box.commitAndPush(person, replaceIn(person, 'environments/dev/dev2/env.yaml', 'purpose: ci-test', 'purpose: ci-test-2'), 'dev2: another purpose');
  ciPull();
  let newer = '';
  const result = await ciBuild(
    workspace(),
    {
      env: 'dev2',
      afterPlan: () => {
        newer = box.commitAndPush(person, appendToFile(person, 'environments/dev/env.yaml', '\n# dev tier: touched by a person\n'), 'dev: a comment');
      },
    },
    {
      ...silentProgress,
      step: (_env, _layer, message) => void captured.logs.push(message),
    },
  );
  expect(result.outcome).toBe('superseded');
  expect(result.exitCode).toBe(0);
  expect(remoteHead()).toBe(newer);
  expect(captured.logs.join('\n')).toMatch(/moved on .* nothing was pushed/);
  // The workspace holds no bot commit that a later push could carry.
  expect(git(ci, 'log', '-1', '--format=%ae')).toBe('pat@example.com');
});

test('without push rights the build fails naming the push, and nothing is committed', async () => {
  box.commitAndPush(person, replaceIn(person, 'environments/dev/dev2/env.yaml', 'purpose: ci-test-2', 'purpose: ci-test-3'), 'dev2: a third purpose');
  ciPull();
  const before = remoteHead();
  const hook = path.join(box.remote, 'hooks', 'pre-receive');
  fs.writeFileSync(hook, '#!/bin/sh\necho "permission denied to bdda-bot" >&2\nexit 1\n', { mode: 0o755 });
  try {
    const code = await runCli(captured, 'ci', 'build', '--env', 'dev2');
    expect(code).toBe(1);
    expect(captured.errors.join('\n')).toMatch(/git push to origin\/feature\/x failed: .*permission denied to bdda-bot.*push rights/s);
  } finally {
    fs.rmSync(hook);
  }
  expect(remoteHead()).toBe(before);
  expect(git(ci, 'log', '-1', '--format=%ae')).toBe('pat@example.com');
});

test('a dirty tree other than the diff files fails before planning, naming the file', async () => {
  fs.writeFileSync(path.join(ci, 'notes.txt'), 'mine\n');
  try {
    const code = await runCli(captured, 'ci', 'build', '--env', 'dev2');
    expect(code).toBe(1);
    expect(captured.errors.join('\n')).toMatch(/changes other than diff files:\n\s+\?\? notes\.txt\n.*Nothing was committed/s);
  } finally {
    fs.rmSync(path.join(ci, 'notes.txt'));
  }
});

test('a detached HEAD fails without CI variables and takes the branch from GITHUB_REF_NAME with them', async () => {
  git(ci, 'checkout', '--quiet', '--detach');
  try {
    expect(await runCli(captured, 'ci', 'build', '--env', 'dev2')).toBe(1);
    expect(captured.errors.join('\n')).toMatch(
      /HEAD is detached .* no CI variable names the branch \(GITHUB_HEAD_REF, GITHUB_REF_NAME, CI_COMMIT_REF_NAME, BITBUCKET_BRANCH, bamboo_planRepository_branchName\)/,
    );
    const head = git(ci, 'rev-parse', 'HEAD');
    expect(buildRef(new Git(ci), { GITHUB_REF_NAME: 'feature/x', GITHUB_SHA: head })).toEqual({ branch: 'feature/x', commit: head, source: 'GITHUB_REF_NAME' });
    expect(buildRef(new Git(ci), { CI_COMMIT_REF_NAME: 'feature/y', CI_COMMIT_SHA: head })).toEqual({
      branch: 'feature/y',
      commit: head,
      source: 'CI_COMMIT_REF_NAME',
    });
    expect(buildRef(new Git(ci), { bamboo_planRepository_branchName: 'feature/z', bamboo_planRepository_revision: head }).branch).toBe('feature/z');
  } finally {
    git(ci, 'checkout', '--quiet', 'feature/x');
  }
});

test('without --env, a branch build plans the environment claimed for the branch and commits only its diff', async () => {
  const backend = new StateBackend({ bucket: 'acme-bdda-dev-state', region: 'us-east-1', endpoint: emulatorEndpoint(PORT) });
  const now = Date.now();
  const lease = { who: 'pat@example.com', branch: 'feature/x', since: new Date(now).toISOString(), until: new Date(now + 3_600_000).toISOString() };
  try {
    await backend.putObject('dev/dev3/claim.json', JSON.stringify(lease));
  } finally {
    backend.destroy();
  }
  const start = remoteHead();
  const result = await ciBuild(workspace(), {}, silentProgress);
  expect(result.environments).toEqual(['dev/dev3']);
  expect(result.outcome).toBe('pushed');
  expect(parent(remoteHead())).toBe(start);
  expect(touched(remoteHead())).toEqual(['environments/dev/dev3/changes.json', 'environments/dev/dev3/changes.txt']);
});

test('on main, ci build plans every leaf of the tiers in planOnMain and commits their diffs in one commit', async () => {
  const main = box.clone('person-main', 'main');
  const start = box.commitAndPush(main, { 'environments/ci.yaml': 'mainBranch: main\nplanOnMain: [dev]\n' }, 'ci: main plans the dev tier');
  git(ci, 'reset', '--quiet', '--hard'); // the diff the failed push left
  git(ci, 'checkout', '--quiet', 'main');
  ciPull();
  const result = await ciBuild(workspace(), {}, silentProgress);
  expect(result.outcome).toBe('pushed');
  expect(result.environments).toEqual(['dev/dev1', 'dev/dev2', 'dev/dev3']);
  const head = remoteHead('main');
  expect(parent(head)).toBe(start);
  expect(touched(head)).toEqual(['dev1', 'dev2', 'dev3'].flatMap((e) => [`environments/dev/${e}/changes.json`, `environments/dev/${e}/changes.txt`]));
  expect(subject(head)).toBe(`bdda: diff of dev/dev1, dev/dev2, dev/dev3 at ${start.slice(0, 7)} [skip ci]`);
});
