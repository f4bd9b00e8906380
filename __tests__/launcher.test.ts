/**
 * The launcher (bdda/launcher.js) runs compiled JavaScript, compiled again whenever a source
 * changed: an edit under stacks/ or charts/ takes effect on the next command, with no build step.
 * Runs in a scratch copy of the sources, so the edits never touch the checkout.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..');
const COPIED = ['main.ts', 'package.json', 'package-lock.json', 'tsconfig.json', 'bdda', 'config', 'stacks', 'charts', 'policies', 'environments'];

let copy: string;

beforeAll(() => {
  copy = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-launcher-'));
  for (const entry of COPIED) fs.cpSync(path.join(REPO, entry), path.join(copy, entry), { recursive: true });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
});

afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

/** `node bdda/launcher.js synth --env dev2` in the copy; the synthesized files by layer. */
function synth(): { flag: string; goliath: string } {
  const env = { ...process.env };
  delete env.BDDA_ROOT;
  delete env.BDDA_REPO;
  const r = spawnSync(process.execPath, [path.join(copy, 'bdda', 'launcher.js'), 'synth', '--env', 'dev2'], { cwd: copy, env, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const file = (label: string) => path.join(copy, r.stdout.match(new RegExp(`^ +${label} +(\\S+)$`, 'm'))![1]);
  return { flag: fs.readFileSync(file('FLAG'), 'utf8'), goliath: fs.readFileSync(file('GOLIATH'), 'utf8') };
}

function edit(file: string, from: string, to: string): void {
  const full = path.join(copy, file);
  const text = fs.readFileSync(full, 'utf8');
  expect(text).toContain(from);
  fs.writeFileSync(full, text.replace(from, to));
}

test('an edit to a .ts file under stacks/ or charts/ shows in the next synth through the launcher, with no build step', () => {
  const before = synth();
  expect(before.flag).toContain('Encryption of the VPC flow logs of');
  expect(before.flag).not.toContain('Edited encryption of the VPC flow logs');
  expect(before.goliath).not.toContain('edited-by-launcher-test');

  edit('stacks/flag.ts', '`Encryption of the VPC flow logs of ${', '`Edited encryption of the VPC flow logs of ${');
  edit(
    'charts/ebs-storage.ts',
    "labels: { 'app.kubernetes.io/managed-by': 'goliath' }",
    "labels: { 'app.kubernetes.io/managed-by': 'goliath', 'edited-by-launcher-test': 'yes' }",
  );

  const after = synth();
  expect(after.flag).toContain('Edited encryption of the VPC flow logs of');
  expect(after.goliath).toContain('edited-by-launcher-test');
  // Each set of sources has its own compiled copy.
  expect(fs.readdirSync(path.join(copy, 'build', 'js')).filter((d) => !d.endsWith('.tmp'))).toHaveLength(2);
});
