/**
 * Bad input of every kind (unreadable or malformed config files, configs the schema refuses, bad
 * flags and commands, damaged diff files) must exit 1 with a message naming the file, key or flag,
 * print no stack trace, and change nothing: not even a reviewed diff already in the folder. Every
 * case fails before any emulator or terraform is needed, so the suite runs in-process in seconds.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as load from '../config/load';
import { readChanges } from '../bdda/diff/changes';
import { AWS_REGIONS } from '../config/regions';
import { writeReviewedDiff } from './support/apply-harness';
import { captureConsole, runCli } from './support/cli-harness';
import { testEmulatorPort } from './support/emulated';
import { editFile, makeScratch, REPO_ROOT, removeScratch, snapshotTree } from './support/scratch';

const PORT = testEmulatorPort(25300);

const ROOT = 'environments/env.yaml';
const DEV = 'environments/dev/env.yaml';
const DEV2 = 'environments/dev/dev2/env.yaml';
const DEV3 = 'environments/dev/dev3/env.yaml';
const DEV2_DIR = 'environments/dev/dev2';
const TXT = `${DEV2_DIR}/changes.txt`;
const JSON_FILE = `${DEV2_DIR}/changes.json`;

/** A stack frame as node prints it: `    at fn (file.ts:12:3)`. */
const STACK_FRAME = /^\s+at .+\(.+:\d+:\d+\)/m;

interface BadInput {
  readonly name: string;
  /** The command line after `bdda`. @default synth --env dev2 */
  readonly args?: readonly string[];
  /** Changes the scratch root before the run. */
  readonly edit?: (root: string) => void;
  /** Makes a file system call fail during the run, for errors root cannot produce for real; returns the undo. */
  readonly inject?: (root: string) => () => void;
  /** Fragments the message must contain: the file, key or flag, and what is wrong. */
  readonly expected: readonly (string | RegExp)[];
  /** What the message must not say. */
  readonly unexpected?: RegExp;
}

const write = (root: string, rel: string, content: string | Buffer) => fs.writeFileSync(path.join(root, rel), content);
const replaceWithDir = (root: string, rel: string) => {
  fs.rmSync(path.join(root, rel));
  fs.mkdirSync(path.join(root, rel));
};
const replaceWithLink = (root: string, rel: string, target: string) => {
  fs.rmSync(path.join(root, rel));
  fs.symlinkSync(target, path.join(root, rel));
};
/** A chain of anchors, each a list of nine aliases to the previous one: 9^8 nodes once expanded. */
const aliasBomb = () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= 8; i++)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
};
/** Puts `line` into the file so that it becomes line `at` (1-based). */
const insertLine = (root: string, rel: string, at: number, line: Buffer) => {
  const lines = fs.readFileSync(path.join(root, rel), 'utf8').split('\n');
  const head = Buffer.from(`${lines.slice(0, at - 1).join('\n')}\n`);
  write(root, rel, Buffer.concat([head, line, Buffer.from(`\n${lines.slice(at - 1).join('\n')}`)]));
};
/** Edits the file, then saves it in Latin-1, as an editor set to another encoding would. */
const saveAsLatin1 = (root: string, rel: string, from: string, to: string) => {
  editFile(root, rel, from, to);
  write(root, rel, Buffer.from(fs.readFileSync(path.join(root, rel), 'utf8'), 'latin1'));
};
/** Makes reading `rel` fail with `code`, as it would for a user without read permission. */
const failRead = (rel: string, code: string) => (root: string) => {
  const realFs = jest.requireActual<typeof fs>('node:fs');
  const original = realFs.readFileSync;
  const target = path.join(root, rel);
  const spy = jest.spyOn(realFs, 'readFileSync').mockImplementation(((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    if (file === target) throw Object.assign(new Error(`${code}: operation refused, open '${target}'`), { code, errno: -13, syscall: 'open', path: target });
    return (original as (...a: unknown[]) => unknown)(file, ...rest);
  }) as typeof fs.readFileSync);
  return () => spy.mockRestore();
};
const editJson = (root: string, change: (record: Record<string, unknown>) => unknown) => {
  const file = path.join(root, JSON_FILE);
  write(root, JSON_FILE, JSON.stringify(change(JSON.parse(fs.readFileSync(file, 'utf8')))));
};
const LONG_LEAF = 'a-leaf-whose-name-is-far-too-long-for-iam';

const cases: BadInput[] = [
  // Files that cannot be read or decoded.
  {
    name: 'a leaf env.yaml with a byte that is not UTF-8',
    edit: (r) => insertLine(r, DEV2, 2, Buffer.from('# caf\xe9', 'latin1')),
    expected: [`${DEV2}: is not valid UTF-8 at line 2`],
  },
  {
    name: 'a tier env.yaml saved as Latin-1',
    edit: (r) => saveAsLatin1(r, DEV, 'tier: dev', 'tier: d\u00e9v'),
    expected: [new RegExp(`${DEV}: is not valid UTF-8 at line \\d+`), 'save it as UTF-8'],
  },
  {
    name: 'an env.yaml saved as UTF-16',
    edit: (r) => write(r, DEV2, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('vpc:\n  cidr: 10.12.0.0/16\n', 'utf16le')])),
    expected: [`${DEV2}: is not valid UTF-8 at line 1`],
  },
  { name: 'an alias bomb', edit: (r) => write(r, DEV2, aliasBomb()), expected: [`${DEV2}: uses YAML aliases`, "parser's limit"] },
  { name: 'a leaf env.yaml that is a directory', edit: (r) => replaceWithDir(r, DEV2), expected: [`${DEV2}: is a directory`] },
  {
    name: 'the organisation env.yaml that is a directory',
    edit: (r) => replaceWithDir(r, ROOT),
    args: ['plan', '--env', 'dev2'],
    expected: [`${ROOT}: is a directory`],
  },
  {
    name: 'an env.yaml that is a symbolic link to itself',
    edit: (r) => replaceWithLink(r, DEV2, 'env.yaml'),
    expected: [`${DEV2}: is a symbolic link that points back at itself`],
  },
  {
    name: 'an env.yaml that is a symbolic link to a missing file',
    edit: (r) => replaceWithLink(r, DEV2, 'gone.yaml'),
    expected: [`${DEV2}: cannot be read`, 'missing file'],
  },
  { name: 'an env.yaml the user may not read (EACCES)', inject: failRead(DEV2, 'EACCES'), expected: [`${DEV2}: cannot be read: permission denied (EACCES)`] },
  {
    name: 'a tier env.yaml the user may not read (EPERM)',
    args: ['apply', '--env', 'dev2'],
    inject: failRead(DEV, 'EPERM'),
    expected: [`${DEV}: cannot be read: permission denied (EPERM)`],
  },

  // Keys nobody sets: the leaf is blamed.
  {
    name: 'an empty leaf env.yaml',
    args: ['synth', '--env', 'dev3'],
    edit: (r) => write(r, DEV3, ''),
    expected: [`${DEV3}: sets no keys`, 'vpc.cidr', 'vpc.subnets', `${DEV3}: vpc.cidr: is missing`],
    unexpected: new RegExp(`${DEV}:|${ROOT}:`),
  },
  {
    name: 'a leaf env.yaml holding only comments',
    args: ['plan', '--env', 'dev3'],
    edit: (r) => write(r, DEV3, '# nothing yet\n'),
    expected: [`${DEV3}: sets no keys`, 'vpc.cidr'],
  },
  {
    name: 'a subnet tier no file sets',
    edit: (r) => editFile(r, DEV2, /\s+intra: .*/, ''),
    expected: [`${DEV2}: vpc.subnets.intra: is missing: no file in the chain`],
  },
  {
    name: 'a region no file sets',
    edit: (r) => editFile(r, DEV, / {2}region: us-east-1\n/, ''),
    expected: [`${DEV2}: aws.region: is missing: no file in the chain`],
  },
  { name: 'an organisation no file sets', edit: (r) => editFile(r, ROOT, 'organisation: acme\n', ''), expected: [`${DEV2}: organisation: is missing`] },

  // Region and zones.
  {
    name: 'a region AWS does not have',
    args: ['plan', '--env', 'dev2'],
    edit: (r) => editFile(r, DEV, 'region: us-east-1\n  azs: [us-east-1a, us-east-1b]', 'region: us-east-7\n  azs: [us-east-7a, us-east-7b]'),
    expected: [`${DEV}: aws.region: "us-east-7" is not an AWS commercial region`, 'config/regions.ts'],
  },
  {
    name: 'a zone letter the region does not have',
    edit: (r) => editFile(r, DEV, 'us-east-1b]', 'us-east-1g]'),
    expected: [`${DEV}: aws.azs[1]: "us-east-1g" is not an availability zone of region us-east-1`, 'us-east-1f'],
  },
  {
    name: 'a state bucket region AWS does not have',
    edit: (r) => editFile(r, DEV, /(bucket: .*\n\s+)region: us-east-1/, '$1region: eu-wast-1'),
    expected: [`${DEV}: backend.region: "eu-wast-1" is not an AWS commercial region`],
  },
  {
    name: 'a region in capitals',
    edit: (r) => editFile(r, DEV, 'region: us-east-1\n', 'region: US-EAST-1\n'),
    expected: [`${DEV}: aws.region:`, '"US-EAST-1" is not an AWS region'],
  },

  // Values YAML reads as something else.
  {
    name: 'an unquoted Kubernetes version',
    edit: (r) => editFile(r, ROOT, /version: "1\.\d+"/, 'version: 1.30'),
    expected: [`${ROOT}: kubernetes.version:`, 'reads `1.30` as the number 1.3', 'quote it: version: "1.30"'],
  },
  {
    name: 'an organisation written as a number',
    edit: (r) => editFile(r, ROOT, 'organisation: acme', 'organisation: 1234'),
    expected: [`${ROOT}: organisation:`, 'quote it: organisation: "1234"'],
  },
  {
    name: 'a tag value written as a number',
    edit: (r) => editFile(r, DEV2, 'vpc:', 'tags:\n  cost-centre: 0042\nvpc:'),
    expected: [`${DEV2}: tags.cost-centre:`, 'quote it: cost-centre: "0042"'],
  },
  {
    name: 'a group written as a boolean',
    edit: (r) => editFile(r, ROOT, 'viewersGroup: acme:platform-viewers', 'viewersGroup: true'),
    expected: [`${ROOT}: platform.viewersGroup:`, 'the boolean true', 'quote it'],
  },
  { name: 'a key with no value', edit: (r) => editFile(r, DEV2, 'cidr: 10.12.0.0/16', 'cidr:'), expected: [`${DEV2}: vpc.cidr: has no value`] },

  // YAML the parser refuses.
  {
    name: 'a key set twice at the top level',
    edit: (r) => editFile(r, DEV2, 'vpc:', 'vpc:\n  natMode: single\nvpc:'),
    expected: [`${DEV2}: sets the key vpc twice`],
  },
  {
    name: 'a nested key set twice',
    edit: (r) => editFile(r, ROOT, /(version: "1\.\d+")/, '$1\n  version: "1.32"'),
    expected: [`${ROOT}: sets the key kubernetes.version twice (again at line`],
  },
  {
    name: 'a file holding two YAML documents',
    edit: (r) => editFile(r, DEV2, 'vpc:', 'emulated: true\n---\nvpc:'),
    expected: [`${DEV2}: holds more than one YAML document`, 'line 4'],
    unexpected: /parseAllDocuments/,
  },
  { name: 'an unclosed flow sequence', edit: (r) => editFile(r, DEV2, 'vpc:', 'vpc: [unclosed'), expected: [`${DEV2}: is not valid YAML at line`] },
  { name: 'a bare scalar instead of a mapping', edit: (r) => write(r, DEV2, 'just a sentence\n'), expected: [`${DEV2}: must hold a YAML mapping`] },
  {
    name: 'a misspelt top-level key',
    args: ['destroy', '--env', 'dev2'],
    edit: (r) => editFile(r, DEV2, 'vpc:', 'vcp: {}\nvpc:'),
    expected: [`${DEV2}: vcp:`, 'Unrecognized key'],
  },
  {
    name: 'a NAT mode that does not exist',
    args: ['unlock', '--env', 'dev2'],
    edit: (r) => editFile(r, DEV, 'natMode: single', 'natMode: none'),
    expected: [`${DEV}: vpc.natMode:`],
  },

  // Names.
  {
    name: 'an environment path too long for IAM role names',
    args: ['synth', '--env', LONG_LEAF],
    edit: (r) => {
      fs.mkdirSync(path.join(r, 'environments/dev', LONG_LEAF));
      fs.copyFileSync(path.join(r, DEV3), path.join(r, 'environments/dev', LONG_LEAF, 'env.yaml'));
    },
    expected: [`environments/dev/${LONG_LEAF}: the environment's path is too long`, 'at most 38 characters'],
  },

  // Flags and commands.
  { name: '--concurrency 0', args: ['plan', '--all', '--concurrency', '0'], expected: ["option '--concurrency <n>' argument '0' is invalid", 'at least 1'] },
  { name: '--concurrency -1', args: ['plan', '--all', '--concurrency=-1'], expected: ["option '--concurrency <n>' argument '-1' is invalid"] },
  { name: '--concurrency abc', args: ['plan', '--all', '--concurrency', 'abc'], expected: ["option '--concurrency <n>' argument 'abc' is invalid"] },
  { name: '--concurrency 1.5', args: ['plan', '--all', '--concurrency', '1.5'], expected: ["option '--concurrency <n>' argument '1.5' is invalid"] },
  { name: '--concurrency with no value', args: ['plan', '--all', '--concurrency'], expected: ["option '--concurrency <n>' argument missing"] },
  { name: 'an unknown environment', args: ['plan', '--env', 'dev9'], expected: ['no environment "dev9"', 'dev/dev2', '--env'] },
  { name: 'a tier given as the environment', args: ['apply', '--env', 'dev'], expected: ['no environment "dev"'] },
  { name: 'apply without --env', args: ['apply'], expected: ["required option '-e, --env <name>' not specified"] },
  { name: 'destroy with --env but no value', args: ['destroy', '--env'], expected: ["option '-e, --env <name>' argument missing"] },
  { name: 'plan with both --env and --all', args: ['plan', '--env', 'dev2', '--all'], expected: ['--env <name>', '--all'] },
  { name: 'plan with neither --env nor --all', args: ['plan'], expected: ['--env <name>', '--all'] },
  { name: 'review with neither --env nor --all', args: ['review'], expected: ['--env <name>', '--all'] },
  { name: 'an unknown command', args: ['deploy', '--env', 'dev2'], expected: ["unknown command 'deploy'"] },
  { name: 'an unknown flag', args: ['apply', '--env', 'dev2', '--forcefully'], expected: ["unknown option '--forcefully'"] },
  { name: 'an unknown emulator action', args: ['emulator', 'restart'], expected: ['Unknown emulator action "restart"'] },

  // The reviewed diff, damaged.
  {
    name: 'changes.json holding null',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => write(r, JSON_FILE, 'null\n'),
    expected: [`${JSON_FILE} is not a diff record that plan writes`],
  },
  {
    name: 'a review of changes.json holding null',
    args: ['review', '--env', 'dev2'],
    edit: (r) => write(r, JSON_FILE, 'null\n'),
    expected: [`${JSON_FILE} is not a diff record that plan writes`],
  },
  {
    name: 'changes.json holding an empty list',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => write(r, JSON_FILE, '[]\n'),
    expected: [`${JSON_FILE} is not a diff record that plan writes`],
  },
  {
    name: 'changes.json with layers of the wrong type',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => editJson(r, (j) => ({ ...j, layers: 'flag' })),
    expected: [`${JSON_FILE} is not a diff record that plan writes (layers:`],
  },
  {
    name: 'changes.json with a layer nobody knows',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => editJson(r, (j) => ({ ...j, layers: [{ ...(j.layers as object[])[0], layer: 'vpc' }] })),
    expected: [`${JSON_FILE} is not a diff record that plan writes (layers.0.layer:`],
  },
  {
    name: 'changes.json with a numeric digest',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => editJson(r, (j) => ({ ...j, digest: 42 })),
    expected: [`${JSON_FILE} is not a diff record that plan writes (digest:`],
  },
  {
    name: 'changes.json written by an older bdda, without typed plans',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => editJson(r, (j) => ({ ...j, formatVersion: 1 })),
    expected: [`${JSON_FILE} was written by an older bdda (format 1;`, 'Run plan again with this bdda'],
  },
  {
    name: 'changes.json with a layer whose typed plan is missing',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => editJson(r, (j) => ({ ...j, layers: [{ ...(j.layers as object[])[0], plan: undefined }] })),
    expected: [`${JSON_FILE} is not a diff record that plan writes (layers.0.plan:`],
  },
  {
    name: 'changes.json that is not JSON',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => write(r, JSON_FILE, '{"formatVersion": 1,'),
    expected: [`${JSON_FILE} is not valid JSON`],
  },
  {
    name: 'changes.json that is a directory',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => replaceWithDir(r, JSON_FILE),
    expected: [`${JSON_FILE} cannot be read (EISDIR)`],
  },
  {
    name: 'changes.txt without changes.json',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => fs.rmSync(path.join(r, JSON_FILE)),
    expected: [`${TXT} exists without ${JSON_FILE}`, 'interrupted'],
  },
  {
    name: 'changes.json without changes.txt',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => fs.rmSync(path.join(r, TXT)),
    expected: [`${JSON_FILE} exists without ${TXT}`, 'interrupted'],
  },
  {
    name: 'a changes.txt that changes.json does not describe',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => editFile(r, TXT, 'example_0', 'example_9'),
    expected: [`${TXT} and ${JSON_FILE} do not belong together`, 'interrupted', 'edited'],
    unexpected: /was edited by hand:/,
  },
  {
    name: 'a changes.json edited without its digest',
    args: ['apply', '--env', 'dev2'],
    edit: (r) => editJson(r, (j) => ({ ...j, environment: 'dev/dev1' })),
    expected: [`${JSON_FILE} was edited by hand: its digest does not match`],
  },
  {
    name: "another environment's diff copied in",
    args: ['apply', '--env', 'dev2'],
    edit: (r) => writeReviewedDiff(path.join(r, DEV2_DIR), 'dev/dev3', 2),
    expected: [`${JSON_FILE} is the diff of dev/dev3, not of dev/dev2`, 'npm run plan -- --env dev/dev2'],
  },
];

describe('bad input exits 1 naming the file, key or flag, with no stack trace, and changes nothing', () => {
  const saved = { ...process.env };
  const captured = captureConsole();
  let root: string;

  beforeEach(() => {
    root = makeScratch();
    process.env.BDDA_ROOT = root;
    process.env.BDDA_EMULATOR_PORT = String(PORT);
    // A genuine reviewed diff, which no failed command may touch.
    writeReviewedDiff(path.join(root, DEV2_DIR), 'dev/dev2', 3);
  });

  afterEach(() => {
    process.env = { ...saved };
    removeScratch(root);
  });

  test('without bad input, the command the cases run by default succeeds and writes its synthesis', async () => {
    const code = await runCli(captured, 'synth', '--env', 'dev2');
    expect(captured.errors).toEqual([]);
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(root, 'build', 'dev', 'dev2', 'stacks', 'flag', 'cdk.tf.json'))).toBe(true);
  });

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, bad) => {
    bad.edit?.(root);
    const before = snapshotTree(root);
    expect(Object.keys(before)).toEqual(expect.arrayContaining([expect.stringMatching(/dev2\/changes\.(txt|json)/)]));
    const undo = bad.inject?.(root);
    const code = await runCli(captured, ...(bad.args ?? ['synth', '--env', 'dev2'])).finally(undo);

    const output = [...captured.errors, ...captured.logs].join('\n');
    expect(code).toBe(1);
    // A string matches as a substring.
    for (const fragment of bad.expected) expect(captured.errors.join('\n')).toMatch(fragment);
    for (const pattern of [STACK_FRAME, /TypeError|ReferenceError|RangeError|SyntaxError/, ...(bad.unexpected ? [bad.unexpected] : [])]) {
      expect(output).not.toMatch(pattern);
    }
    expect(output).not.toContain(root); // paths are relative to the workspace root
    expect(snapshotTree(root)).toEqual(before);
    expect(fs.existsSync(path.join(root, 'build'))).toBe(false);
    expect(fs.existsSync(path.join(root, '.bdda'))).toBe(false);
  });
});

describe('the reviewed diff', () => {
  const saved = { ...process.env };
  const captured = captureConsole();
  let root: string;

  beforeEach(() => {
    root = makeScratch();
    process.env.BDDA_ROOT = root;
    process.env.BDDA_EMULATOR_PORT = String(PORT);
  });

  afterEach(() => {
    process.env = { ...saved };
    removeScratch(root);
  });

  test('a diff that plan wrote passes the changes.json schema', () => {
    writeReviewedDiff(path.join(root, DEV2_DIR), 'dev/dev2', 2);
    const read = readChanges(path.join(root, DEV2_DIR));
    expect(read?.record.environment).toBe('dev/dev2');
    expect(read?.record.layers.map((l) => l.counts.add)).toEqual([2]);
  });

  test('apply with no diff says there is no reviewed diff and suggests a plan, without claiming the environment is in sync', async () => {
    const code = await runCli(captured, 'apply', '--env', 'dev2');
    expect(code).toBe(0);
    const log = captured.logs.join('\n');
    expect(log).toContain(`no reviewed diff: ${TXT} does not exist`);
    expect(log).toContain('npm run plan -- --env dev/dev2');
    expect(log).not.toMatch(/no undeployed changes/);
    expect(fs.existsSync(path.join(root, 'build'))).toBe(false);
  });
});

describe('the region table', () => {
  test('holds every region the shipped environments use, each with at least two zones', () => {
    const regions = load.listEnvironments(REPO_ROOT).map((ref) => load.loadEnvironment(REPO_ROOT, ref.path).config.aws.region);
    for (const region of regions) expect(Object.keys(AWS_REGIONS)).toContain(region);
    for (const letters of Object.values(AWS_REGIONS)) expect(letters).toMatch(/^[a-z]{2,}$/);
  });
});

describe('a bug in bdda', () => {
  const saved = { ...process.env };
  const captured = captureConsole();
  let root: string;

  beforeEach(() => {
    root = makeScratch();
    process.env.BDDA_ROOT = root;
  });

  afterEach(() => {
    process.env = { ...saved };
    removeScratch(root);
  });

  const crashFiles = () => (fs.existsSync(path.join(root, '.bdda/crash')) ? fs.readdirSync(path.join(root, '.bdda/crash')) : []);

  test('is reported in one paragraph naming the crash report, which holds the full trace', async () => {
    jest.spyOn(load, 'listEnvironments').mockImplementation(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'path')");
    });
    const code = await runCli(captured, 'list');
    expect(code).toBe(1);
    const message = captured.errors.join('\n');
    expect(captured.errors).toHaveLength(1);
    expect(message).toContain('a bug in bdda');
    expect(message).toContain("TypeError: Cannot read properties of undefined (reading 'path')");
    expect(message).toContain('Please report it');
    expect(message).toContain('`bdda list`');
    expect(message).not.toMatch(STACK_FRAME);
    const files = crashFiles();
    expect(files).toHaveLength(1);
    expect(message).toContain(`The full trace was written to .bdda/crash/${files[0]}.`);
    const report = fs.readFileSync(path.join(root, '.bdda/crash', files[0]), 'utf8');
    expect(report).toContain('command: bdda list');
    expect(report).toMatch(STACK_FRAME);
    expect(report).toMatch(/bad-input\.test\.ts:\d+:\d+/);
  });

  test.each([
    ['an uncaught exception', "setTimeout(() => { throw new TypeError('stray callback'); }, 10);", 'TypeError: stray callback'],
    ['an unhandled rejection', "void Promise.reject(new RangeError('stray promise'));", 'RangeError: stray promise'],
  ])('that escapes as %s is reported the same way by the process handlers, exit 1', (_name, script, summary) => {
    const result = spawnSync(
      process.execPath,
      ['-r', require.resolve('ts-node/register/transpile-only'), '-e', `require('./bdda/support/crash').installCrashHandlers(process.argv); ${script}`],
      { cwd: REPO_ROOT, env: { ...process.env, BDDA_ROOT: root }, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('a bug in bdda');
    expect(result.stderr).toContain(summary);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    const files = crashFiles();
    expect(files).toHaveLength(1);
    expect(result.stderr).toContain(`.bdda/crash/${files[0]}`);
    expect(fs.readFileSync(path.join(root, '.bdda/crash', files[0]), 'utf8')).toMatch(STACK_FRAME);
  });
});
