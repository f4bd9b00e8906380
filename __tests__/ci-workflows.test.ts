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
  with?: Record<string, unknown>;
}
interface Job {
  steps?: Step[];
  uses?: string;
  'runs-on'?: string | string[];
  needs?: string | string[];
  strategy?: { matrix?: unknown };
}
type Workflow = { jobs: Record<string, Job> };
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
  expect(runs('main.yml')).toEqual(expect.arrayContaining(['npm test', 'npm run verify', 'npm run ci -- build --env ${{ matrix.environment }}']));
  // The integration tier runs after a merge, before the release test; the soak tier nightly.
  expect(runs('main.yml').indexOf('npm run test:integration')).toBeGreaterThan(runs('main.yml').indexOf('npm test'));
  expect(runs('main.yml').indexOf('npm run test:integration')).toBeLessThan(runs('main.yml').indexOf('npm run verify'));
  expect(runs('nightly.yml')).toEqual(['npm ci', 'npm run test:soak']);
  expect(runs('deploy-environment.yml')).toEqual(
    expect.arrayContaining(['npm run apply -- --env ${{ inputs.environment }} --yes', 'npm run ci -- commit-applied --env ${{ inputs.environment }}']),
  );
  expect(runs('drift.yml')).toContain('npm run ci -- build --env ${{ matrix.environment }} --detailed-exitcode');
});

test('every job that plans with ci build uploads the review pages it wrote, whatever its outcome', () => {
  const planning = files.flatMap((file) =>
    Object.entries(load(file).jobs)
      .filter(([, job]) => (job.steps ?? []).some((s) => s.run?.startsWith('npm run ci -- build')))
      .map(([name, job]) => ({ job: `${file} ${name}`, steps: job.steps ?? [] })),
  );
  expect(planning.map((p) => p.job).sort()).toEqual(['build.yml build', 'drift.yml plan', 'main.yml diff']);
  for (const { job, steps } of planning) {
    const build = steps.findIndex((s) => s.run?.startsWith('npm run ci -- build'));
    const upload = steps.findIndex((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect({ job, after: upload > build, path: steps[upload]?.with?.path, always: (steps[upload] as { if?: string } | undefined)?.if }).toEqual({
      job,
      after: true,
      path: 'build/review/',
      always: 'always()',
    });
  }
});

/**
 * The third-party actions a workflow text uses without a full commit SHA and its version in a
 * comment (`uses: owner/repo@<40 hex> # v1.2.3`); local workflows (`./`) are this repository's.
 */
function unpinnedActions(text: string): string[] {
  return text
    .split('\n')
    .map((line) => /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && !m[1].startsWith('./'))
    .filter((m) => !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(m[1]) || !/^\s+# v\d+\.\d+\.\d+$/.test(m[2]))
    .map((m) => m[1]);
}

test('the pin check refuses a tag, a branch and a SHA without its version', () => {
  const text = [
    '      - uses: actions/checkout@v4',
    '      - uses: actions/setup-node@main',
    '      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02',
    '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2',
    '    uses: ./.github/workflows/deploy-environment.yml',
  ].join('\n');
  expect(unpinnedActions(text)).toEqual(['actions/checkout@v4', 'actions/setup-node@main', 'actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02']);
});

test.each(files)('every third-party action of %s is pinned by commit SHA, with its version in a comment', (file) => {
  const text = fs.readFileSync(path.join(DIR, file), 'utf8');
  expect(unpinnedActions(text)).toEqual([]);
});

test.each(files)('%s sets up Node 22 (Node 20 reached its end of life on 2026-04-30)', (file) => {
  const versions = Object.values(load(file).jobs).flatMap((job) =>
    (job.steps ?? []).filter((s) => s.uses?.startsWith('actions/setup-node@')).map((s) => s.with?.['node-version']),
  );
  for (const version of versions) expect(version).toBe(22);
});

test.each([
  ['main.yml', 'diff'],
  ['drift.yml', 'plan'],
])("%s's %s job runs one environment per job, on the runner label `ci matrix` gives it", (file, name) => {
  const { jobs } = load(file);
  const job = jobs[name];
  expect(job['runs-on']).toEqual(['self-hosted', '${{ matrix.runner }}']);
  expect(job.strategy?.matrix).toBe('${{ fromJSON(needs.matrix.outputs.matrix) }}');
  expect(job.needs).toBe('matrix');
  expect(runs(file)).toContain('npm run ci -- matrix');
  expect(JSON.stringify(job.steps)).not.toMatch(/matrix\.tier/);
});

test('an apply runs on the runner label its environment names, asked of `ci matrix`', () => {
  const { jobs } = load('deploy-environment.yml');
  expect(jobs.apply['runs-on']).toEqual(['self-hosted', '${{ needs.runner.outputs.label }}']);
  expect(jobs.apply.needs).toBe('runner');
  expect(runs('deploy-environment.yml')).toContain('npm run ci -- matrix --env ${{ inputs.environment }}');
});
