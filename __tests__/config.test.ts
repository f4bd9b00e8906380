/**
 * The hierarchy: merge rules, name resolution, and validation of malformed configs. Every bad
 * config must fail with the file and key to fix, and leave nothing written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listEnvironments, loadEnvironment } from '../config/load';
import { mergeLevels } from '../config/merge';
import { environmentJsonSchema } from '../config/schema';
import { captureConsole, restoreEnv, runCli } from './support/cli-harness';
import { editFile, makeScratch, removeScratch, REPO_ROOT, snapshotTree } from './support/scratch';

describe('merging levels', () => {
  test('objects merge key by key, lists and scalars replace', () => {
    const merged = mergeLevels([
      { file: 'a', data: { vpc: { natMode: 'per-az', flowLogs: { enabled: true, retentionDays: 365 } }, azs: ['x', 'y', 'z'], n: 1 } },
      { file: 'b', data: { vpc: { flowLogs: { retentionDays: 7 } }, azs: ['q'], n: 2 } },
    ]);
    expect(merged.value).toEqual({ vpc: { natMode: 'per-az', flowLogs: { enabled: true, retentionDays: 7 } }, azs: ['q'], n: 2 });
    expect(merged.provenance.get('vpc.natMode')).toBe('a');
    expect(merged.provenance.get('vpc.flowLogs.retentionDays')).toBe('b');
  });

  test('a shipped leaf inherits from its tier and the organisation defaults', () => {
    const dev2 = loadEnvironment(REPO_ROOT, 'dev2');
    expect(dev2.files).toEqual(['environments/env.yaml', 'environments/dev/env.yaml', 'environments/dev/dev2/env.yaml']);
    expect(dev2.config.vpc.natMode).toBe('single'); // tier overrides the default per-az
    expect(dev2.config.vpc.flowLogs.enabled).toBe(true); // kept from the defaults
    expect(dev2.config.vpc.cidr).toBe('10.12.0.0/16'); // leaf
    expect(dev2.config.kubernetes.nodeGroups.general.labels).toEqual({ 'acme.io/pool': 'general' }); // merged map
    const us1 = loadEnvironment(REPO_ROOT, 'prod/us1');
    expect(us1.config.platform.teams.map((t) => t.name)).toEqual(['payments', 'search', 'checkout']); // list replaced
    expect(us1.config.protected).toBe(true);
  });
});

describe('finding environments', () => {
  test('lists every shipped leaf', () => {
    expect(listEnvironments(REPO_ROOT).map((e) => e.path)).toEqual(['dev/dev1', 'dev/dev2', 'dev/dev3', 'prod/eu1', 'prod/us1', 'staging/stg1']);
  });

  test('accepts a leaf name or its path', () => {
    expect(loadEnvironment(REPO_ROOT, 'dev2').path).toBe('dev/dev2');
    expect(loadEnvironment(REPO_ROOT, 'dev/dev2').path).toBe('dev/dev2');
    expect(loadEnvironment(REPO_ROOT, 'environments/prod/eu1/').path).toBe('prod/eu1');
  });

  test('an unknown name lists the known environments', () => {
    expect(() => loadEnvironment(REPO_ROOT, 'dev9')).toThrow(
      /no environment "dev9"\. Known environments: dev\/dev1, dev\/dev2, dev\/dev3, prod\/eu1, prod\/us1, staging\/stg1/,
    );
  });

  test('a tier is not deployable', () => {
    expect(() => loadEnvironment(REPO_ROOT, 'dev')).toThrow(/no environment "dev"/);
  });
});

describe('the JSON Schema for editors', () => {
  test('is generated from the validator and committed up to date', () => {
    const committed = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'environments', 'env.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(environmentJsonSchema())));
    expect(committed.properties.vpc.properties.natMode.enum).toEqual(['single', 'per-az']);
    expect(committed.required).toBeUndefined(); // each level is partial
  });
});

interface BadConfig {
  readonly name: string;
  readonly env?: string;
  readonly edit: (root: string) => void;
  /** The start of the error line: `<file>: <key>:`. */
  readonly expected: string;
  readonly detail?: RegExp;
}

const DEV2 = 'environments/dev/dev2/env.yaml';
const DEV = 'environments/dev/env.yaml';
const ROOT = 'environments/env.yaml';
const STAGING = 'environments/staging/env.yaml';
const PROD = 'environments/prod/env.yaml';

const badConfigs: BadConfig[] = [
  {
    name: 'a VPC CIDR with a /33 prefix',
    edit: (r) => editFile(r, DEV2, 'cidr: 10.12.0.0/16', 'cidr: 10.0.0.0/33'),
    expected: `${DEV2}: vpc.cidr:`,
    detail: /"10\.0\.0\.0\/33" is not an IPv4 CIDR/,
  },
  {
    name: 'a VPC CIDR with host bits',
    edit: (r) => editFile(r, DEV2, 'cidr: 10.12.0.0/16', 'cidr: 10.12.0.5/16'),
    expected: `${DEV2}: vpc.cidr:`,
    detail: /host bits/,
  },
  {
    name: 'a subnet outside the VPC',
    edit: (r) => editFile(r, DEV2, 'private: [10.12.16.0/20', 'private: [10.99.16.0/20'),
    expected: `${DEV2}: vpc.subnets.private[0]:`,
    detail: /not inside vpc\.cidr 10\.12\.0\.0\/16/,
  },
  {
    name: 'overlapping subnets',
    edit: (r) => editFile(r, DEV2, 'intra: [10.12.8.0/26, 10.12.8.64/26]', 'intra: [10.12.8.0/26, 10.12.0.0/26]'),
    expected: `${DEV2}: vpc.subnets.intra[1]:`,
    detail: /overlaps vpc\.subnets\.public\[0\]/,
  },
  {
    name: 'fewer subnets than AZs',
    edit: (r) => editFile(r, DEV2, 'public: [10.12.0.0/24, 10.12.1.0/24]', 'public: [10.12.0.0/24]'),
    expected: `${DEV2}: vpc.subnets.public:`,
    detail: /has 1 subnets but aws\.azs lists 2/,
  },
  {
    name: 'an AZ of another region',
    edit: (r) => editFile(r, DEV, 'azs: [us-east-1a, us-east-1b]', 'azs: [us-east-1a, eu-west-1b]'),
    expected: `${DEV}: aws.azs[1]:`,
    detail: /not an availability zone of region us-east-1/,
  },
  {
    name: 'a node group with min > desired',
    edit: (r) => editFile(r, DEV, 'minSize: 1', 'minSize: 2'),
    expected: `${DEV}: kubernetes.nodeGroups.general:`,
    detail: /minSize <= desiredSize <= maxSize, got 2 <= 1 <= 3/,
  },
  {
    name: 'a team name that is not DNS-1123',
    edit: (r) => editFile(r, DEV, 'name: payments', 'name: Payments_Team'),
    expected: `${DEV}: platform.teams[0].name:`,
    detail: /not a valid DNS-1123 label/,
  },
  {
    name: 'a team listed twice',
    edit: (r) => editFile(r, DEV, 'name: search', 'name: payments'),
    expected: `${DEV}: platform.teams[1].name:`,
    detail: /listed twice/,
  },
  { name: 'a misspelt key', edit: (r) => editFile(r, DEV2, 'vpc:', 'vpc:\n  natmode: single'), expected: `${DEV2}: vpc.natmode:`, detail: /Unrecognized key/ },
  {
    name: 'a version given as a number',
    edit: (r) => editFile(r, ROOT, /version: "1\.\d+"/, 'version: 1.30'),
    expected: `${ROOT}: kubernetes.version:`,
    detail: /expected a string, but YAML reads `1\.30` as the number 1\.3; quote it: version: "1\.30"/,
  },
  {
    name: 'broken YAML',
    edit: (r) => editFile(r, DEV2, 'vpc:', 'vpc: [unclosed'),
    expected: `${DEV2}: is not valid YAML at line`,
    detail: /line \d+, column \d+/,
  },
  { name: 'a list at the top level', edit: (r) => fs.writeFileSync(path.join(r, DEV2), '- just\n- a list\n'), expected: `${DEV2}: must hold a YAML mapping` },
  {
    name: 'a public-endpoint CIDR without a prefix',
    env: 'stg1',
    edit: (r) => editFile(r, STAGING, 'publicAccessCidrs: [203.0.113.0/24]', 'publicAccessCidrs: [203.0.113.7]'),
    expected: `${STAGING}: kubernetes.publicAccessCidrs[0]:`,
    detail: /is not an IPv4 CIDR/,
  },
  {
    name: 'a protected API open to the internet',
    env: 'prod/us1',
    edit: (r) => editFile(r, PROD, 'publicAccessCidrs: []', 'publicAccessCidrs: [0.0.0.0/0]'),
    expected: `${PROD}: kubernetes.publicAccessCidrs[0]:`,
    detail: /whole internet/,
  },
  {
    name: 'an admin that is not a role ARN',
    env: 'stg1',
    edit: (r) => editFile(r, STAGING, 'role/acme-platform-admin', 'user/alice'),
    expected: `${STAGING}: kubernetes.adminRoleArns[0]:`,
    detail: /not an IAM role ARN/,
  },
  {
    name: 'a cluster-autoscaler for another minor',
    edit: (r) => editFile(r, DEV2, 'vpc:', 'platform:\n  addons:\n    clusterAutoscaler: 1.34.5\nvpc:'),
    expected: `${DEV2}: platform.addons.clusterAutoscaler:`,
    detail: /1\.34\.5 does not match kubernetes\.version 1\.35/,
  },
  {
    name: 'a kube-proxy for another minor',
    edit: (r) => editFile(r, DEV2, 'vpc:', 'kubernetes:\n  addons:\n    kubeProxy: v1.34.0-eksbuild.5\nvpc:'),
    expected: `${DEV2}: kubernetes.addons.kubeProxy:`,
    detail: /kube-proxy's minor must equal the cluster's/,
  },
  {
    name: 'a minor missing from the EKS version table',
    edit: (r) => editFile(r, DEV2, 'vpc:', 'kubernetes:\n  version: "1.99"\nvpc:'),
    expected: `${DEV2}: kubernetes.version:`,
    detail: /1\.99 is not in the EKS version table .*eks-versions\.ts/,
  },
  {
    name: 'a minor the table has no add-on versions for',
    edit: (r) => editFile(r, DEV2, 'vpc:', 'kubernetes:\n  version: "1.33"\nvpc:'),
    expected: `${DEV2}: kubernetes.version: 1.33 is older than the minors this project deploys`,
    detail: /1\.33 is older[^\n]*(past EKS|in EKS standard support)/,
  },
  {
    name: 'an unpinned cluster-autoscaler without a digest',
    edit: (r) => editFile(r, DEV2, 'vpc:', 'platform:\n  addons:\n    clusterAutoscaler: 1.35.0\nvpc:'),
    expected: `${DEV2}: platform.addons.clusterAutoscalerDigest:`,
    detail: /give the digest of its image/,
  },
  {
    name: 'a team without IAM roles',
    edit: (r) => editFile(r, DEV, 'roleArns: [arn:aws:iam::123456789012:role/acme-team-search]', 'roleArns: []'),
    expected: `${DEV}: platform.teams[1].roleArns:`,
    detail: /lists no IAM role for team "search"/,
  },
  {
    name: 'prod without interface endpoints',
    env: 'prod/us1',
    edit: (r) => editFile(r, PROD, 'interfaceEndpoints: true', 'interfaceEndpoints: false'),
    expected: `${PROD}: vpc.interfaceEndpoints:`,
    detail: /off in a protected environment/,
  },
  {
    name: 'prod without a system node group',
    env: 'prod/us1',
    edit: (r) => editFile(r, PROD, '  systemNodeGroup: system\n', ''),
    expected: 'kubernetes.systemNodeGroup:',
    detail: /not set in a protected environment/,
  },
  {
    name: 'a real account without a deploy role',
    env: 'stg1',
    edit: (r) => editFile(r, STAGING, / {2}deployer:\n {4}roleArn: .*\n/, ''),
    expected: 'kubernetes.deployer.roleArn:',
    detail: /needs the IAM role CI assumes/,
  },
  {
    name: 'a private API nobody can reach',
    env: 'prod/us1',
    edit: (r) => editFile(r, 'environments/prod/us1/env.yaml', / {2}runnerSubnet: .*\n/, ''),
    expected: 'kubernetes.deployer:',
    detail: /no way to the private-only API endpoint/,
  },
  {
    name: 'a runner subnet overlapping the private subnets',
    env: 'prod/us1',
    edit: (r) => editFile(r, 'environments/prod/us1/env.yaml', 'runnerSubnet: 10.100.12.0/24', 'runnerSubnet: 10.100.32.0/24'),
    expected: 'environments/prod/us1/env.yaml: vpc.runnerSubnet:',
    detail: /overlaps vpc\.subnets\.private\[0\]/,
  },
  {
    name: 'an emulated environment in a real account',
    edit: (r) => editFile(r, DEV, 'accountId: "123456789012"', 'accountId: "999999999999"'),
    expected: `${DEV}: aws.accountId:`,
    detail: /emulator's account 123456789012/,
  },
  {
    name: 'a flow-log retention CloudWatch refuses',
    edit: (r) => editFile(r, DEV, 'retentionDays: 7', 'retentionDays: 10'),
    expected: `${DEV}: vpc.flowLogs.retentionDays:`,
    detail: /10 is not a retention CloudWatch accepts/,
  },
  { name: 'a missing VPC CIDR', edit: (r) => editFile(r, DEV2, / {2}cidr: 10\.12\.0\.0\/16\n/, ''), expected: `${DEV2}: vpc.cidr:` },
  {
    name: 'two leaves with one name',
    edit: (r) => {
      fs.mkdirSync(path.join(r, 'environments/staging/dev2'));
      fs.writeFileSync(path.join(r, 'environments/staging/dev2/env.yaml'), 'emulated: false\n');
    },
    expected: 'environments/staging/dev2/env.yaml: leaf name "dev2" is also used by dev/dev2',
  },
  {
    name: 'a team claiming kube-system',
    edit: (r) => editFile(r, DEV, 'name: search', 'name: kube-system'),
    expected: `${DEV}: platform.teams[1].name:`,
    detail: /reserved namespace/,
  },
];

describe('malformed configs fail with the file and key, and write nothing', () => {
  let root: string;
  const captured = captureConsole();
  const { errors } = captured;
  const savedRoot = process.env.BDDA_ROOT;

  beforeEach(() => {
    root = makeScratch();
    process.env.BDDA_ROOT = root;
  });

  afterEach(() => {
    restoreEnv('BDDA_ROOT', savedRoot);
    removeScratch(root);
  });

  test.each(badConfigs.map((c) => [c.name, c] as const))('%s', async (_name, bad) => {
    bad.edit(root);
    const before = snapshotTree(root);
    const code = await runCli(captured, 'synth', '--env', bad.env ?? 'dev2');
    expect(code).toBe(1);
    const message = errors.join('\n');
    for (const fragment of [bad.expected, ...(bad.detail ? [bad.detail] : [])]) expect(message).toMatch(fragment);
    expect(snapshotTree(root)).toEqual(before);
    expect(fs.existsSync(path.join(root, 'build'))).toBe(false);
  });

  test('a good config synthesizes into build/', async () => {
    const code = await runCli(captured, 'synth', '--env', 'dev2');
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(root, 'build/dev/dev2/stacks/flag/cdk.tf.json'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'build/dev/dev2/goliath/goliath.k8s.yaml'))).toBe(true);
  });
});
