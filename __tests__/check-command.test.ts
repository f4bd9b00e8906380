/**
 * `npm run check`: the configuration rules on a synthesis, with no terraform and no emulator.
 * Exit 0 when every error is waived or there is none, 1 on an unwaived error or bad input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { captureConsole, restoreEnv, runCli } from './support/cli-harness';
import { editFile, makeScratch, removeScratch } from './support/scratch';

const out = captureConsole();
const savedRoot = process.env.BDDA_ROOT;
let root: string;
beforeAll(() => {
  root = makeScratch();
  process.env.BDDA_ROOT = root;
  // Flow logs off: FLOW-LOGS finds dev2's VPC without them.
  editFile(root, 'environments/dev/dev2/env.yaml', /^vpc:\n/m, 'vpc:\n  flowLogs:\n    enabled: false\n');
});
afterAll(() => {
  restoreEnv('BDDA_ROOT', savedRoot);
  removeScratch(root);
});

const waiversFile = () => path.join(root, 'environments', 'dev', 'dev2', 'waivers.yaml');
const waiver = (expires: string) =>
  `waivers:\n  - rule: FLOW-LOGS\n    address: aws_vpc.*\n    reason: a lab VPC without traffic to audit\n    approvedBy: alice\n    expires: ${expires}\n`;
afterEach(() => fs.rmSync(waiversFile(), { force: true }));

test('a shipped environment passes: exit 0, its POLICY section and the summary', async () => {
  expect(await runCli(out, 'check', '--env', 'dev1')).toBe(0);
  expect(out.logs.join('\n')).toContain('dev/dev1\nPOLICY\n  No findings.\nPOLICY: 0 errors, 0 warnings');
  expect(out.logs.at(-1)).toBe('check: 1 environment, 0 unwaived errors, 0 warnings, 0 waived');
});

test('an unwaived error exits 1, naming the rule, the address and the waivers file', async () => {
  expect(await runCli(out, 'check', '--env', 'dev2')).toBe(1);
  const text = out.logs.join('\n');
  expect(text).toMatch(/ERROR +FLOW-LOGS +FLAG +aws_vpc\.vpc: has no flow log/);
  expect(text).toContain('POLICY: 1 error, 0 warnings');
  expect(text).toContain('add a waiver to environments/dev/dev2/waivers.yaml');
  expect(out.logs.at(-1)).toBe('check: 1 environment, 1 unwaived error, 0 warnings, 0 waived');
});

test('a waiver of the finding lets it pass', async () => {
  fs.writeFileSync(waiversFile(), waiver('2999-12-31'));
  expect(await runCli(out, 'check', '--env', 'dev2')).toBe(0);
  expect(out.logs.join('\n')).toMatch(/WAIVED +FLOW-LOGS +FLAG +aws_vpc\.vpc: .*approved by alice, until 2999-12-31/);
  expect(out.logs.at(-1)).toBe('check: 1 environment, 0 unwaived errors, 0 warnings, 1 waived');
});

test('an expired waiver is refused with exit 1, naming the file and the entry', async () => {
  fs.writeFileSync(waiversFile(), waiver('2020-01-01'));
  expect(await runCli(out, 'check', '--env', 'dev2')).toBe(1);
  expect(out.errors.join('\n')).toContain('environments/dev/dev2/waivers.yaml: waivers[0] (rule FLOW-LOGS): expired on 2020-01-01');
});

test("a tier's severity makes the finding a warning: exit 0", async () => {
  const tier = path.join(root, 'environments', 'dev', 'env.yaml');
  const shipped = fs.readFileSync(tier, 'utf8');
  fs.appendFileSync(tier, '\npolicy:\n  severity:\n    FLOW-LOGS: warning\n');
  try {
    expect(await runCli(out, 'check', '--env', 'dev2')).toBe(0);
    expect(out.logs.join('\n')).toMatch(/WARNING +FLOW-LOGS +FLAG +aws_vpc\.vpc/);
    expect(out.logs.at(-1)).toBe('check: 1 environment, 0 unwaived errors, 1 warning, 0 waived');
  } finally {
    fs.writeFileSync(tier, shipped);
  }
});

test('neither --env nor --all is refused with exit 1', async () => {
  expect(await runCli(out, 'check')).toBe(1);
  expect(out.errors.join('\n')).toContain('Pass either --env <name>');
});
