/**
 * The GitHub Actions workflows: each passes a real schema validator (@action-validator/core,
 * the GitHub workflow schema compiled to WebAssembly), and each step is one npm command of this
 * repository, with no shell logic around it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { REPO_ROOT } from './support/scratch';

const DIR = path.join(REPO_ROOT, '.github', 'workflows');
const files = fs
  .readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const scripts = Object.keys((JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

interface Step {
  run?: string;
  uses?: string;
}
type Workflow = { jobs: Record<string, { steps?: Step[]; uses?: string }> };
const load = (file: string) => parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Workflow;
const runs = (file: string) => Object.values(load(file).jobs).flatMap((job) => (job.steps ?? []).flatMap((s) => (s.run ? [s.run.trim()] : [])));

test('the workflows of the pipeline are there', () => {
  expect(files).toEqual(expect.arrayContaining(['build.yml', 'deploy.yml', 'drift.yml', 'main.yml', 'nightly.yml']));
});

test.each(files)('%s passes the GitHub Actions workflow schema', (file) => {
  expect(validateWorkflow(fs.readFileSync(path.join(DIR, file), 'utf8')).errors).toEqual([]);
});

test('the validator rejects a broken workflow, so a pass means something', () => {
  expect(validateWorkflow('on: push\njobs:\n  a:\n    runz-on: ubuntu-latest\n    steps: []\n').errors.length).toBeGreaterThan(0);
});

test.each(files)('every run step of %s is one npm command naming a script of package.json', (file) => {
  for (const run of runs(file)) {
    expect(run).toMatch(/^npm (ci|test|run [\w:-]+( -- .*)?)$/);
    expect(run).not.toMatch(/&&|\|\||[;|`\n]|\$\(/);
  }
  const named = runs(file).flatMap((run) => /^npm run ([\w:-]+)/.exec(run)?.[1] ?? []);
  expect(scripts).toEqual(expect.arrayContaining(named));
});

test('every reusable workflow a job calls exists', () => {
  const called = files.flatMap((file) => Object.values(load(file).jobs).flatMap((job) => (job.uses?.startsWith('./') ? [job.uses] : [])));
  expect(called.filter((uses) => !fs.existsSync(path.join(REPO_ROOT, uses)))).toEqual([]);
});

test('the pipeline runs what the README promises: build tests and builds, main verifies, deploy applies and commits, drift detects', () => {
  expect(runs('build.yml')).toEqual(['npm ci', 'npm test', 'npm run ci -- build']);
  expect(runs('main.yml')).toEqual(expect.arrayContaining(['npm test', 'npm run verify', 'npm run ci -- build --env ${{ matrix.tier }}']));
  // The integration tier runs after a merge, before the release test; the soak tier nightly.
  expect(runs('main.yml').indexOf('npm run test:integration')).toBeGreaterThan(runs('main.yml').indexOf('npm test'));
  expect(runs('main.yml').indexOf('npm run test:integration')).toBeLessThan(runs('main.yml').indexOf('npm run verify'));
  expect(runs('nightly.yml')).toEqual(['npm ci', 'npm run test:soak']);
  expect(runs('deploy-environment.yml')).toEqual(
    expect.arrayContaining(['npm run apply -- --env ${{ inputs.environment }} --yes', 'npm run ci -- commit-applied --env ${{ inputs.environment }}']),
  );
  expect(runs('drift.yml').some((r) => /--shard \$\{\{ matrix.shard \}\}\/2 --detailed-exitcode$/.test(r))).toBe(true);
});
