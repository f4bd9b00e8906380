/**
 * The controls a real AWS account needs, one test per control, checked for every
 * shipped environment on the synthesized FLAG and KARR JSON and the Goliath YAML. Controls the
 * emulator cannot run (access entries, EKS add-ons) are checked on the real environments only;
 * the others hold everywhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { EKS_MINORS } from '../config/eks-versions';
import { listEnvironments, loadEnvironment, type Environment } from '../config/load';
import { PLATFORM_DEPLOYERS_GROUP, SYSTEM_NODE_LABEL, SYSTEM_NODE_TAINT } from '../config/naming';
import { buildTerraformApp, synthesizeGoliath } from '../bdda/workflow/synth-apps';
import { INTERFACE_ENDPOINT_SERVICES } from '../stacks/private-endpoints';
import { KEY_ADMIN_ACTIONS, KEY_RECOVERY_ACTIONS } from '../stacks/kms-keys';
import type { ConfigurationRule, SynthesizedEnvironment } from '../policies/rule';
import { clusterApiIngress } from '../policies/configuration/cluster-api-ingress';
import { eksAdminAccess } from '../policies/configuration/eks-admin-access';
import { interfaceEndpointIngress } from '../policies/configuration/interface-endpoint-ingress';
import { interfaceEndpoints } from '../policies/configuration/interface-endpoints';
import { irsaTrust } from '../policies/configuration/irsa-trust';
import { kmsKeyAdmins } from '../policies/configuration/kms-key-admins';
import { kmsKeyPolicy } from '../policies/configuration/kms-key-policy';
import { kmsKeySeparation } from '../policies/configuration/kms-key-separation';
import { logKeyContext } from '../policies/configuration/log-key-context';
import { platformObjectGuard } from '../policies/configuration/platform-object-guard';
import { privateSubnets } from '../policies/configuration/private-subnets';
import { teamNamespaceBindings } from '../policies/configuration/team-namespace-bindings';

const root = path.resolve(__dirname, '..');
const environments = listEnvironments(root).map((ref) => loadEnvironment(root, ref.path));

type Block = Record<string, any>;
interface Stack {
  readonly resource: Record<string, Record<string, Block>>;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: any;
}

let tmp: string;
beforeAll(() => {
  fs.mkdirSync(path.join(root, 'build'), { recursive: true });
  tmp = fs.mkdtempSync(path.join(root, 'build', 'real-account-test-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function synth(env: Environment): { flag: Stack; karr: Stack; goliath: K8sObject[] } {
  const outdir = path.join(tmp, env.path.replace(/\//g, '-'));
  fs.mkdirSync(outdir, { recursive: true });
  buildTerraformApp(env, outdir).synth();
  const read = (layer: string): Stack => JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', layer, 'cdk.tf.json'), 'utf8'));
  const goliath = parseAllDocuments(synthesizeGoliath(env))
    .map((d) => d.toJS() as K8sObject)
    .filter((o) => o !== null);
  return { flag: read('flag'), karr: read('karr'), goliath };
}

const all = (stack: Stack, type: string): Array<[string, Block]> => Object.entries(stack.resource[type] ?? {});
const ref = (type: string, name: string, attribute: string): string => `\${${type}.${name}.${attribute}}`;
/** A policy's statements; `${...}` references are kept as strings. */
const statements = (policy: string): Block[] => [JSON.parse(policy.replace(/\$\{[^}]*\}/g, (expr) => expr.replace(/"/g, '\\"'))).Statement].flat();
const asList = (value: unknown): unknown[] => [value].flat();

describe.each(environments.map((env) => [env.path, env] as const))('%s', (_name, env) => {
  const { config, naming } = env;
  let flag: Stack;
  let karr: Stack;
  let goliath: K8sObject[];
  beforeAll(() => ({ flag, karr, goliath } = synth(env)));
  const objects = (kind: string, namespace?: string) =>
    goliath.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
  const clusterName = (): string => Object.keys(karr.resource.aws_eks_cluster)[0];
  /** What a policy rule finds in this environment's synthesis. */
  const findings = (rule: ConfigurationRule) => rule.check({ env, stacks: { flag, karr }, manifests: goliath } as unknown as SynthesizedEnvironment);

  /** Checks a rotating key that encrypts one log group, usable by CloudWatch Logs for that group only. */
  function expectLogKey(stack: Stack, logGroupName: string): void {
    const group = all(stack, 'aws_cloudwatch_log_group').find(([, g]) => g.name === logGroupName);
    expect(group).toBeDefined();
    const keyName = /^\$\{aws_kms_key\.([^.]+)\.arn\}$/.exec(group![1].kms_key_id ?? '')?.[1];
    expect(keyName).toBeDefined();
    const key = stack.resource.aws_kms_key[keyName!];
    expect(key.enable_key_rotation).toBe(true);
    const logs = statements(key.policy).find((s) => s.Principal?.Service === `logs.${config.aws.region}.amazonaws.com`);
    expect(logs).toBeDefined();
    expect(logs!.Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn']).toBe(
      `arn:aws:logs:${config.aws.region}:${config.aws.accountId}:log-group:${logGroupName}`,
    );
    expect(asList(logs!.Action)).not.toContain('kms:*');
    // The same control as a rule, which plan and `npm run check` run.
    expect(findings(logKeyContext)).toEqual([]);
  }

  describe('keys', () => {
    test('flow logs are encrypted by a rotating customer-managed key that CloudWatch Logs may use for them only (rule LOG-KEY-CONTEXT)', () => {
      expectLogKey(flag, `/aws/vpc-flow-log/${naming.prefix}`);
    });

    test('control-plane logs are encrypted by a rotating customer-managed key that CloudWatch Logs may use for them only (rule LOG-KEY-CONTEXT)', () => {
      expectLogKey(karr, `/aws/eks/${naming.clusterName}/cluster`);
    });

    test("the secrets key's policy separates administrators (no use) from users (the cluster role, no administration) (rules KMS-KEY-SEPARATION, KMS-KEY-ADMINS)", () => {
      const key = karr.resource.aws_kms_key['secrets-key'];
      const policy = statements(key.policy);
      const admins = policy.filter((s) => s.Sid === 'KeyAdministrators');
      const users = policy.filter((s) => asList(s.Action).includes('kms:Decrypt'));
      expect(admins).toHaveLength(1);
      expect(users).toHaveLength(1);
      expect(asList(admins[0].Action).sort()).toEqual([...KEY_ADMIN_ACTIONS].sort());
      expect(asList(admins[0].Action).some((a) => /Encrypt|Decrypt|GenerateDataKey|^kms:\*$/.test(String(a)))).toBe(false);
      expect(users[0].Principal).toEqual({ AWS: ref('aws_iam_role', 'cluster-role', 'arn') });
      expect(asList(users[0].Action).some((a) => KEY_ADMIN_ACTIONS.includes(String(a)))).toBe(false);
      const expectedAdmins = config.emulated
        ? [`arn:aws:iam::${config.aws.accountId}:root`]
        : [config.kubernetes.deployer.roleArn, ...config.kubernetes.adminRoleArns];
      expect(new Set(asList(admins[0].Principal.AWS))).toEqual(new Set(expectedAdmins));
      // Nothing gives the whole account the key, and no statement both administers and uses it.
      expect(findings(kmsKeyPolicy)).toEqual([]);
      expect(findings(kmsKeySeparation)).toEqual([]);
      expect(findings(kmsKeyAdmins)).toEqual([]);
    });
    test('every key lets the account root recover it (administration, no use) and allows grants only for AWS resources (rule KMS-KEY-POLICY)', () => {
      const keys = [...all(flag, 'aws_kms_key'), ...all(karr, 'aws_kms_key')];
      expect(keys.length).toBeGreaterThanOrEqual(3);
      for (const [, key] of keys) {
        const policy = statements(key.policy);
        const recovery = policy.filter((s) => s.Sid === 'AccountRootRecovery');
        expect(recovery).toHaveLength(1);
        expect(recovery[0].Principal).toEqual({ AWS: `arn:aws:iam::${config.aws.accountId}:root` });
        expect(asList(recovery[0].Action).sort()).toEqual([...KEY_RECOVERY_ACTIONS].sort());
        expect(asList(recovery[0].Action).some((a) => /Encrypt|Decrypt|GenerateDataKey|Grant|^kms:\*$/.test(String(a)))).toBe(false);
        const grants = policy.filter((s) => asList(s.Action).some((a) => /^kms:(Create\*|CreateGrant)$/.test(String(a))));
        expect(grants).toHaveLength(1);
        expect(grants[0].Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
      }
      // The same control as a rule, which plan and `npm run check` run.
      expect(findings(kmsKeyPolicy)).toEqual([]);
    });
  });

  describe('private endpoints', () => {
    test('interface endpoints for ECR api+dkr, STS, Logs and EC2 sit in the private subnets behind their own security group, when switched on (rule INTERFACE-ENDPOINT-INGRESS)', () => {
      expect(findings(interfaceEndpointIngress)).toEqual([]);
      const endpoints = all(flag, 'aws_vpc_endpoint').filter(([, e]) => e.vpc_endpoint_type === 'Interface');
      if (!config.vpc.interfaceEndpoints) {
        expect(endpoints).toEqual([]);
        return;
      }
      expect(endpoints.map(([, e]) => e.service_name).sort()).toEqual(INTERFACE_ENDPOINT_SERVICES.map((s) => `com.amazonaws.${config.aws.region}.${s}`).sort());
      const privateSubnets = config.aws.azs.map((az) => ref('aws_subnet', `private-subnet-${az}`, 'id'));
      const groups = new Set<string>();
      for (const [, endpoint] of endpoints) {
        expect(endpoint.private_dns_enabled).toBe(true);
        expect(endpoint.subnet_ids).toEqual(privateSubnets);
        expect(endpoint.security_group_ids).toHaveLength(1);
        groups.add(endpoint.security_group_ids[0]);
      }
      expect(groups.size).toBe(1);
      const [sgName] = /aws_security_group\.([^.]+)\.id/.exec([...groups][0])!.slice(1);
      const rules = all(flag, 'aws_vpc_security_group_ingress_rule').filter(([, r]) => r.security_group_id === ref('aws_security_group', sgName, 'id'));
      expect(rules.map(([, r]) => ({ cidr: r.cidr_ipv4, from: r.from_port, to: r.to_port, proto: r.ip_protocol }))).toEqual([
        { cidr: config.vpc.cidr, from: 443, to: 443, proto: 'tcp' },
      ]);
    });

    test('protected environments have the interface endpoints on, with private DNS (rule INTERFACE-ENDPOINTS)', () => {
      expect(findings(interfaceEndpoints)).toEqual([]);
    });
  });

  describe('reaching the API', () => {
    test('the runner subnet, when configured, is private, in the first AZ, and goes out through a NAT gateway (rule PRIVATE-SUBNETS)', () => {
      expect(findings(privateSubnets)).toEqual([]);
      const subnet = flag.resource.aws_subnet['runner-subnet'];
      if (!config.vpc.runnerSubnet) {
        expect(subnet).toBeUndefined();
        return;
      }
      expect(subnet).toMatchObject({ cidr_block: config.vpc.runnerSubnet, availability_zone: config.aws.azs[0], map_public_ip_on_launch: false });
      const association = all(flag, 'aws_route_table_association').find(([, a]) => a.subnet_id === ref('aws_subnet', 'runner-subnet', 'id'))![1];
      const routes = all(flag, 'aws_route').filter(([, r]) => r.route_table_id === association.route_table_id);
      expect(routes).toHaveLength(1);
      expect(routes[0][1].nat_gateway_id).toMatch(/^\$\{aws_nat_gateway\./);
    });

    test("port 443 of the cluster security group admits exactly the deployer CIDRs, security groups, runner subnet and operators' path (rule CLUSTER-API-INGRESS)", () => {
      expect(findings(clusterApiIngress)).toEqual([]);
      const sg = ref('aws_eks_cluster', clusterName(), 'vpc_config[0].cluster_security_group_id');
      const rules = all(karr, 'aws_vpc_security_group_ingress_rule').map(([, r]) => r);
      for (const rule of rules) expect(rule).toMatchObject({ security_group_id: sg, from_port: 443, to_port: 443, ip_protocol: 'tcp' });
      const sources = rules.map((r) => r.cidr_ipv4 ?? r.referenced_security_group_id).sort();
      const expected = [
        ...config.kubernetes.deployer.apiAccessCidrs,
        ...config.kubernetes.deployer.apiAccessSecurityGroupIds,
        ...(config.vpc.runnerSubnet ? [config.vpc.runnerSubnet] : []),
        ...config.kubernetes.operatorAccess.cidrs,
        ...config.kubernetes.operatorAccess.securityGroupIds,
      ].sort();
      expect(sources).toEqual(expected);
      // A real cluster without a public endpoint must be reachable some way.
      const cluster = karr.resource.aws_eks_cluster[clusterName()];
      const mustBeReachable = !config.emulated && !cluster.vpc_config.endpoint_public_access;
      expect(rules.length > 0 || !mustBeReachable).toBe(true);
    });
  });

  describe('access entries', () => {
    test('the deploy role and the admins are cluster-admin and platform deployers; no one else is (rule EKS-ADMIN-ACCESS)', () => {
      expect(findings(eksAdminAccess)).toEqual([]);
      const entries = all(karr, 'aws_eks_access_entry');
      if (config.emulated) {
        expect(entries).toEqual([]);
        return;
      }
      const admins = new Set([config.kubernetes.deployer.roleArn, ...config.kubernetes.adminRoleArns]);
      expect(admins.has(undefined)).toBe(false);
      const associations = all(karr, 'aws_eks_access_policy_association').map(([, a]) => a);
      for (const [name, entry] of entries) {
        const admin = admins.has(entry.principal_arn);
        expect({ role: entry.principal_arn, deployer: entry.kubernetes_groups.includes(PLATFORM_DEPLOYERS_GROUP) }).toEqual({
          role: entry.principal_arn,
          deployer: admin,
        });
        const association = associations.filter((a) => a.principal_arn === ref('aws_eks_access_entry', name, 'principal_arn'));
        expect(association).toHaveLength(admin ? 1 : 0);
      }
      expect(new Set(entries.filter(([, e]) => admins.has(e.principal_arn)).map(([, e]) => e.principal_arn))).toEqual(admins);
    });

    test("each team's roles log in with the team's group, which Goliath binds to edit in the team's namespace only (rule TEAM-NAMESPACE-BINDINGS)", () => {
      expect(findings(teamNamespaceBindings)).toEqual([]);
      const entries = all(karr, 'aws_eks_access_entry').map(([, e]) => e);
      for (const team of config.platform.teams) {
        expect(team.roleArns.length).toBeGreaterThan(0);
        if (!config.emulated) {
          for (const arn of team.roleArns) expect(entries.find((e) => e.principal_arn === arn)?.kubernetes_groups).toContain(team.group);
        }
        const bindings = [...objects('RoleBinding'), ...objects('ClusterRoleBinding')].filter((b) =>
          b.subjects?.some((s: Block) => s.kind === 'Group' && s.name === team.group),
        );
        expect(bindings.map((b) => `${b.kind}/${b.metadata.namespace}/${b.roleRef.name}`)).toEqual([`RoleBinding/${team.name}/edit`]);
      }
    });

    test("the viewer roles log in with the viewers' group, which Goliath binds to view", () => {
      if (!config.emulated) {
        const entries = all(karr, 'aws_eks_access_entry').map(([, e]) => e);
        for (const arn of config.platform.viewerRoleArns)
          expect(entries.find((e) => e.principal_arn === arn)?.kubernetes_groups).toContain(config.platform.viewersGroup);
      }
      const binding = objects('ClusterRoleBinding').find((b) => b.subjects?.some((s: Block) => s.name === config.platform.viewersGroup));
      expect(binding?.roleRef.name).toBe('view');
    });
  });

  describe('network policies enforced', () => {
    test('vpc-cni runs its network policy agent (real accounts; the emulator has no add-ons)', () => {
      const cni = all(karr, 'aws_eks_addon').find(([, a]) => a.addon_name === 'vpc-cni');
      if (config.emulated) {
        expect(cni).toBeUndefined();
        return;
      }
      expect(JSON.parse(cni![1].configuration_values)).toMatchObject({ enableNetworkPolicy: 'true' });
    });

    test('the platform namespace denies everything by default and allows DNS and what its add-ons need', () => {
      const ns = config.platform.namespace;
      const policies = objects('NetworkPolicy', ns);
      const deny = policies.find((p) => Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress && !p.spec.egress);
      expect(deny?.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
      const dns = policies.find((p) => p.spec.egress?.some((r: Block) => r.ports?.some((port: Block) => port.port === 53)));
      expect(dns?.spec.podSelector).toEqual({});
      // Every add-on Deployment in the namespace is selected by an allow of its own.
      for (const deployment of objects('Deployment', ns)) {
        const labels = deployment.spec.template.metadata.labels;
        const own = policies.filter((p) => p.spec.podSelector.matchLabels && Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v));
        expect({ deployment: deployment.metadata.name, allows: own.length }).toEqual({ deployment: deployment.metadata.name, allows: 1 });
      }
      const metrics = policies.find((p) => p.spec.podSelector.matchLabels?.['app.kubernetes.io/name'] === 'metrics-server')!;
      expect(metrics.spec.ingress[0].from.map((f: Block) => f.ipBlock.cidr)).toEqual(config.vpc.subnets.intra);
    });

    test('a ValidatingAdmissionPolicy keeps everyone but the platform deployers off platform-labelled policies, quotas and bindings (rule PLATFORM-OBJECT-GUARD)', () => {
      expect(findings(platformObjectGuard)).toEqual([]);
      const [policy] = objects('ValidatingAdmissionPolicy');
      const [binding] = objects('ValidatingAdmissionPolicyBinding');
      expect(binding.spec).toEqual({ policyName: policy.metadata.name, validationActions: ['Deny'] });
      const rules: Block[] = policy.spec.matchConstraints.resourceRules;
      const covers = (group: string, resource: string) =>
        rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && ['UPDATE', 'DELETE'].every((op) => r.operations.includes(op)));
      for (const [group, resource] of [
        ['networking.k8s.io', 'networkpolicies'],
        ['', 'resourcequotas'],
        ['', 'limitranges'],
        ['rbac.authorization.k8s.io', 'rolebindings'],
      ]) {
        expect({ group, resource, covered: covers(group, resource) }).toEqual({ group, resource, covered: true });
      }
      expect(policy.spec.failurePolicy).toBe('Fail');
      expect(policy.spec.matchConditions.map((c: Block) => c.expression).join('\n')).toContain(`'${PLATFORM_DEPLOYERS_GROUP}'`);
      expect(policy.spec.validations[0].expression).toContain("'app.kubernetes.io/managed-by'");
      // What the guard keys on is on every team-namespace object the platform made.
      for (const team of config.platform.teams) {
        for (const obj of goliath.filter((o) => o.metadata.namespace === team.name))
          expect(obj.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('goliath');
      }
    });
  });

  describe('versions', () => {
    test("node groups run the cluster's version, so a control-plane upgrade rolls them", () => {
      for (const [, group] of all(karr, 'aws_eks_node_group')) expect(group.version).toBe(ref('aws_eks_cluster', clusterName(), 'version'));
    });

    test('upgrade order: the node add-ons wait for the control plane, the node groups for them, the Deployment add-ons for the nodes', () => {
      const addons = Object.fromEntries(all(karr, 'aws_eks_addon').map(([name, a]) => [a.addon_name, { name, body: a }]));
      if (config.emulated) {
        expect(addons).toEqual({});
        return;
      }
      const groups = all(karr, 'aws_eks_node_group');
      for (const addon of ['vpc-cni', 'kube-proxy', 'eks-pod-identity-agent']) {
        expect(addons[addon].body.cluster_name).toBe(ref('aws_eks_cluster', clusterName(), 'name'));
        for (const [, group] of groups) expect(group.depends_on).toContain(`aws_eks_addon.${addons[addon].name}`);
      }
      for (const addon of ['coredns', 'aws-ebs-csi-driver']) {
        for (const [name] of groups) expect(addons[addon].body.depends_on).toContain(`aws_eks_node_group.${name}`);
      }
    });

    test('the cluster runs a minor of the EKS version table, with kube-proxy and cluster-autoscaler of the same minor', () => {
      expect(EKS_MINORS[config.kubernetes.version]).toBeDefined();
      const kubeProxy = all(karr, 'aws_eks_addon').find(([, a]) => a.addon_name === 'kube-proxy');
      // The emulator runs no add-ons; a real cluster's kube-proxy follows the cluster's minor.
      expect(kubeProxy?.[1].addon_version).toEqual(
        config.emulated ? undefined : expect.stringMatching(new RegExp(`^v${config.kubernetes.version.replace('.', '\\.')}\\.`)),
      );
      const image: string = objects('Deployment').find((d) => d.metadata.name === 'cluster-autoscaler')!.spec.template.spec.containers[0].image;
      expect(image).toMatch(new RegExp(`:v${config.kubernetes.version.replace('.', '\\.')}\\.\\d+@sha256:[0-9a-f]{64}$`));
    });
  });

  describe('storage', () => {
    test('the EBS CSI driver is a managed add-on whose IRSA role only its controller service account can assume (rule IRSA-TRUST)', () => {
      expect(findings(irsaTrust)).toEqual([]);
      const [roleName, role] = all(karr, 'aws_iam_role').find(([, r]) => r.name === naming.roleName('irsa-ebs-csi-driver'))!;
      const [trust] = statements(role.assume_role_policy);
      const conditions = trust.Condition.StringEquals as Record<string, string>;
      expect(Object.entries(conditions).find(([k]) => k.endsWith(':sub'))?.[1]).toBe('system:serviceaccount:kube-system:ebs-csi-controller-sa');
      expect(Object.entries(conditions).find(([k]) => k.endsWith(':aud'))?.[1]).toBe('sts.amazonaws.com');
      const attached = all(karr, 'aws_iam_role_policy_attachment')
        .filter(([, a]) => a.role === ref('aws_iam_role', roleName, 'name'))
        .map(([, a]) => a.policy_arn);
      expect(attached).toEqual(['arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy']);
      const addon = all(karr, 'aws_eks_addon').find(([, a]) => a.addon_name === 'aws-ebs-csi-driver');
      if (config.emulated) expect(addon).toBeUndefined();
      else expect(addon![1].service_account_role_arn).toBe(ref('aws_iam_role', roleName, 'arn'));
    });

    test('the one default StorageClass is encrypted gp3 on the EBS CSI driver, bound where the pod lands', () => {
      const defaults = objects('StorageClass').filter((s) => s.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
      expect(defaults).toHaveLength(1);
      expect(defaults[0]).toMatchObject({
        provisioner: 'ebs.csi.aws.com',
        parameters: { type: 'gp3', encrypted: 'true' },
        volumeBindingMode: 'WaitForFirstConsumer',
      });
    });
  });

  describe('autoscaling', () => {
    const autoscaler = () => objects('Deployment').find((d) => d.metadata.name === 'cluster-autoscaler')!.spec.template.spec;

    test('cluster-autoscaler removes nodes with local storage, and balances only per-AZ node groups', () => {
      const args: string[] = autoscaler().containers[0].args;
      expect(args).toContain('--skip-nodes-with-local-storage=false');
      // Every node group spans every AZ, so there are no per-AZ twins to balance.
      const perAz = all(karr, 'aws_eks_node_group').some(([, g]) => g.subnet_ids.length === 1);
      expect(args.includes('--balance-similar-node-groups')).toBe(perAz);
    });

    test('the system node group is tainted, and the platform add-ons tolerate and select it', () => {
      const system = config.kubernetes.systemNodeGroup;
      for (const [, group] of all(karr, 'aws_eks_node_group')) {
        const isSystem = group.node_group_name === (system && naming.resource(system));
        expect(group.taint ?? []).toEqual(isSystem ? [{ key: SYSTEM_NODE_TAINT.key, value: SYSTEM_NODE_TAINT.value, effect: 'NO_SCHEDULE' }] : []);
        expect(group.labels?.[SYSTEM_NODE_LABEL.key]).toBe(isSystem ? SYSTEM_NODE_LABEL.value : undefined);
      }
      for (const deployment of objects('Deployment', config.platform.namespace)) {
        const pod = deployment.spec.template.spec;
        const tolerates = (pod.tolerations ?? []).some((t: Block) => t.key === SYSTEM_NODE_TAINT.key && t.effect === 'NoSchedule');
        expect({ name: deployment.metadata.name, tolerates, selects: pod.nodeSelector?.[SYSTEM_NODE_LABEL.key] === SYSTEM_NODE_LABEL.value }).toEqual({
          name: deployment.metadata.name,
          tolerates: system !== undefined,
          selects: system !== undefined,
        });
      }
    });

    test("cluster-autoscaler's RBAC grants what its pinned minor reads and writes", () => {
      const rules: Block[] = objects('ClusterRole').find((r) => r.metadata.name === 'cluster-autoscaler')!.rules;
      const nsRules: Block[] = objects('Role', config.platform.namespace).find((r) => r.metadata.name === 'cluster-autoscaler')!.rules;
      const grants = (list: Block[], group: string, resource: string, verb: string) =>
        list.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
      const minor = Number(config.kubernetes.version.split('.')[1]);
      const needed: Array<[string, string, string]> = [
        ['', 'nodes', 'update'],
        ['', 'pods/eviction', 'create'],
        ['storage.k8s.io', 'csistoragecapacities', 'watch'],
        ['storage.k8s.io', 'csidrivers', 'watch'],
        ['policy', 'poddisruptionbudgets', 'watch'],
        ...(minor >= 34
          ? ([
              ['resource.k8s.io', 'resourceslices', 'watch'],
              ['resource.k8s.io', 'resourceclaims', 'watch'],
              ['resource.k8s.io', 'deviceclasses', 'watch'],
            ] as Array<[string, string, string]>)
          : []),
      ];
      for (const [group, resource, verb] of needed)
        expect({ group, resource, verb, granted: grants(rules, group, resource, verb) }).toEqual({ group, resource, verb, granted: true });
      expect(grants(nsRules, 'coordination.k8s.io', 'leases', 'update')).toBe(true);
      expect(rules.some((r) => r.resources.includes('secrets'))).toBe(false);
    });
  });
});
