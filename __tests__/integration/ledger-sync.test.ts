/**
 * `npm run sync` end to end: the real terraform against a private emulator, in a scratch root
 * that is a git repository. An engineer is on a branch that changes dev2's flow-log retention;
 * dev2 is synced with main (deployed as main has it, from a temporary worktree), and then the
 * branch's plan shows exactly the branch's change. The refusals come first and change nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironment } from '../../config/load';
import { emulatorEndpoint, stopEmulator } from '../../bdda/engines/emulator';
import { currentDeployment } from '../../bdda/ledger/records';
import { StateBackend } from '../../bdda/state/state-backend';
import { captureConsole, runCliAs } from '../support/cli-harness';
import { testEmulatorPort } from '../support/emulated';
import { emulatedSuite } from '../support/emulated-suite';
import { commitAll, git } from '../support/git-scratch';
import { editFile, REPO_ROOT, removeScratch, snapshotTree } from '../support/scratch';

const PORT = testEmulatorPort(25730);
const DEV2 = 'dev/dev2';

let mainSha: string;
const suite = emulatedSuite({
  port: PORT,
  env: DEV2,
  git: true,
  restore: ['BDDA_USER'],
  // main stays as it is; the branch keeps flow logs longer.
  prepare: (root) => {
    mainSha = git(root, 'rev-parse', 'HEAD').trim();
    git(root, 'checkout', '-q', '-b', 'feature/longer-flow-logs');
    editFile(root, `environments/${DEV2}/env.yaml`, /^vpc:\n/m, 'vpc:\n  flowLogs:\n    retentionDays: 14\n');
    commitAll(root, 'dev2: keep flow logs for 14 days');
  },
});
const captured = captureConsole();

const runAs = (user: string, expected: number, ...args: string[]) => runCliAs(captured, user, expected, ...args);

const errorText = () => captured.errors.join('\n');
const worktrees = () =>
  git(suite.root, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree ')).length;
const changesTxt = () => path.join(suite.root, 'environments', DEV2, 'changes.txt');

describe('sync refusals change nothing', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a protected environment', ['sync', '--env', 'prod/us1', '--ref', 'main', '--yes'], /prod\/us1 is protected; sync is for engineer environments/],
    ['a ref that does not exist', ['sync', '--env', DEV2, '--ref', 'no-such-branch', '--yes'], /"no-such-branch" is not a commit, branch or tag/],
    ['an unknown environment', ['sync', '--env', 'dev9', '--ref', 'main', '--yes'], /no environment "dev9"/],
    ['no --yes off a terminal', ['sync', '--env', DEV2, '--ref', 'main'], /needs --yes when stdin is not a terminal/],
  ];
  test.each(cases)('%s', async (_name, args, message) => {
    const before = snapshotTree(path.join(suite.root, 'environments'));
    await runAs('alice', 1, ...args);
    expect(errorText()).toMatch(message);
    expect(errorText().trim().split('\n\n')).toHaveLength(1);
    expect(snapshotTree(path.join(suite.root, 'environments'))).toEqual(before);
    expect(worktrees()).toBe(1);
  });

  test("sync of dev2 while bob holds it is refused with bob's name", async () => {
    await runAs('bob', 0, 'claim', '--env', DEV2, '--for', '1h');
    await runAs('alice', 1, 'sync', '--env', DEV2, '--ref', 'main', '--yes');
    expect(errorText()).toContain('claimed by bob');
    expect(worktrees()).toBe(1);
    expect(await currentDeployment(suite.backend, DEV2)).toBeUndefined();
    await runAs('bob', 0, 'claim', '--env', DEV2, '--release');
  });
});

describe('sync dev2 with main, from a branch', () => {
  test("sync --ref main deploys main's dev2, records the deployment with main's sha, and removes its worktree", async () => {
    await runAs('alice', 0, 'sync', '--env', DEV2, '--ref', 'main', '--yes');
    const logs = captured.logs.join('\n');
    const worktree = logs.match(/checked out in (\S+)/)?.[1];
    expect(worktree).toBeDefined();
    expect(fs.existsSync(worktree!)).toBe(false);
    expect(worktrees()).toBe(1);
    // The diff shown was main's: FLAG's first deploy, with main's 7-day retention.
    expect(logs).toMatch(/^FLAG: \d+ to add, 0 to change, 0 to destroy\.$/m);
    expect(logs).toContain('retention_in_days');
    expect(await currentDeployment(suite.backend, DEV2)).toMatchObject({ operation: 'sync', status: 'succeeded', sha: mainSha, branch: 'main', who: 'alice' });
    // The branch's folder is untouched: sync wrote its diffs in the worktree.
    expect(fs.existsSync(changesTxt())).toBe(false);
  });

  test("the branch's plan then shows exactly the branch's change: the log groups' retention 7 -> 14, nothing else", async () => {
    await runAs('alice', 0, 'plan', '--env', DEV2);
    const text = fs.readFileSync(changesTxt(), 'utf8');
    // The retention is the flow logs' (FLAG) and, from the same key, the control plane's (KARR).
    expect(text).toMatch(/^FLAG: 0 to add, 1 to change, 0 to destroy\.$/m);
    // FLAG has a change, so KARR's is a preview against FLAG's planned outputs.
    expect(text).toMatch(/^KARR: 0 to add, 1 to change, 0 to destroy \(preview until FLAG is applied\)\.$/m);
    expect(text).toMatch(/^GOLIATH: no changes\.$/m);
    const changedAttributes = text.split('\n').filter((l) => /^\s+~ \w+\s+=/.test(l));
    expect(changedAttributes).toHaveLength(2);
    for (const line of changedAttributes) expect(line).toMatch(/^\s+~ retention_in_days\s+= 7 -> 14$/);
    expect(text.match(/will be updated in-place/g)).toHaveLength(2);
  });

  test('sync of an environment already matching main says so and applies nothing', async () => {
    fs.rmSync(changesTxt());
    fs.rmSync(path.join(suite.root, 'environments', DEV2, 'changes.json'));
    const before = await currentDeployment(suite.backend, DEV2);
    await runAs('alice', 0, 'sync', '--env', DEV2, '--ref', 'main', '--yes');
    expect(captured.logs.join('\n')).toContain('already matches main');
    expect((await currentDeployment(suite.backend, DEV2))?.key).toBe(before?.key);
    expect(worktrees()).toBe(1);
  });
});

describe("in a checkout of the repository itself, sync deploys with the ref's own code", () => {
  const port = testEmulatorPort(25740);
  let full: string;
  let fullBackend: StateBackend;
  let refSha: string;

  beforeAll(() => {
    // A copy of the repository (code and environments; node_modules comes through a link sync makes).
    full = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-test-full-'));
    for (const entry of [
      'bdda',
      'config',
      'stacks',
      'charts',
      'policies',
      'environments',
      'main.ts',
      'package.json',
      'tsconfig.json',
      'cdktf.json',
      '.gitignore',
    ]) {
      fs.cpSync(path.join(REPO_ROOT, entry), path.join(full, entry), { recursive: true, filter: (src) => !/changes\.(txt|json)$/.test(src) });
    }
    git(full, 'init', '-q', '-b', 'main');
    commitAll(full, 'the repository');
    // main gets a chart change this process's code does not have; the branch stays before it.
    editFile(
      full,
      'charts/goliath.ts',
      'labels: { [MANAGED_BY.key]: MANAGED_BY.value }',
      "labels: { [MANAGED_BY.key]: MANAGED_BY.value, 'bdda.test/built-from': 'main-code' }",
    );
    refSha = commitAll(full, 'main: label every Goliath object');
    git(full, 'checkout', '-q', '-b', 'feature/before-the-label', 'HEAD~1');
    process.env.BDDA_ROOT = full;
    process.env.BDDA_EMULATOR_PORT = String(port);
    const { bucket, region } = loadEnvironment(full, DEV2).config.backend;
    fullBackend = new StateBackend({ bucket, region, endpoint: emulatorEndpoint(port) });
  });

  afterAll(async () => {
    try {
      fullBackend?.destroy();
      if (full) await stopEmulator(path.join(full, '.bdda', 'emulator'));
    } finally {
      if (full) removeScratch(full);
      process.env.BDDA_ROOT = suite.root;
      process.env.BDDA_EMULATOR_PORT = String(PORT);
    }
  });

  test("sync --ref main runs main's bdda in the worktree: main's chart is deployed and recorded with main's sha", async () => {
    expect(fs.readFileSync(path.join(full, 'charts', 'goliath.ts'), 'utf8')).not.toContain('main-code');
    await runAs('alice', 0, 'sync', '--env', DEV2, '--ref', 'main', '--yes');
    const manifests = await fullBackend.getObject(loadEnvironment(full, DEV2).naming.stateKey('goliath'));
    expect(manifests).toContain('bdda.test/built-from: main-code');
    expect(await currentDeployment(fullBackend, DEV2)).toMatchObject({ operation: 'sync', status: 'succeeded', sha: refSha, branch: 'main', who: 'alice' });
    expect(
      git(full, 'worktree', 'list', '--porcelain')
        .split('\n')
        .filter((l) => l.startsWith('worktree ')),
    ).toHaveLength(1);
    // The worktree's links to this checkout's folders went with it; the folders themselves stay.
    expect(fs.readdirSync(path.join(full, 'build', DEV2))).toEqual(expect.arrayContaining(['stacks', 'goliath']));
    expect(fs.existsSync(path.join(full, '.bdda', 'emulator'))).toBe(true);
  });
});
