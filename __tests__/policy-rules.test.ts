/**
 * Every shipped policy rule can fail: each configuration rule passes on the shipped synthesis of
 * dev2 (emulated) and prod/us1 (real, protected), and finds its control missing once it is
 * removed from the synthesized JSON or manifests (or from the config); each plan rule is tried
 * on hand-built typed plans.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironment, type Environment } from '../config/load';
import { MANAGED_BY, PLATFORM_DEPLOYERS_GROUP } from '../config/naming';
import { RULES } from '../policies';
import type { SynthesizedEnvironment } from '../policies/rule';
import { evaluateSynthesized, readSynthesis } from '../bdda/policy/evaluate';
import { policyGate } from '../bdda/policy/report';
import type { Waivers } from '../bdda/policy/waivers';
import type { ResourceChange, TypedPlan } from '../bdda/diff/typed-plan';
import { synthesize } from '../bdda/workflow/synth';

const root = path.resolve(__dirname, '..');
const NO_WAIVERS: Waivers = { file: 'environments/x/waivers.yaml', entries: [], digest: '' };

let tmp: string;
const shipped: Record<string, SynthesizedEnvironment> = {};

async function synthesized(env: Environment, label: string): Promise<SynthesizedEnvironment> {
  const outdir = path.join(tmp, label);
  return readSynthesis(env, await synthesize(env, outdir));
}

beforeAll(async () => {
  fs.mkdirSync(path.join(root, 'build'), { recursive: true });
  tmp = fs.mkdtempSync(path.join(root, 'build', 'policy-rules-test-'));
  for (const name of ['dev2', 'us1']) shipped[name] = await synthesized(loadEnvironment(root, name), name);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A deep copy of a shipped synthesis, to remove a control from. */
const copy = (name: string): SynthesizedEnvironment => ({
  ...shipped[name],
  ...(structuredClone({ stacks: shipped[name].stacks, manifests: shipped[name].manifests }) as object),
});
const rulesFound = (synth: SynthesizedEnvironment, plans?: Record<string, TypedPlan>) =>
  new Set(evaluateSynthesized(synth, plans, NO_WAIVERS).map((r) => r.rule));

type Json = any;
const resources = (synth: SynthesizedEnvironment, layer: 'flag' | 'karr', type: string): Record<string, Json> => (synth.stacks[layer] as Json).resource[type];
const first = (synth: SynthesizedEnvironment, layer: 'flag' | 'karr', type: string): Json => Object.values(resources(synth, layer, type))[0];
const objects = (synth: SynthesizedEnvironment, kind: string, namespace?: string): Json[] =>
  synth.manifests.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
const deployment = (synth: SynthesizedEnvironment): Json => objects(synth, 'Deployment')[0];
/** Rewrites a KMS key's policy document. */
const editKeyPolicy = (synth: SynthesizedEnvironment, layer: 'flag' | 'karr', name: string, edit: (policy: Json) => void): void => {
  const key = resources(synth, layer, 'aws_kms_key')[name];
  const policy = JSON.parse(key.policy);
  edit(policy);
  key.policy = JSON.stringify(policy);
};
/** Rewrites a KARR role's trust policy, as the text terraform reads. */
const editTrust = (synth: SynthesizedEnvironment, role: string, edit: (text: string) => string): void => {
  const body = resources(synth, 'karr', 'aws_iam_role')[role];
  const edited = edit(body.assume_role_policy);
  expect(edited).not.toBe(body.assume_role_policy);
  body.assume_role_policy = edited;
};
const PLATFORM_GUARD = 'goliath-platform-objects';
const platformGuard = (synth: SynthesizedEnvironment): Json => objects(synth, 'ValidatingAdmissionPolicy').find((p) => p.metadata.name === PLATFORM_GUARD);

test('the shipped environments break no rule', () => {
  expect(evaluateSynthesized(shipped.dev2, {}, NO_WAIVERS)).toEqual([]);
  expect(evaluateSynthesized(shipped.us1, {}, NO_WAIVERS)).toEqual([]);
});

test('rule ids are unique, upper-case kebab case, and described', () => {
  const ids = RULES.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  for (const rule of RULES)
    expect({ id: rule.id, ok: /^[A-Z0-9]+(-[A-Z0-9]+)*$/.test(rule.id) && rule.description.length > 20 }).toEqual({ id: rule.id, ok: true });
});

/** Each configuration rule, with the environment and the edit that removes its control. */
const removals: Array<[string, string, (s: SynthesizedEnvironment) => void]> = [
  ['FLOW-LOGS', 'dev2', (s) => delete (s.stacks.flag as Json).resource.aws_flow_log],
  ['PRIVATE-SUBNETS', 'us1', (s) => (resources(s, 'flag', 'aws_subnet')['runner-subnet'].map_public_ip_on_launch = true)],
  [
    'PRIVATE-SUBNETS',
    'dev2',
    (s) => {
      const route = Object.values(resources(s, 'flag', 'aws_route')).find((r: Json) => r.nat_gateway_id !== undefined);
      delete route.nat_gateway_id;
      route.gateway_id = '${aws_internet_gateway.igw.id}';
    },
  ],
  ['LOG-ENCRYPTION', 'dev2', (s) => delete first(s, 'karr', 'aws_cloudwatch_log_group').kms_key_id],
  ['KMS-KEY-ROTATION', 'dev2', (s) => (resources(s, 'karr', 'aws_kms_key')['secrets-key'].enable_key_rotation = false)],
  [
    'KMS-KEY-POLICY',
    'us1',
    (s) =>
      (resources(s, 'karr', 'aws_kms_key')['secrets-key'].policy = JSON.stringify({
        Statement: [{ Effect: 'Allow', Principal: { AWS: '${aws_iam_role.cluster-role.arn}' }, Action: 'kms:*', Resource: '*' }],
      })),
  ],
  [
    'KMS-KEY-POLICY',
    'dev2',
    (s) => {
      const key = resources(s, 'flag', 'aws_kms_key')['flow-log-key'];
      key.policy = key.policy.replace(',"Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}', '');
    },
  ],
  [
    'LOG-KEY-CONTEXT',
    'dev2',
    (s) => editKeyPolicy(s, 'flag', 'flow-log-key', (p) => delete p.Statement.find((st: Json) => st.Sid === 'CloudWatchLogsUse').Condition),
  ],
  [
    'LOG-KEY-CONTEXT',
    'us1',
    (s) =>
      editKeyPolicy(s, 'karr', 'control-plane-log-key', (p) => {
        const use = p.Statement.find((st: Json) => st.Sid === 'CloudWatchLogsUse');
        use.Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn'] = 'arn:aws:logs:us-east-1:345678901234:log-group:*';
      }),
  ],
  [
    'KMS-KEY-SEPARATION',
    'us1',
    (s) => editKeyPolicy(s, 'karr', 'secrets-key', (p) => p.Statement.find((st: Json) => st.Sid === 'KeyAdministrators').Action.push('kms:Decrypt')),
  ],
  [
    'KMS-KEY-SEPARATION',
    'dev2',
    (s) =>
      editKeyPolicy(s, 'flag', 'flow-log-key', (p) => p.Statement.find((st: Json) => st.Sid === 'AccountRootRecovery').Action.push('kms:GenerateDataKey*')),
  ],
  [
    'KMS-KEY-ADMINS',
    'us1',
    (s) =>
      editKeyPolicy(s, 'karr', 'secrets-key', (p) =>
        p.Statement.find((st: Json) => st.Sid === 'KeyAdministrators').Principal.AWS.push('arn:aws:iam::345678901234:role/acme-team-search'),
      ),
  ],
  [
    'KMS-KEY-ADMINS',
    'dev2',
    (s) =>
      editKeyPolicy(s, 'flag', 'flow-log-key', (p) =>
        p.Statement.push({ Effect: 'Allow', Principal: { AWS: '*' }, Action: ['kms:Disable*', 'kms:ScheduleKeyDeletion'], Resource: '*' }),
      ),
  ],
  ['EKS-SECRETS-ENCRYPTION', 'dev2', (s) => delete first(s, 'karr', 'aws_eks_cluster').encryption_config],
  ['EBS-ENCRYPTION', 'dev2', (s) => (first(s, 'karr', 'aws_launch_template').block_device_mappings[0].ebs.encrypted = 'false')],
  ['EBS-ENCRYPTION', 'us1', (s) => (objects(s, 'StorageClass')[0].parameters.encrypted = 'false')],
  ['IMDSV2', 'dev2', (s) => (first(s, 'karr', 'aws_launch_template').metadata_options.http_tokens = 'optional')],
  ['IMDSV2', 'us1', (s) => (first(s, 'karr', 'aws_launch_template').metadata_options.http_put_response_hop_limit = 2)],
  ['EKS-PRIVATE-ENDPOINT', 'dev2', (s) => (first(s, 'karr', 'aws_eks_cluster').vpc_config.endpoint_private_access = false)],
  [
    'EKS-PRIVATE-ENDPOINT',
    'us1',
    (s) => Object.assign(first(s, 'karr', 'aws_eks_cluster').vpc_config, { endpoint_public_access: true, public_access_cidrs: ['203.0.113.0/24'] }),
  ],
  [
    'INTERFACE-ENDPOINTS',
    'us1',
    (s) => {
      const endpoints = resources(s, 'flag', 'aws_vpc_endpoint');
      for (const [name, e] of Object.entries(endpoints)) if (String(e.service_name).endsWith('.sts')) delete endpoints[name];
    },
  ],
  ['INTERFACE-ENDPOINT-INGRESS', 'us1', (s) => (first(s, 'flag', 'aws_vpc_security_group_ingress_rule').cidr_ipv4 = '0.0.0.0/0')],
  ['CLUSTER-API-INGRESS', 'us1', (s) => (resources(s, 'karr', 'aws_vpc_security_group_ingress_rule')['api-from-runner-subnet'].cidr_ipv4 = '0.0.0.0/0')],
  [
    'CLUSTER-API-INGRESS',
    'us1',
    (s) =>
      (resources(s, 'karr', 'aws_vpc_security_group_ingress_rule')['api-from-anywhere-else'] = {
        ...resources(s, 'karr', 'aws_vpc_security_group_ingress_rule')['api-from-runner-subnet'],
        cidr_ipv4: '192.0.2.0/24',
      }),
  ],
  ['CLUSTER-API-INGRESS', 'us1', (s) => (resources(s, 'karr', 'aws_vpc_security_group_ingress_rule')['api-from-runner-subnet'].to_port = 65535)],
  ['EKS-CONTROL-PLANE-LOGS', 'dev2', (s) => (first(s, 'karr', 'aws_eks_cluster').enabled_cluster_log_types = ['api'])],
  ['EKS-ACCESS-ENTRIES', 'us1', (s) => (first(s, 'karr', 'aws_eks_cluster').access_config.authentication_mode = 'API_AND_CONFIG_MAP')],
  ['EKS-ADMIN-ACCESS', 'us1', (s) => resources(s, 'karr', 'aws_eks_access_entry')['access-acme-team-search'].kubernetes_groups.push(PLATFORM_DEPLOYERS_GROUP)],
  [
    'EKS-ADMIN-ACCESS',
    'us1',
    (s) =>
      (resources(s, 'karr', 'aws_eks_access_policy_association')['access-acme-team-search-cluster-admin'] = {
        ...resources(s, 'karr', 'aws_eks_access_policy_association')['access-acme-bdda-deploy-cluster-admin'],
        principal_arn: '${aws_eks_access_entry.access-acme-team-search.principal_arn}',
      }),
  ],
  [
    'IRSA-TRUST',
    'dev2',
    (s) => editTrust(s, 'irsa-cluster-autoscaler', (t) => t.replace('system:serviceaccount:platform:cluster-autoscaler', 'system:serviceaccount:platform:*')),
  ],
  [
    'IRSA-TRUST',
    'us1',
    (s) =>
      editTrust(s, 'irsa-ebs-csi-driver', (t) => t.replace('system:serviceaccount:kube-system:ebs-csi-controller-sa', 'system:serviceaccount:search:default')),
  ],
  ['IRSA-TRUST', 'us1', (s) => editTrust(s, 'irsa-cluster-autoscaler', (t) => t.replace(/,"\$\{replace\([^}]*\}:aud":"sts\.amazonaws\.com"/, ''))],
  [
    'DEFAULT-SECURITY-GROUP',
    'dev2',
    (s) => (first(s, 'flag', 'aws_default_security_group').ingress = [{ protocol: '-1', from_port: 0, to_port: 0, self: true }]),
  ],
  [
    'VPC-CNI-NETWORK-POLICY',
    'us1',
    (s) => (Object.values(resources(s, 'karr', 'aws_eks_addon')).find((a: Json) => a.addon_name === 'vpc-cni').configuration_values = '{}'),
  ],
  [
    'POD-SECURITY-LABELS',
    'dev2',
    (s) => delete objects(s, 'Namespace').find((n) => n.metadata.name === 'payments').metadata.labels['pod-security.kubernetes.io/enforce'],
  ],
  [
    'DEFAULT-DENY-NETWORK-POLICY',
    'dev2',
    (s) => {
      const deny = objects(s, 'NetworkPolicy', 'payments').find((p) => Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress && !p.spec.egress);
      (s as Json).manifests = s.manifests.filter((o) => o !== deny);
    },
  ],
  ['PINNED-IMAGES', 'dev2', (s) => (deployment(s).spec.template.spec.containers[0].image = 'registry.k8s.io/metrics-server/metrics-server:latest')],
  [
    'CLUSTER-ADMIN-BINDINGS',
    'dev2',
    (s) =>
      (s.manifests as Json[]).push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'contractors-admin' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'acme:contractors' }],
      }),
  ],
  [
    'TEAM-NAMESPACE-BINDINGS',
    'dev2',
    (s) =>
      (s.manifests as Json[]).push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'payments-in-search', namespace: 'search', labels: { [MANAGED_BY.key]: MANAGED_BY.value } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'acme:team-payments' }],
      }),
  ],
  [
    'PLATFORM-OBJECT-GUARD',
    'dev2',
    (s) => ((s as Json).manifests = s.manifests.filter((o) => !(o.kind === 'ValidatingAdmissionPolicyBinding' && o.metadata.name === PLATFORM_GUARD))),
  ],
  [
    'PLATFORM-OBJECT-GUARD',
    'us1',
    (s) => {
      const rules = platformGuard(s).spec.matchConstraints.resourceRules;
      for (const r of rules) r.resources = r.resources.filter((name: string) => name !== 'rolebindings');
    },
  ],
  ['PLATFORM-OBJECT-GUARD', 'dev2', (s) => (platformGuard(s).spec.failurePolicy = 'Ignore')],
  ['PLATFORM-OBJECT-GUARD', 'us1', (s) => ((s as Json).manifests = s.manifests.filter((o) => o !== platformGuard(s)))],
  [
    'PLATFORM-OBJECT-GUARD',
    'us1',
    (s) => {
      for (const c of platformGuard(s).spec.matchConditions) c.expression = c.expression.replace(PLATFORM_DEPLOYERS_GROUP, 'acme:team-payments');
    },
  ],
  ['PLATFORM-OBJECT-GUARD', 'dev2', (s) => delete objects(s, 'NetworkPolicy', 'payments')[0].metadata.labels[MANAGED_BY.key]],
  ['RBAC-WILDCARDS', 'dev2', (s) => objects(s, 'ClusterRole')[0].rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['*'] })],
  ['WORKLOAD-SECURITY-CONTEXT', 'dev2', (s) => delete deployment(s).spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem],
];

test('every configuration rule has a removal below', () => {
  const tested = new Set(removals.map(([id]) => id));
  expect(RULES.filter((r) => r.kind === 'configuration' && !tested.has(r.id)).map((r) => r.id)).toEqual([]);
});

test.each(removals)('%s finds its control removed from %s', (id, name, remove) => {
  const synth = copy(name);
  remove(synth);
  expect(rulesFound(synth)).toEqual(new Set([id]));
});

test('FLOW-LOGS finds flow logs switched off in the config', async () => {
  const env = loadEnvironment(root, 'dev2');
  const off = { ...env, config: { ...env.config, vpc: { ...env.config.vpc, flowLogs: { ...env.config.vpc.flowLogs, enabled: false } } } };
  expect(rulesFound(await synthesized(off, 'flow-logs-off'))).toEqual(new Set(['FLOW-LOGS']));
});

test('EKS-PRIVATE-ENDPOINT lets a non-protected environment open its API to listed CIDRs, never to everyone', () => {
  const listed = copy('dev2');
  Object.assign(first(listed, 'karr', 'aws_eks_cluster').vpc_config, { endpoint_public_access: true, public_access_cidrs: ['203.0.113.0/24'] });
  expect(rulesFound(listed)).toEqual(new Set());
  first(listed, 'karr', 'aws_eks_cluster').vpc_config.public_access_cidrs = ['0.0.0.0/0'];
  expect(rulesFound(listed)).toEqual(new Set(['EKS-PRIVATE-ENDPOINT']));
});

test('a waiver of the finding lets the gate pass', () => {
  const synth = copy('dev2');
  first(synth, 'karr', 'aws_launch_template').metadata_options.http_tokens = 'optional';
  const address = Object.keys(resources(synth, 'karr', 'aws_launch_template')).map((n) => `aws_launch_template.${n}`)[0];
  const waivers: Waivers = {
    ...NO_WAIVERS,
    entries: [
      { index: 0, rule: 'IMDSV2', address: 'aws_launch_template.*', reason: 'a vendor agent needs IMDSv1', approvedBy: 'alice', expires: '2999-01-01' },
    ],
  };
  const results = evaluateSynthesized(synth, {}, waivers);
  expect(results.map((r) => [r.rule, r.address, r.waiver?.approvedBy])).toEqual([['IMDSV2', address, 'alice']]);
  expect(policyGate(results, waivers).refused).toEqual([]);
  expect(policyGate(results, NO_WAIVERS).refused.map((r) => r.rule)).toEqual(['IMDSV2']);
});

describe('plan rules', () => {
  const change = (c: Partial<ResourceChange> & Pick<ResourceChange, 'address' | 'type' | 'action'>): ResourceChange => ({
    name: c.address.split('.').pop()!,
    before: null,
    after: null,
    ...c,
  });
  const plan = (...changes: ResourceChange[]): TypedPlan => ({ changes, outputs: [], drift: [] });
  const found = (name: string, layer: string, ...changes: ResourceChange[]) =>
    evaluateSynthesized(shipped[name], { [layer]: plan(...changes) }, NO_WAIVERS).map((r) => `${r.rule} ${r.layer} ${r.address}`);
  const policy = (statement: object) => JSON.stringify({ Version: '2012-10-17', Statement: [statement] });

  test('PROTECTED-DESTROY: a protected environment refuses to destroy or replace its vital resources, others may', () => {
    const cluster = change({ address: 'aws_eks_cluster.cluster', type: 'aws_eks_cluster', action: 'replace', before: {}, after: {}, replacePaths: [['name']] });
    const subnet = change({ address: 'aws_subnet.private-subnet-a', type: 'aws_subnet', action: 'delete', before: {} });
    const bucket = change({
      address: 'aws_s3_bucket.state',
      type: 'aws_s3_bucket',
      action: 'delete',
      before: { bucket: shipped.us1.env.config.backend.bucket },
    });
    const otherBucket = change({ address: 'aws_s3_bucket.logs', type: 'aws_s3_bucket', action: 'delete', before: { bucket: 'logs' } });
    const update = change({ address: 'aws_vpc.vpc', type: 'aws_vpc', action: 'update', before: {}, after: {} });
    expect(found('us1', 'karr', cluster, subnet, bucket, otherBucket, update)).toEqual([
      'PROTECTED-DESTROY karr aws_eks_cluster.cluster',
      'PROTECTED-DESTROY karr aws_s3_bucket.state',
      'PROTECTED-DESTROY karr aws_subnet.private-subnet-a',
    ]);
    expect(found('dev2', 'karr', cluster, subnet)).toEqual([]);
  });

  test('IAM-WIDENING: a new wildcard action or write on resource * is found in policies and inline policies; read-only or conditioned ones and unchanged ones are not', () => {
    const wide = { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' };
    const write = { Effect: 'Allow', Action: ['ec2:TerminateInstances'], Resource: '*' };
    const readOnly = { Effect: 'Allow', Action: ['ec2:DescribeInstances', 'eks:ListClusters'], Resource: '*' };
    const conditioned = { ...write, Condition: { StringEquals: { 'aws:ResourceTag/owner': 'me' } } };
    expect(
      found(
        'dev2',
        'karr',
        change({ address: 'aws_iam_role_policy.a', type: 'aws_iam_role_policy', action: 'create', after: { policy: policy(wide) } }),
        change({
          address: 'aws_iam_policy.b',
          type: 'aws_iam_policy',
          action: 'update',
          before: { policy: policy(readOnly) },
          after: { policy: policy(write) },
        }),
        change({
          address: 'aws_iam_role.c',
          type: 'aws_iam_role',
          action: 'update',
          before: { inline_policy: [] },
          after: { inline_policy: [{ policy: policy({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }) }] },
        }),
        change({ address: 'aws_iam_policy.d', type: 'aws_iam_policy', action: 'create', after: { policy: policy(readOnly) } }),
        change({ address: 'aws_iam_policy.e', type: 'aws_iam_policy', action: 'create', after: { policy: policy(conditioned) } }),
        change({ address: 'aws_iam_policy.f', type: 'aws_iam_policy', action: 'update', before: { policy: policy(wide) }, after: { policy: policy(wide) } }),
        change({ address: 'aws_iam_policy.g', type: 'aws_iam_policy', action: 'delete', before: { policy: policy(wide) } }),
      ),
    ).toEqual(['IAM-WIDENING karr aws_iam_policy.b', 'IAM-WIDENING karr aws_iam_role.c', 'IAM-WIDENING karr aws_iam_role_policy.a']);
  });

  test('OPEN-INGRESS: ingress from 0.0.0.0/0 or ::/0 is found on groups and rules; private CIDRs and egress are not', () => {
    expect(
      found(
        'dev2',
        'flag',
        change({
          address: 'aws_security_group.a',
          type: 'aws_security_group',
          action: 'update',
          before: { ingress: [] },
          after: { ingress: [{ cidr_blocks: ['0.0.0.0/0'] }] },
        }),
        change({
          address: 'aws_vpc_security_group_ingress_rule.b',
          type: 'aws_vpc_security_group_ingress_rule',
          action: 'create',
          after: { cidr_ipv6: '::/0' },
        }),
        change({
          address: 'aws_security_group_rule.c',
          type: 'aws_security_group_rule',
          action: 'create',
          after: { type: 'egress', cidr_blocks: ['0.0.0.0/0'] },
        }),
        change({
          address: 'aws_vpc_security_group_ingress_rule.d',
          type: 'aws_vpc_security_group_ingress_rule',
          action: 'create',
          after: { cidr_ipv4: '10.0.0.0/8' },
        }),
        change({
          address: 'aws_security_group_rule.e',
          type: 'aws_security_group_rule',
          action: 'create',
          after: { type: 'ingress', cidr_blocks: ['0.0.0.0/0'] },
        }),
      ),
    ).toEqual([
      'OPEN-INGRESS flag aws_security_group.a',
      'OPEN-INGRESS flag aws_security_group_rule.e',
      'OPEN-INGRESS flag aws_vpc_security_group_ingress_rule.b',
    ]);
  });

  test('PUBLIC-API-ENDPOINT: turning the public endpoint on is found; keeping it on is not', () => {
    const on = { vpc_config: [{ endpoint_public_access: true, public_access_cidrs: ['203.0.113.0/24'] }] };
    const off = { vpc_config: [{ endpoint_public_access: false }] };
    expect(
      found(
        'dev2',
        'karr',
        change({ address: 'aws_eks_cluster.a', type: 'aws_eks_cluster', action: 'update', before: off, after: on }),
        change({ address: 'aws_eks_cluster.b', type: 'aws_eks_cluster', action: 'update', before: on, after: on }),
      ),
    ).toEqual(['PUBLIC-API-ENDPOINT karr aws_eks_cluster.a']);
  });

  test('KUBERNETES-DATA-DELETE: deleting a Namespace or a PersistentVolumeClaim is found; other kinds are not', () => {
    expect(
      found(
        'dev2',
        'goliath',
        change({ address: 'v1 Namespace payments', type: 'Namespace', action: 'delete', before: {} }),
        change({ address: 'v1 PersistentVolumeClaim payments/data', type: 'PersistentVolumeClaim', action: 'delete', before: {} }),
        change({ address: 'apps/v1 Deployment payments/api', type: 'Deployment', action: 'delete', before: {} }),
        change({ address: 'v1 Namespace search', type: 'Namespace', action: 'update', before: {}, after: {} }),
      ),
    ).toEqual(['KUBERNETES-DATA-DELETE goliath v1 Namespace payments', 'KUBERNETES-DATA-DELETE goliath v1 PersistentVolumeClaim payments/data']);
  });
});
