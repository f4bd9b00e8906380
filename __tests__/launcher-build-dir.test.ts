/**
 * The launcher's build folder: a checkout that cannot be written (a read-only CI workspace, another
 * user's clone) gets one paragraph naming the folder and BDDA_BUILD_DIR, and BDDA_BUILD_DIR moves
 * the compiled program and the synthesized layers out of the checkout. A regular file stands in
 * the way of the folder, since the tests run as root, whom permissions do not stop.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..');
const COPIED = ['main.ts', 'package.json', 'package-lock.json', 'tsconfig.json', 'bdda', 'config', 'stacks', 'charts', 'policies', 'environments'];

let scratch: string;

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-build-dir-'));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function launch(cwd: string, args: string[], buildDir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, BDDA_BUILD_DIR: buildDir };
  delete env.BDDA_ROOT;
  delete env.BDDA_REPO;
  return spawnSync(process.execPath, [path.join(cwd, 'bdda', 'launcher.js'), ...args], { cwd, env, encoding: 'utf8' });
}

test('a build folder that cannot be made is named in one paragraph with what to do, exit 1', () => {
  const file = path.join(scratch, 'not-a-folder');
  fs.writeFileSync(file, '');
  const r = launch(REPO, ['list'], path.join(file, 'build'));
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^Error: bdda cannot write its build folder .*not-a-folder\/build \(BDDA_BUILD_DIR; ENOTDIR /);
  expect(lines[0]).toContain('Point BDDA_BUILD_DIR at a folder you can write');
});

test('BDDA_BUILD_DIR holds the compiled program and the synthesized layers; the checkout gets no build/', () => {
  const copy = path.join(scratch, 'checkout');
  for (const entry of COPIED) fs.cpSync(path.join(REPO, entry), path.join(copy, entry), { recursive: true });
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  const buildDir = path.join(scratch, 'elsewhere');
  const r = launch(copy, ['synth', '--env', 'dev2'], buildDir);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(fs.readdirSync(path.join(buildDir, 'js'))).toHaveLength(1);
  expect(fs.existsSync(path.join(buildDir, 'dev', 'dev2', 'stacks', 'flag', 'cdk.tf.json'))).toBe(true);
  expect(fs.existsSync(path.join(copy, 'build'))).toBe(false);
});
