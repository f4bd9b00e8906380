/** `npm run ci -- role`: the deploy role a CI job assumes, read from the config alone (no AWS, no terraform). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureConsole, restoreEnv, runCli } from './support/cli-harness';
import { editFile, makeScratch, removeScratch } from './support/scratch';

const PROD_ROLE = 'arn:aws:iam::345678901234:role/acme-bdda-deploy';
const saved = { root: process.env.BDDA_ROOT, output: process.env.GITHUB_OUTPUT };
const captured = captureConsole();
let root: string;
let output: string;

beforeEach(() => {
  root = makeScratch();
  output = path.join(root, 'github-output');
  fs.writeFileSync(output, '');
  process.env.BDDA_ROOT = root;
  process.env.GITHUB_OUTPUT = output;
});

afterEach(() => {
  removeScratch(root);
  restoreEnv('BDDA_ROOT', saved.root);
  restoreEnv('GITHUB_OUTPUT', saved.output);
});

test('an environment in a real account prints its deploy role and writes it with the region to $GITHUB_OUTPUT', async () => {
  expect(await runCli(captured, 'ci', 'role', '--env', 'prod/eu1')).toBe(0);
  expect(captured.logs).toEqual([`${PROD_ROLE} (eu-west-1)`]);
  expect(fs.readFileSync(output, 'utf8')).toBe(`role-arn=${PROD_ROLE}\nregion=eu-west-1\n`);
});

test('a tier whose leaves share one role gives that role', async () => {
  expect(await runCli(captured, 'ci', 'role', '--env', 'prod')).toBe(0);
  expect(fs.readFileSync(output, 'utf8')).toMatch(new RegExp(`^role-arn=${PROD_ROLE}\nregion=[a-z0-9-]+\n$`));
});

test('an emulated environment assumes no role: an empty role-arn', async () => {
  expect(await runCli(captured, 'ci', 'role', '--env', 'dev2')).toBe(0);
  expect(captured.logs).toEqual(['(none: emulated)']);
  expect(fs.readFileSync(output, 'utf8')).toMatch(/^role-arn=\nregion=[a-z0-9-]+\n$/);
});

test('without $GITHUB_OUTPUT the role is only printed', async () => {
  delete process.env.GITHUB_OUTPUT;
  expect(await runCli(captured, 'ci', 'role', '--env', 'prod/us1')).toBe(0);
  expect(captured.logs).toEqual([`${PROD_ROLE} (us-east-1)`]);
  expect(fs.readFileSync(output, 'utf8')).toBe('');
});

test('a tier whose leaves assume different roles is refused, naming both and what to run instead', async () => {
  const other = 'arn:aws:iam::345678901234:role/acme-bdda-deploy-eu';
  fs.appendFileSync(path.join(root, 'environments/prod/eu1/env.yaml'), `\nkubernetes:\n  deployer:\n    roleArn: ${other}\n`);
  expect(await runCli(captured, 'ci', 'role', '--env', 'prod')).toBe(1);
  const error = captured.errors.join('\n');
  expect(error).toContain(PROD_ROLE);
  expect(error).toContain(other);
  expect(error).toContain('--env <leaf>');
  expect(fs.readFileSync(output, 'utf8')).toBe('');
});

test('a real-account environment without a deploy role is refused by the config check, naming the key and the file', async () => {
  editFile(root, 'environments/staging/env.yaml', /\n {2}deployer:\n {4}roleArn: [^\n]+/, '');
  expect(await runCli(captured, 'ci', 'role', '--env', 'stg1')).toBe(1);
  const error = captured.errors.join('\n');
  expect(error).toContain('kubernetes.deployer.roleArn');
  expect(error).toContain('environments/staging/env.yaml');
  expect(fs.readFileSync(output, 'utf8')).toBe('');
});

test('--env is required', async () => {
  expect(await runCli(captured, 'ci', 'role')).toBe(1);
  expect(captured.errors.join('\n')).toContain('--env');
});
