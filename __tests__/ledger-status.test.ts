/**
 * `npm run status` against a private emulator, in a scratch root that is a git repository. The
 * deployment records are written with the ledger's own writer (no terraform needed to set up a
 * state), then status must tell apart: dev1 deployed at HEAD and in sync; dev2 deployed at an older
 * commit, with a committed diff and a later commit to its config on main; dev3 claimed; the real
 * environments, for which there are no credentials, say so without failing the command.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironment } from '../config/load';
import { emulatorEndpoint, stopEmulator } from '../bdda/engines/emulator';
import { type DeploymentRecord, writeDeployment } from '../bdda/ledger/records';
import type { EnvironmentStatus } from '../bdda/ledger/status';
import { StateBackend } from '../bdda/state/state-backend';
import { writeReviewedDiff } from './support/apply-harness';
import { captureConsole, restoreEnv, runCli } from './support/cli-harness';
import { testEmulatorPort } from './support/emulated';
import { commitAll, git, makeGitScratch } from './support/git-scratch';
import { editFile, removeScratch } from './support/scratch';

const PORT = testEmulatorPort(25330);
const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'TERRAFORM_BINARY',
  'BDDA_EMULATOR_PORT',
  'BDDA_ROOT',
  'BDDA_USER',
] as const;

let root: string;
let backend: StateBackend;
let firstSha: string;
const captured = captureConsole();
const saved = Object.fromEntries(CREDENTIAL_VARIABLES.map((name) => [name, process.env[name]]));
const terraformMarker = () => path.join(root, 'terraform-was-started');

beforeAll(async () => {
  root = makeGitScratch();
  firstSha = git(root, 'rev-parse', 'HEAD').trim();
  process.env.BDDA_ROOT = root;
  process.env.BDDA_EMULATOR_PORT = String(PORT);
  // No credentials for the real accounts, whatever the machine has.
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ROLE_ARN', 'AWS_WEB_IDENTITY_TOKEN_FILE'])
    delete process.env[name];
  process.env.AWS_CONFIG_FILE = path.join(root, 'no-aws-config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(root, 'no-aws-credentials');
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  // A terraform that leaves a mark: status must never start it.
  const fakeTerraform = path.join(root, 'fake-terraform.sh');
  fs.writeFileSync(fakeTerraform, `#!/bin/sh\ntouch '${terraformMarker()}'\nexit 1\n`, { mode: 0o755 });
  process.env.TERRAFORM_BINARY = fakeTerraform;

  // dev3 claimed by alice; this also starts the emulator and creates the dev state bucket.
  process.env.BDDA_USER = 'alice';
  const quiet = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    expect(await runCli(captured, 'claim', '--env', 'dev3', '--for', '4h', '--note', 'payments canary')).toBe(0);
  } finally {
    quiet.mockRestore();
  }
  const { bucket, region } = loadEnvironment(root, 'dev1').config.backend;
  backend = new StateBackend({ bucket, region, endpoint: emulatorEndpoint(PORT) });

  // dev2: deployed at the first commit; then its config changed on main, with the diff committed.
  await writeDeployment(backend, record('dev/dev2', firstSha, 'bob'));
  editFile(root, 'environments/dev/dev2/env.yaml', /^vpc:/m, 'tags:\n  purpose: canary\n\nvpc:');
  writeReviewedDiff(path.join(root, 'environments', 'dev', 'dev2'), 'dev/dev2', 4);
  commitAll(root, 'dev2: tag it');
  // A commit to dev3's config only, which dev2 must not count.
  editFile(root, 'environments/dev/dev3/env.yaml', /^vpc:/m, '# dev3 only\nvpc:');
  const head = commitAll(root, 'dev3: a comment');
  // dev1: deployed at HEAD.
  await writeDeployment(backend, record('dev/dev1', head, 'carol'));
});

afterAll(async () => {
  try {
    backend?.destroy();
    if (root) await stopEmulator(path.join(root, '.bdda', 'emulator'));
  } finally {
    if (root) removeScratch(root);
    for (const name of CREDENTIAL_VARIABLES) restoreEnv(name, saved[name]);
  }
});

function record(environment: string, sha: string, who: string): DeploymentRecord {
  const now = new Date().toISOString();
  return {
    formatVersion: 1,
    environment,
    operation: 'apply',
    status: 'succeeded',
    sha,
    branch: 'main',
    clean: true,
    who,
    forced: false,
    startedAt: now,
    endedAt: now,
    layers: [{ layer: 'flag', summary: 'FLAG: 31 to add, 0 to change, 0 to destroy.', digest: 'x' }],
    tools: { terraform: '1.11.4' },
  };
}

test('status --json: in sync, changes pending with a commit on main since, claimed, and real environments without credentials', async () => {
  expect(await runCli(captured, 'status', '--json')).toBe(0);
  const rows = JSON.parse(captured.logs.join('\n')) as EnvironmentStatus[];
  const row = (p: string) => rows.find((r) => r.path === p)!;
  expect(rows.map((r) => r.path)).toEqual(['dev/dev1', 'dev/dev2', 'dev/dev3', 'prod/eu1', 'prod/us1', 'staging/stg1']);

  expect(row('dev/dev1')).toMatchObject({ tier: 'dev', emulated: true, protected: false, undeployed: [], mainCommitsSinceDeployed: 0 });
  expect(row('dev/dev1').lastDeployment).toMatchObject({ who: 'carol', sha: git(root, 'rev-parse', 'HEAD').trim() });
  expect(row('dev/dev1').claim).toBeUndefined();

  expect(row('dev/dev2').undeployed).toEqual([
    { layer: 'flag', status: 'changes', counts: { add: 4, change: 0, destroy: 0 }, summary: 'FLAG: 4 to add, 0 to change, 0 to destroy.' },
  ]);
  expect(row('dev/dev2').lastDeployment).toMatchObject({ who: 'bob', sha: firstSha });
  expect(row('dev/dev2')).toMatchObject({ mainCommitsSinceDeployed: 1, mainRef: 'main' });

  expect(row('dev/dev3').claim).toMatchObject({ who: 'alice', branch: 'main', note: 'payments canary' });
  expect(row('dev/dev3').lastDeployment).toBeUndefined();

  expect(row('prod/us1')).toMatchObject({ tier: 'prod', emulated: false, protected: true, backendUnavailable: 'no credentials' });
  expect(row('staging/stg1')).toMatchObject({ tier: 'staging', emulated: false, protected: false, backendUnavailable: 'no credentials' });
  expect(fs.existsSync(terraformMarker())).toBe(false);
});

test('status prints one table row per environment saying the same', async () => {
  expect(await runCli(captured, 'status')).toBe(0);
  const lines = captured.logs.join('\n').split('\n');
  const line = (p: string) => lines.find((l) => l.startsWith(`${p} `))!;
  expect(lines[0]).toMatch(/^ENVIRONMENT\s+TIER\s+TARGET\s+PROTECTED\s+UNDEPLOYED\s+CLAIMED BY\s+LAST DEPLOYMENT\s+MAIN SINCE$/);
  expect(line('dev/dev1')).toMatch(/in sync .* by carol .*up to date$/);
  expect(line('dev/dev2')).toMatch(/FLAG: 4 to add, 0 to change, 0 to destroy .* by bob .*1 commit on main$/);
  expect(line('dev/dev3')).toMatch(/^dev\/dev3 .*never deployed .*alice until \d{4}-\d\d-\d\dT/);
  expect(line('prod/us1')).toMatch(/real\s+yes .*no credentials/);
  expect(fs.existsSync(terraformMarker())).toBe(false);
});

test('with the emulator stopped, the emulated environments say so and the command still succeeds', async () => {
  await stopEmulator(path.join(root, '.bdda', 'emulator'));
  expect(await runCli(captured, 'status', '--json')).toBe(0);
  const rows = JSON.parse(captured.logs.join('\n')) as EnvironmentStatus[];
  expect(rows.find((r) => r.path === 'dev/dev1')).toMatchObject({ backendUnavailable: 'emulator not running' });
  expect(rows.find((r) => r.path === 'dev/dev1')?.lastDeployment).toBeUndefined();
});
