/**
 * `npm run plan` (Build-Diff) end to end: the real terraform and the Goliath diff against a
 * private emulator, in a scratch checkout. The tests run in order and build on each other:
 * dev/dev2 goes from fresh to FLAG applied to everything applied; dev/dev3 carries the Goliath
 * cases on its own state keys.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ChangesRecord, readChanges } from '../../bdda/diff/changes';
import { sha256 } from '../../bdda/support/digest';
import { loadEnvironment } from '../../config/load';
import { emulatorEndpoint } from '../../bdda/engines/emulator';
import { StateBackend } from '../../bdda/state/state-backend';
import { captureConsole, runCli } from '../support/cli-harness';
import { applySavedPlan, holdTerraformLock, testEmulatorPort } from '../support/emulated';
import { emulatedSuite } from '../support/emulated-suite';
import { editFile, snapshotTree } from '../support/scratch';

const PORT = testEmulatorPort(25600);
const ENDPOINT = emulatorEndpoint(PORT);

const DEV_YAML = 'environments/dev/env.yaml';
// Teams name per-account IAM roles, so they are set per tier.
const TEAMS_YAML = DEV_YAML;

const suite = emulatedSuite({ port: PORT, env: 'dev/dev2' });
const captured = captureConsole();
const { errors, logs } = captured;

/** Runs `bdda plan` in-process; console output of earlier runs is dropped. */
function plan(env: string, ...flags: string[]): Promise<number> {
  return runCli(captured, 'plan', '--env', env, ...flags);
}

const envDir = (envPath: string) => path.join(suite.root, 'environments', envPath);
const txtFile = (envPath: string) => path.join(envDir(envPath), 'changes.txt');
const jsonFile = (envPath: string) => path.join(envDir(envPath), 'changes.json');
const readTxt = (envPath: string) => fs.readFileSync(txtFile(envPath), 'utf8');
const readJson = (envPath: string) => JSON.parse(fs.readFileSync(jsonFile(envPath), 'utf8')) as ChangesRecord;

function layerOf(record: ChangesRecord, layer: string): ChangesRecord['layers'][number] {
  const found = record.layers.find((l) => l.layer === layer);
  if (!found) throw new Error(`changes.json has no layer ${layer}`);
  return found;
}

/** The `n` layer summaries of changes.txt: its last lines but the policy line. */
function summaries(text: string, n = 3): string[] {
  return text
    .trimEnd()
    .split('\n')
    .slice(-n - 1, -1);
}

/** One layer's section of changes.txt, without the header line. */
function section(text: string, label: 'FLAG' | 'KARR' | 'GOLIATH'): string {
  const start = text.search(new RegExp(`^======== ${label} \\(.*\\) ========$`, 'm'));
  if (start < 0) throw new Error(`changes.txt has no ${label} section`);
  const rest = text.slice(start).split('\n').slice(1).join('\n');
  const next = rest.search(/^======== [A-Z]+ \(.*\) ========$/m);
  return next < 0 ? rest : rest.slice(0, next);
}

/** Every changes.txt / changes.json under environments/. */
function diffFiles(): string[] {
  return Object.keys(snapshotTree(path.join(suite.root, 'environments'))).filter((f) => /changes\.(txt|json)$/.test(f));
}

/** Records the Goliath manifests synthesized into build/ as the last apply would. */
async function recordGoliath(envPath: string): Promise<void> {
  const env = loadEnvironment(suite.root, envPath);
  const manifests = fs.readFileSync(path.join(suite.root, 'build', envPath, 'goliath', 'goliath.k8s.yaml'), 'utf8');
  const backend = new StateBackend({ ...env.config.backend, endpoint: ENDPOINT });
  try {
    await backend.putObject(env.naming.stateKey('goliath'), manifests, 'application/yaml');
  } finally {
    backend.destroy();
  }
}

const planFileOf = (envPath: string, layer: 'flag' | 'karr') => path.join(suite.root, 'build', envPath, 'stacks', layer, `${layer}.tfplan`);

/** Runs `fn` with a scratch file edited, and puts the file back afterwards. */
async function withFileRestored<T>(rel: string, fn: () => Promise<T>): Promise<T> {
  const file = path.join(suite.root, rel);
  const original = fs.readFileSync(file, 'utf8');
  try {
    return await fn();
  } finally {
    fs.writeFileSync(file, original);
  }
}

describe('plan refuses bad input and writes nothing', () => {
  test('an unknown environment exits non-zero, names the known ones and writes nothing', async () => {
    const before = snapshotTree(path.join(suite.root, 'environments'));
    const code = await plan('dev9', '--detailed-exitcode');
    expect(code).toBe(1);
    expect(errors.join('\n')).toMatch(/no environment "dev9"\. Known environments: .*dev\/dev2/);
    expect(snapshotTree(path.join(suite.root, 'environments'))).toEqual(before);
    expect(diffFiles()).toEqual([]);
  });

  test('a broken config exits non-zero, names the file and key, and writes nothing', async () => {
    await withFileRestored(DEV_YAML, async () => {
      editFile(suite.root, DEV_YAML, 'retentionDays: 7', 'retentionDays: 10');
      const before = snapshotTree(path.join(suite.root, 'environments'));
      const code = await plan('dev2', '--detailed-exitcode');
      expect(code).toBe(1);
      expect(errors.join('\n')).toContain(`${DEV_YAML}: vpc.flowLogs.retentionDays:`);
      expect(snapshotTree(path.join(suite.root, 'environments'))).toEqual(before);
      expect(diffFiles()).toEqual([]);
    });
  });
});

describe('plan of an emulated environment', () => {
  let firstTxt: Buffer;
  let firstJson: Buffer;

  test("a fresh environment plans FLAG as creates, KARR as a preview against FLAG's planned outputs and GOLIATH as adds", async () => {
    const code = await plan('dev2', '--detailed-exitcode');
    expect({ code, errors }).toEqual({ code: 2, errors: [] });
    expect(logs.join('\n')).toMatch(/A fresh emulator was started/);

    const text = readTxt('dev/dev2');
    const [flagLine, karrLine, goliathLine] = summaries(text);
    const flagAdds = Number(flagLine.match(/^FLAG: (\d+) to add, 0 to change, 0 to destroy\.$/)?.[1]);
    expect(flagAdds).toBeGreaterThan(20);
    const karrAdds = Number(karrLine.match(/^KARR: (\d+) to add, 0 to change, 0 to destroy \(preview until FLAG is applied\)\.$/)?.[1]);
    expect(karrAdds).toBeGreaterThan(10);
    const goliathAdds = Number(goliathLine.match(/^GOLIATH: (\d+) to add, 0 to change, 0 to delete\.$/)?.[1]);
    expect(goliathAdds).toBeGreaterThan(0);

    // One section per layer, in order, each saying what produced it, then the policy results.
    const headers = text.match(/^======== .* ========$/gm);
    expect(headers).toEqual([
      '======== FLAG (terraform plan) ========',
      '======== KARR (terraform plan, a preview) ========',
      '======== GOLIATH (diff against the recorded manifests) ========',
      '======== POLICY (rules on the configuration and on these plans) ========',
    ]);
    expect(text.trimEnd().split('\n').at(-1)).toBe('POLICY: 0 errors, 0 warnings');
    expect(section(text, 'FLAG')).toMatch(/^ {2}# aws_vpc\.vpc will be created$/m);
    expect(section(text, 'KARR')).toMatch(/^PREVIEW: KARR planned against FLAG's planned outputs/m);
    expect(section(text, 'KARR')).toContain('(known after FLAG is applied)');

    const record = readJson('dev/dev2');
    expect(record.formatVersion).toBe(3);
    expect(record.environment).toBe('dev/dev2');
    expect(record.policy).toMatchObject({ results: [], errors: 0, warnings: 0, waived: 0, waivers: { file: 'environments/dev/dev2/waivers.yaml' } });
    expect(record.tools).toEqual({ terraform: '1.11.4', 'hashicorp/aws': '5.100.0', emulator: 'moto' });
    expect(record.layers.map((l) => l.layer)).toEqual(['flag', 'karr', 'goliath']);

    const flag = layerOf(record, 'flag');
    expect(flag).toMatchObject({ engine: 'terraform plan', status: 'changes', summary: flagLine, counts: { add: flagAdds, change: 0, destroy: 0 } });
    expect(flag.actions['aws_vpc.vpc']).toBe('create');
    expect(flag.actions['aws_cloudwatch_log_group.flow-log-group']).toBe('create');
    expect(Object.keys(flag.actions)).toHaveLength(flagAdds);
    expect(new Set(Object.values(flag.actions))).toEqual(new Set(['create']));

    const karr = layerOf(record, 'karr');
    expect(karr).toMatchObject({ status: 'preview', summary: karrLine, counts: { add: karrAdds, change: 0, destroy: 0 } });
    expect(karr.actions['aws_eks_cluster.cluster']).toBe('create');
    expect(karr.preview?.upstream).toBe('flag');

    const goliath = layerOf(record, 'goliath');
    expect(goliath).toMatchObject({ status: 'changes', summary: goliathLine, counts: { add: goliathAdds, change: 0, delete: 0 } });
    expect(goliath.actions['v1 ResourceQuota payments/team-quota']).toBe('create');
    expect(Object.keys(goliath.actions)).toHaveLength(goliathAdds);

    for (const layer of record.layers) expect(layer.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(record.layers.map((l) => l.digest)).size).toBe(3);
    expect(record.textDigest).toBe(sha256(text));
    // The pair is what apply accepts as a reviewed diff.
    expect(readChanges(envDir('dev/dev2'))?.record.digest).toBe(record.digest);

    // Only the planned environment got a diff.
    expect(diffFiles().sort()).toEqual(['dev/dev2/changes.json', 'dev/dev2/changes.txt']);
    firstTxt = fs.readFileSync(txtFile('dev/dev2'));
    firstJson = fs.readFileSync(jsonFile('dev/dev2'));
  });

  test('a second identical plan writes byte-identical files and exits 0 without --detailed-exitcode', async () => {
    const code = await plan('dev/dev2');
    expect({ code, errors }).toEqual({ code: 0, errors: [] });
    expect(logs.join('\n')).not.toMatch(/A fresh emulator was started/);
    expect(fs.readFileSync(txtFile('dev/dev2')).equals(firstTxt)).toBe(true);
    expect(fs.readFileSync(jsonFile('dev/dev2')).equals(firstJson)).toBe(true);
  });

  test('a held state lock fails with the holder named and leaves the previous diff untouched', async () => {
    const env = loadEnvironment(suite.root, 'dev2');
    const { bucket, region, lockTable } = env.config.backend;
    const lock = await holdTerraformLock(ENDPOINT, { table: lockTable, bucket, region, stateKey: env.naming.stateKey('flag'), who: 'someone@host' });
    expect(lock.lockId).toBe('acme-bdda-dev-state/dev/dev2/flag.tfstate');
    try {
      const before = snapshotTree(path.join(suite.root, 'environments'));
      const code = await plan('dev2', '--detailed-exitcode');
      expect(code).toBe(1);
      const message = errors.join('\n');
      expect(message).toMatch(/state is locked/);
      expect(message).toContain('someone@host');
      expect(message).toContain('3f2a9c1e-0000-4000-8000-000000000001');
      // No partial diff: the diff of the last successful plan stays as it was.
      expect(snapshotTree(path.join(suite.root, 'environments'))).toEqual(before);
      expect(fs.readFileSync(txtFile('dev/dev2')).equals(firstTxt)).toBe(true);
      expect(fs.readFileSync(jsonFile('dev/dev2')).equals(firstJson)).toBe(true);
    } finally {
      await lock.release();
    }
  });
});

describe('plan of Goliath on an emulated environment', () => {
  test('a changed team quota shows as a Kubernetes diff, a removed team as deletions', async () => {
    expect(await runCli(captured, 'synth', '--env', 'dev3')).toBe(0);
    await recordGoliath('dev/dev3');

    await withFileRestored(TEAMS_YAML, async () => {
      editFile(suite.root, TEAMS_YAML, 'quota: { cpu: "8", memory: 16Gi, pods: 50 }', 'quota: { cpu: "10", memory: 16Gi, pods: 50 }');
      let code = await plan('dev3', '--detailed-exitcode');
      expect({ code, errors }).toEqual({ code: 2, errors: [] });
      let text = readTxt('dev/dev3');
      expect(summaries(text)[2]).toBe('GOLIATH: 0 to add, 1 to change, 0 to delete.');
      let goliath = layerOf(readJson('dev/dev3'), 'goliath');
      expect(goliath.actions).toEqual({ 'v1 ResourceQuota payments/team-quota': 'update' });
      expect(goliath.counts).toEqual({ add: 0, change: 1, delete: 0 });
      const quotaDiff = section(text, 'GOLIATH');
      expect(quotaDiff).toContain('# v1 ResourceQuota payments/team-quota will be changed');
      expect(quotaDiff).toMatch(/^-\s+requests\.cpu: "8"$/m);
      expect(quotaDiff).toMatch(/^\+\s+requests\.cpu: "10"$/m);
      expect(quotaDiff).not.toMatch(/^[-+]\s+limits\.memory/m);

      editFile(suite.root, TEAMS_YAML, / {4}- name: search\n {6}group: acme:team-search\n {6}roleArns: \[[^\]]*\]\n {6}quota: \{[^}]*\}\n/, '');
      code = await plan('dev3', '--detailed-exitcode');
      expect({ code, errors }).toEqual({ code: 2, errors: [] });
      text = readTxt('dev/dev3');
      goliath = layerOf(readJson('dev/dev3'), 'goliath');
      const deleted = Object.entries(goliath.actions)
        .filter(([, a]) => a === 'delete')
        .map(([address]) => address);
      expect(deleted).toEqual(expect.arrayContaining(['v1 Namespace search', 'v1 ResourceQuota search/team-quota']));
      expect(deleted.every((address) => / search(\/|$)/.test(address))).toBe(true);
      // The quota still changed, and the three team guards' bindings no longer list the removed team.
      const changed = Object.entries(goliath.actions)
        .filter(([, a]) => a === 'update')
        .map(([address]) => address)
        .sort();
      expect(changed).toEqual([
        'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding goliath-team-open-network-policies',
        'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding goliath-team-public-load-balancers',
        'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding goliath-team-system-priority',
        'v1 ResourceQuota payments/team-quota',
      ]);
      expect(goliath.counts).toEqual({ add: 0, change: 4, delete: deleted.length });
      expect(summaries(text)[2]).toBe(`GOLIATH: 0 to add, 4 to change, ${deleted.length} to delete.`);
      const teamDiff = section(text, 'GOLIATH');
      expect(teamDiff).toContain('# v1 ResourceQuota search/team-quota will be deleted (it left the chart)');
      expect(teamDiff).toContain('+++ /dev/null');
      expect(teamDiff).toMatch(/^-\s+namespace: search$/m);
    });
  });
});

describe('plan after FLAG is applied', () => {
  test("a changed flow-log retention plans as an in-place update of FLAG, and KARR's preview knows every FLAG output", async () => {
    let code = await plan('dev2', '--detailed-exitcode');
    expect({ code, errors }).toEqual({ code: 2, errors: [] });
    applySavedPlan(suite.root, planFileOf('dev/dev2', 'flag'), ENDPOINT);

    await withFileRestored(DEV_YAML, async () => {
      editFile(suite.root, DEV_YAML, 'retentionDays: 7', 'retentionDays: 14');
      code = await plan('dev2', '--detailed-exitcode');
      expect({ code, errors }).toEqual({ code: 2, errors: [] });
      const text = readTxt('dev/dev2');
      const [flagLine, karrLine] = summaries(text);
      expect(flagLine).toBe('FLAG: 0 to add, 1 to change, 0 to destroy.');
      expect(section(text, 'FLAG')).toMatch(/^\s+~ retention_in_days\s+= 7 -> 14$/m);
      const record = readJson('dev/dev2');
      expect(layerOf(record, 'flag').actions).toEqual({ 'aws_cloudwatch_log_group.flow-log-group': 'update' });
      // FLAG has a change, so KARR is a preview; FLAG's plan moves no output, so it has no placeholder.
      const karrAdds = Number(karrLine.match(/^KARR: (\d+) to add, 0 to change, 0 to destroy \(preview until FLAG is applied\)\.$/)?.[1]);
      expect(karrAdds).toBeGreaterThan(0);
      expect(layerOf(record, 'karr')).toMatchObject({
        status: 'preview',
        counts: { add: karrAdds, change: 0, destroy: 0 },
        preview: { upstream: 'flag', placeholders: [] },
      });
      expect(layerOf(record, 'karr').actions['aws_eks_cluster.cluster']).toBe('create');
      expect(section(text, 'KARR').replace(/^PREVIEW: .*$/m, '')).not.toContain('(known after FLAG is applied)');
      expect(section(text, 'KARR')).toMatch(/"subnet-[0-9a-f]{8,}"/);
    });
  });

  test('when every layer is in sync, plan removes the previous diff and exits 0', async () => {
    // Retention is back at the applied 7: FLAG is in sync; KARR still has everything to create.
    let code = await plan('dev2', '--detailed-exitcode');
    expect({ code, errors }).toEqual({ code: 2, errors: [] });
    expect(summaries(readTxt('dev/dev2'))[0]).toBe('FLAG: no changes.');
    applySavedPlan(suite.root, planFileOf('dev/dev2', 'karr'), ENDPOINT);
    await recordGoliath('dev/dev2');
    expect(fs.existsSync(txtFile('dev/dev2')) && fs.existsSync(jsonFile('dev/dev2'))).toBe(true);

    code = await plan('dev2', '--detailed-exitcode');
    const leftover = fs.existsSync(txtFile('dev/dev2')) ? summaries(readTxt('dev/dev2')) : [];
    expect({ code, errors, leftover }).toEqual({ code: 0, errors: [], leftover: [] });
    expect(fs.existsSync(jsonFile('dev/dev2'))).toBe(false);
    expect(logs.join('\n')).toMatch(/no changes in any layer/);
  });
});
