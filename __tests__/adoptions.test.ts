/**
 * Pending adoptions live in the environment's folder (`imports.json`, reviewed and committed with
 * the diff): each plan copies a layer's blocks into its terraform working directory, apply removes
 * them only after that layer is applied, and the reviewed plan records each import's id. No
 * emulator: a stand-in terraform answers the apply.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BddaError } from '../config/errors';
import { loadEnvironment } from '../config/load';
import { layerDigest } from '../bdda/diff/changes';
import type { TypedPlan } from '../bdda/diff/typed-plan';
import { TerraformLayerEngine } from '../bdda/layers/terraform';
import { copyImportsToWorkingDir, IMPORTS_FILE, layerImports, writeLayerImports } from '../bdda/state/adoptions';
import type { PlanContext } from '../bdda/workflow/plan-context';
import { restoreEnv } from './support/cli-harness';
import { makeScratch, removeScratch } from './support/scratch';

const VPC = { to: 'aws_vpc.vpc', id: 'vpc-0abc' };
const SUBNET = { to: 'aws_subnet.private-subnet-eu-west-1a', id: 'subnet-0def' };
const CLUSTER = { to: 'aws_eks_cluster.cluster', id: 'dev-dev2' };
const WORKING_FILE = 'bdda_adopt_imports.tf.json';
const saved = { root: process.env.BDDA_ROOT, terraform: process.env.TERRAFORM_BINARY };

let root: string;
let envDir: string;
let outdir: string;

beforeEach(() => {
  root = makeScratch();
  process.env.BDDA_ROOT = root;
  envDir = path.join(root, 'environments/dev/dev2');
  outdir = path.join(root, 'build/dev/dev2');
  for (const layer of ['flag', 'karr']) {
    fs.mkdirSync(path.join(outdir, 'stacks', layer), { recursive: true });
    fs.writeFileSync(path.join(outdir, 'stacks', layer, 'cdk.tf.json'), '{}\n');
  }
});

afterEach(() => {
  removeScratch(root);
  restoreEnv('BDDA_ROOT', saved.root);
  restoreEnv('TERRAFORM_BINARY', saved.terraform);
});

const importsFile = () => path.join(envDir, IMPORTS_FILE);
const workingFile = (layer: string) => path.join(outdir, 'stacks', layer, WORKING_FILE);

test("adopt's blocks are kept per layer in the environment's folder, and the file goes with the last of them", () => {
  writeLayerImports(envDir, 'flag', [VPC, SUBNET]);
  writeLayerImports(envDir, 'karr', [CLUSTER]);
  expect(JSON.parse(fs.readFileSync(importsFile(), 'utf8'))).toEqual({ flag: [VPC, SUBNET], karr: [CLUSTER] });
  writeLayerImports(envDir, 'flag', []);
  expect(JSON.parse(fs.readFileSync(importsFile(), 'utf8'))).toEqual({ karr: [CLUSTER] });
  writeLayerImports(envDir, 'karr', []);
  expect(fs.existsSync(importsFile())).toBe(false);
});

test("a layer's imports are copied into its working directory as terraform import blocks, and removed there once none are pending", () => {
  writeLayerImports(envDir, 'flag', [VPC]);
  copyImportsToWorkingDir(envDir, 'flag', path.dirname(workingFile('flag')));
  copyImportsToWorkingDir(envDir, 'karr', path.dirname(workingFile('karr')));
  expect(JSON.parse(fs.readFileSync(workingFile('flag'), 'utf8'))).toEqual({ import: [VPC] });
  expect(fs.existsSync(workingFile('karr'))).toBe(false);
  writeLayerImports(envDir, 'flag', [], path.dirname(workingFile('flag')));
  expect(fs.existsSync(workingFile('flag'))).toBe(false);
});

test.each([
  ['not JSON', '{"flag": [', /environments\/dev\/dev2\/imports\.json is not valid JSON/],
  ['a layer that does not import', '{"goliath": []}', /environments\/dev\/dev2\/imports\.json: .*goliath/],
  ['a block without its id', '{"flag": [{"to": "aws_vpc.vpc"}]}', /environments\/dev\/dev2\/imports\.json: flag\.0\.id: /],
])('an imports file that is %s is refused, naming the file and what to do', (_what, content, message) => {
  fs.writeFileSync(importsFile(), content);
  const read = () => layerImports(envDir, 'flag');
  expect(read).toThrow(BddaError);
  expect(read).toThrow(message);
  expect(read).toThrow(/npm run adopt/);
});

describe('the terraform layer', () => {
  const env = () => loadEnvironment(root, 'dev2');
  const context = () =>
    ({
      env: env(),
      synth: { outdir },
      target: { terraformEnv: {}, credentialsHint: '' },
      progress: { step: () => undefined, warn: () => undefined, passthrough: () => undefined },
    }) as unknown as PlanContext;
  const engine = (layer: 'flag' | 'karr') => new TerraformLayerEngine({ layer, label: layer.toUpperCase() });
  /** A stand-in terraform whose apply ends with `code`. */
  const standIn = (code: number) => {
    const file = path.join(root, `terraform-exit-${code}.js`);
    fs.writeFileSync(file, `#!/usr/bin/env node\nprocess.stderr.write('Error: stand-in\\n');\nprocess.exit(${code});\n`, { mode: 0o755 });
    process.env.TERRAFORM_BINARY = file;
  };

  beforeEach(() => {
    writeLayerImports(envDir, 'flag', [VPC]);
    writeLayerImports(envDir, 'karr', [CLUSTER]);
  });

  test('prepare gives terraform the pending imports from the environment folder, so plan reads what was reviewed', () => {
    engine('flag').prepare(context());
    expect(JSON.parse(fs.readFileSync(workingFile('flag'), 'utf8'))).toEqual({ import: [VPC] });
    expect(engine('flag').preflightBlocksPlan(context())).toBe(true);
  });

  test("an applied layer's imports leave imports.json and its working directory; the other layer's stay", async () => {
    engine('flag').prepare(context());
    engine('karr').prepare(context());
    standIn(0);
    await engine('flag').apply(context());
    expect(JSON.parse(fs.readFileSync(importsFile(), 'utf8'))).toEqual({ karr: [CLUSTER] });
    expect(fs.existsSync(workingFile('flag'))).toBe(false);
    expect(fs.existsSync(workingFile('karr'))).toBe(true);
  });

  test('a failed apply keeps the imports', async () => {
    engine('flag').prepare(context());
    standIn(1);
    await expect(engine('flag').apply(context())).rejects.toThrow(/stand-in/);
    expect(JSON.parse(fs.readFileSync(importsFile(), 'utf8'))).toEqual({ flag: [VPC], karr: [CLUSTER] });
    expect(fs.existsSync(workingFile('flag'))).toBe(true);
  });
});

test('the reviewed digest covers each import id: imports.json changed after plan makes the diff stale', () => {
  const plan = (id: string): TypedPlan => ({
    changes: [{ address: VPC.to, type: 'aws_vpc', name: 'vpc', action: 'import', before: {}, after: {}, importing: true, importId: id }],
    outputs: [],
    drift: [],
  });
  const digest = (id: string) => layerDigest({ layer: 'flag', status: 'changes', plan: plan(id) });
  expect(digest('vpc-0abc')).toBe(digest('vpc-0abc'));
  expect(digest('vpc-0abc')).not.toBe(digest('vpc-9999'));
});
