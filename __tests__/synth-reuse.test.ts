/**
 * Plan, apply and destroy reuse the last synthesis when the program (the launcher's build) and
 * the environment's config are unchanged and its files are as written; anything else synthesizes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Environment, loadEnvironment } from '../config/load';
import { synthesize } from '../bdda/workflow/synth';
import { REPO_ROOT } from './support/scratch';

const env = loadEnvironment(REPO_ROOT, 'dev2');
let out: string;
const build = process.env.BDDA_BUILD;

beforeEach(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-synth-reuse-'));
  process.env.BDDA_BUILD = 'build-one';
});

afterEach(() => {
  fs.rmSync(out, { recursive: true, force: true });
  if (build === undefined) delete process.env.BDDA_BUILD;
  else process.env.BDDA_BUILD = build;
});

const reused = async (e: Environment = env) => (await synthesize(e, out, { reuse: true })).reused;

test('a second synthesis of the same build and config reuses the files, which are unchanged', async () => {
  expect(await reused()).toBe(false);
  const flag = path.join(out, 'stacks', 'flag', 'cdk.tf.json');
  const written = fs.readFileSync(flag, 'utf8');
  expect(await reused()).toBe(true);
  expect(fs.readFileSync(flag, 'utf8')).toBe(written);
});

test('a new build (an edited source or dependency) synthesizes again', async () => {
  expect(await reused()).toBe(false);
  process.env.BDDA_BUILD = 'build-two';
  expect(await reused()).toBe(false);
  expect(await reused()).toBe(true);
});

test('a changed config synthesizes again, and the new output says so', async () => {
  expect(await reused()).toBe(false);
  const moved: Environment = { ...env, config: { ...env.config, aws: { ...env.config.aws, region: 'eu-central-1' } } };
  expect(await reused(moved)).toBe(false);
  expect(fs.readFileSync(path.join(out, 'stacks', 'flag', 'cdk.tf.json'), 'utf8')).toContain('eu-central-1');
});

test.each([
  ['edited by hand', (file: string) => fs.appendFileSync(file, '\n')],
  ['deleted', (file: string) => fs.rmSync(file)],
])('an output file %s is written again', async (_how, spoil) => {
  expect(await reused()).toBe(false);
  const goliath = path.join(out, 'goliath', 'goliath.k8s.yaml');
  const written = fs.readFileSync(goliath, 'utf8');
  spoil(goliath);
  expect(await reused()).toBe(false);
  expect(fs.readFileSync(goliath, 'utf8')).toBe(written);
});

test('without a launcher build (ts-node, jest) every call synthesizes, and no record is written', async () => {
  delete process.env.BDDA_BUILD;
  expect(await reused()).toBe(false);
  expect(await reused()).toBe(false);
  expect(fs.existsSync(path.join(out, 'synth-record.json'))).toBe(false);
});

test('the synth command (no reuse) always synthesizes', async () => {
  expect(await reused()).toBe(false);
  expect((await synthesize(env, out)).reused).toBe(false);
});
