/**
 * The EKS version table and what plan does with it: warnings past standard support, refusal past
 * extended support, warnings for allowed-but-weak configs, and a one-minor upgrade that updates
 * in place.
 *
 * The upgrade test synthesizes both minors and compares the terraform JSON attribute by
 * attribute (not a real `terraform plan`: the emulator implements no EKS add-ons and keeps no
 * cluster versions worth upgrading). Every attribute that changes must be one the AWS provider
 * updates in place: `aws_eks_cluster.version` (UpdateClusterVersion), `aws_eks_addon.addon_version`
 * (UpdateAddon), `aws_eks_node_group.version` (UpdateNodegroupVersion, which rolls the nodes).
 * Node groups reference the cluster's version, so their JSON does not change; terraform plans the
 * reference's new value as an in-place update of each group.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EKS_MINORS, nextMinor, supportStatus } from '../config/eks-versions';
import { listEnvironments, loadEnvironment, type Environment } from '../config/load';
import { environmentConfigSchema } from '../config/schema';
import { planWarnings } from '../config/warnings';
import { ConfigError } from '../config/errors';
import { buildTerraformApp, synthesizeGoliath } from '../bdda/workflow/synth-apps';

const root = path.resolve(__dirname, '..');
const environments = listEnvironments(root).map((ref) => loadEnvironment(root, ref.path));
const DAY = new Date('2026-11-26T12:00:00Z');

const withVersion = (env: Environment, version: string): Environment => ({
  ...env,
  config: { ...env.config, kubernetes: { ...env.config.kubernetes, version } },
});

describe('the EKS version table', () => {
  test('every minor leaves standard support before extended support, a year apart, in minor order', () => {
    const minors = Object.keys(EKS_MINORS);
    for (const [minor, row] of Object.entries(EKS_MINORS)) {
      expect(row.endOfStandardSupport < row.endOfExtendedSupport).toBe(true);
      const months = (Date.parse(row.endOfExtendedSupport) - Date.parse(row.endOfStandardSupport)) / (30.4 * 86_400_000);
      expect({ minor, months: Math.round(months) }).toEqual({ minor, months: 12 });
    }
    for (let i = 1; i < minors.length; i++) expect(minors[i]).toBe(nextMinor(minors[i - 1]));
  });

  test('1.31 leaves extended support on 2026-11-26 and 1.35 is in standard support then', () => {
    expect(supportStatus('1.31', new Date('2026-11-25T23:00:00Z'))).toBe('extended');
    expect(supportStatus('1.31', DAY)).toBe('ended');
    expect(supportStatus('1.35', DAY)).toBe('standard');
    expect(supportStatus('1.35', new Date('2027-03-27T00:00:00Z'))).toBe('extended');
  });

  test('every shipped environment runs a minor in standard support on 2026-11-26', () => {
    for (const env of environments)
      expect({ env: env.path, status: supportStatus(env.config.kubernetes.version, DAY) }).toEqual({ env: env.path, status: 'standard' });
  });

  test('the schema accepts a minor the table does not know yet, so a new minor needs a table row, not a regex', () => {
    const [env] = environments;
    const parsed = environmentConfigSchema.safeParse({ ...env.config, kubernetes: { ...env.config.kubernetes, version: '1.40' } });
    expect(parsed.success).toBe(true);
    expect(environmentConfigSchema.safeParse({ ...env.config, kubernetes: { ...env.config.kubernetes, version: '2.x' } }).success).toBe(false);
  });
});

describe('plan warnings', () => {
  const dev2 = environments.find((env) => env.path === 'dev/dev2') as Environment;
  const staging = environments.find((env) => env.path === 'staging/stg1') as Environment;
  const prod = environments.find((env) => env.path === 'prod/us1') as Environment;

  test('nothing about versions for a minor in standard support', () => {
    expect(planWarnings(dev2, DAY).filter((w) => w.includes('kubernetes.version'))).toEqual([]);
  });

  test('a minor past standard support is warned about, with the minor to move to', () => {
    const warnings = planWarnings(withVersion(dev2, '1.32'), DAY);
    expect(warnings).toContainEqual(expect.stringMatching(/kubernetes\.version 1\.32 is past EKS standard support \(ended 2026-03-23\).*Upgrade to 1\.33/));
  });

  test('a minor past extended support is refused, naming the key and the upgrade', () => {
    let error: unknown;
    try {
      planWarnings(withVersion(dev2, '1.31'), DAY);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/kubernetes\.version.*1\.31 left EKS extended support on 2026-11-26.*Upgrade to 1\.32/);
  });

  test('allowed but weak real-account configs are warned about: no interface endpoints, no system node group, a public API', () => {
    const warnings = planWarnings(staging, DAY);
    expect(warnings).toContainEqual(expect.stringContaining('vpc.interfaceEndpoints is off'));
    expect(warnings).toContainEqual(expect.stringContaining('kubernetes.systemNodeGroup is not set'));
    expect(warnings).toContainEqual(expect.stringContaining('the cluster API is public to 203.0.113.0/24'));
  });

  test('prod, which has every control on, plans without warnings', () => {
    expect(planWarnings(prod, DAY)).toEqual([]);
  });
});

describe('a one-minor upgrade (1.34 to 1.35), synthesized both ways', () => {
  const tmp = path.join(root, 'build');
  let out: string;
  beforeAll(() => {
    fs.mkdirSync(tmp, { recursive: true });
    out = fs.mkdtempSync(path.join(tmp, 'upgrade-test-'));
  });
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  const karrJson = (env: Environment, name: string): Record<string, Record<string, Record<string, unknown>>> => {
    const dir = path.join(out, name);
    buildTerraformApp(env, dir).synth();
    return JSON.parse(fs.readFileSync(path.join(dir, 'stacks', 'karr', 'cdk.tf.json'), 'utf8')).resource;
  };

  /** Leaf paths that differ between two JSON values, as `type.name.attribute...`. */
  function changedPaths(a: unknown, b: unknown, at = ''): string[] {
    if (JSON.stringify(a) === JSON.stringify(b)) return [];
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      return [...keys].flatMap((k) => changedPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
    }
    return [at];
  }

  /** Attributes the AWS provider changes without replacing the resource. */
  const IN_PLACE = [
    /^aws_eks_cluster\.[^.]+\.version$/,
    /^aws_eks_addon\.[^.]+\.addon_version$/,
    /^aws_eks_node_group\.[^.]+\.version$/,
    /^aws_eks_node_group\.[^.]+\.release_version$/,
  ];

  test.each(['dev/dev2', 'prod/us1'])('%s: the same resources, and only in-place attributes change', (envPath) => {
    const env = environments.find((e) => e.path === envPath) as Environment;
    const before = karrJson(withVersion(env, '1.34'), `${envPath.replace('/', '-')}-1.34`);
    const after = karrJson(withVersion(env, '1.35'), `${envPath.replace('/', '-')}-1.35`);
    const addresses = (json: typeof before) =>
      Object.entries(json)
        .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
        .sort();
    expect(addresses(after)).toEqual(addresses(before));
    const changed = changedPaths(before, after);
    expect(changed).toContainEqual(expect.stringMatching(/^aws_eks_cluster\.[^.]+\.version$/));
    expect(changed.filter((p) => !IN_PLACE.some((re) => re.test(p)))).toEqual([]);
    const [from, to] = [EKS_MINORS['1.34'].addons!, EKS_MINORS['1.35'].addons!];
    const moved = (Object.keys(to) as Array<keyof typeof to>).filter((addon) => from[addon] !== to[addon]);
    // The emulator runs no add-ons, so only a real environment's add-on versions move.
    expect(changed.filter((p) => p.endsWith('.addon_version'))).toHaveLength(env.config.emulated ? 0 : moved.length);
    // Node groups follow the cluster by reference, so their JSON is the same on both sides.
    for (const group of Object.values(after.aws_eks_node_group)) expect(group.version).toMatch(/^\$\{aws_eks_cluster\.[^.]+\.version\}$/);
  });

  test('Goliath changes only the cluster-autoscaler image and the Pod Security version labels', () => {
    const env = environments.find((e) => e.path === 'prod/us1') as Environment;
    const lines = (text: string) => text.split('\n');
    const before = lines(synthesizeGoliath(withVersion(env, '1.34')));
    const after = lines(synthesizeGoliath(withVersion(env, '1.35')));
    expect(after).toHaveLength(before.length);
    const changed = after.filter((line, i) => line !== before[i]);
    for (const line of changed) expect(line).toMatch(/pod-security\.kubernetes\.io\/\w+-version: v1\.35|cluster-autoscaler:v1\.35\.\d+@sha256:/);
    expect(changed.some((line) => line.includes('cluster-autoscaler:v1.35'))).toBe(true);
  });
});
