/**
 * `npm run review`: the page of an environment's diff and, with --all, every page and the index,
 * written under build/review/ of a scratch root that is no git checkout and has no emulator
 * running, so what git and the ledger would say is unknown and said so.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { layerPlan, writeChanges } from '../bdda/diff/changes';
import { policyRecord } from '../bdda/policy/record';
import type { TypedPlan } from '../bdda/diff/typed-plan';
import { captureConsole, restoreEnv, runCli } from './support/cli-harness';
import { makeScratch, removeScratch } from './support/scratch';

const out = captureConsole();
const saved = Object.fromEntries(['BDDA_ROOT', 'DISPLAY', 'WAYLAND_DISPLAY'].map((name) => [name, process.env[name]]));
let root: string;

const subnetReplaced: TypedPlan = {
  changes: [
    {
      address: 'aws_subnet.private-a',
      type: 'aws_subnet',
      name: 'private-a',
      action: 'replace',
      before: { cidr_block: '10.12.0.0/24' },
      after: { cidr_block: '10.12.9.0/24' },
      replacePaths: [['cidr_block']],
    },
  ],
  outputs: [],
  drift: [],
};

beforeAll(() => {
  root = makeScratch();
  process.env.BDDA_ROOT = root;
  delete process.env.DISPLAY;
  delete process.env.WAYLAND_DISPLAY;
  const dir = path.join(root, 'environments', 'dev', 'dev2');
  const flag = layerPlan({ layer: 'flag', label: 'FLAG', engine: 'terraform plan', status: 'changes', body: '', plan: subnetReplaced, removal: 'destroy' });
  const empty = { changes: [], outputs: [], drift: [] };
  const karr = layerPlan({ layer: 'karr', label: 'KARR', engine: 'terraform plan', status: 'no-changes', body: '', plan: empty, removal: 'destroy' });
  const goliath = layerPlan({ layer: 'goliath', label: 'GOLIATH', engine: 'kubernetes diff', status: 'no-changes', body: '', plan: empty, removal: 'delete' });
  writeChanges(
    dir,
    'dev/dev2',
    { terraform: '1.11.4' },
    [flag, karr, goliath],
    policyRecord([], { file: 'environments/dev/dev2/waivers.yaml', digest: 'none' }),
  );
});

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) restoreEnv(name, value);
  removeScratch(root);
});

test('review --env writes the page under build/review/, prints its path, and --open says when no browser is available', async () => {
  expect(await runCli(out, 'review', '--env', 'dev2', '--open')).toBe(0);
  const file = path.join(root, 'build', 'review', 'dev', 'dev2.html');
  expect(out.logs).toEqual(['build/review/dev/dev2.html', `No browser is available here (no display); open ${file} where one is.`]);
  const html = fs.readFileSync(file, 'utf8');
  expect(html).toContain('<h2 id="destructive-title">Destroys and replacements (1)</h2>');
  expect(html).toContain('<li data-rule="PROTECTED-DESTROY" data-layer="flag">');
  expect(html).toContain('<dd data-fact="head"><span class="muted">unknown</span></dd>');
  expect(html).toContain('<dd data-fact="last deployment">unknown (emulator not running)</dd>');
});

test("review --all writes every environment's page and the index, which links them", async () => {
  expect(await runCli(out, 'review', '--all')).toBe(0);
  expect(out.logs).toEqual([
    'build/review/dev/dev1.html',
    'build/review/dev/dev2.html',
    'build/review/dev/dev3.html',
    'build/review/prod/eu1.html',
    'build/review/prod/us1.html',
    'build/review/staging/stg1.html',
    'build/review/index.html',
  ]);
  const index = fs.readFileSync(path.join(root, 'build', 'review', 'index.html'), 'utf8');
  expect([...index.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1])).toEqual([
    'dev/dev1.html',
    'dev/dev2.html',
    'dev/dev3.html',
    'prod/eu1.html',
    'prod/us1.html',
    'staging/stg1.html',
  ]);
  expect(index).toContain('<td>1 to add, 0 to change, 1 to destroy</td>');
});
