/**
 * KARR's security controls, checked on every shipped environment, on the Terraform JSON the app
 * synthesizes (through the app, so FLAG's ids are real remote-state reads).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listEnvironments, loadEnvironment, type Environment } from '../config/load';
import { addonVersions, EKS_MINORS } from '../config/eks-versions';
import { buildTerraformApp } from '../bdda/workflow/synth-apps';
import { FLAG_OUTPUTS } from '../config/layer-inputs';

const root = path.resolve(__dirname, '..');
const environments = listEnvironments(root).map((ref) => loadEnvironment(root, ref.path));

type Block = Record<string, any>;
interface Synthesized {
  readonly resource: Record<string, Record<string, Block>>;
  readonly data: Record<string, Record<string, Block>>;
  readonly output: Record<string, Block>;
}

const scratch = path.join(root, 'build');
let tmp: string;
beforeAll(() => {
  fs.mkdirSync(scratch, { recursive: true });
  tmp = fs.mkdtempSync(path.join(scratch, 'karr-test-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function synthKarr(env: Environment): Synthesized {
  const outdir = path.join(tmp, env.path.replace(/\//g, '-'));
  fs.mkdirSync(outdir, { recursive: true });
  buildTerraformApp(env, outdir).synth();
  return JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'karr', 'cdk.tf.json'), 'utf8'));
}

/** FLAG's JSON, synthesized by the same app as KARR's (synthKarr runs first). */
function synthFlag(env: Environment): Synthesized {
  return JSON.parse(fs.readFileSync(path.join(tmp, env.path.replace(/\//g, '-'), 'stacks', 'flag', 'cdk.tf.json'), 'utf8'));
}

/** Every resource of a type, by terraform name; empty when there is none. */
function all(json: Synthesized, type: string): Record<string, Block> {
  return json.resource[type] ?? {};
}

/** The one resource of a type, with its address. */
function only(json: Synthesized, type: string): { address: string; body: Block } {
  const entries = Object.entries(all(json, type));
  expect(entries).toHaveLength(1);
  return { address: `${type}.${entries[0][0]}`, body: entries[0][1] };
}

/** The resource of a type for which `match` holds. */
function find(json: Synthesized, type: string, match: (body: Block) => boolean): { address: string; body: Block } {
  const entries = Object.entries(all(json, type)).filter(([, body]) => match(body));
  expect(entries).toHaveLength(1);
  return { address: `${type}.${entries[0][0]}`, body: entries[0][1] };
}

const attr = (address: string, name: string): string => `\${${address}.${name}}`;
/** A policy's statements. Terraform interpolates `${...}` before the JSON is read, so quotes inside one are escaped here. */
const statements = (policy: string): Block[] => [JSON.parse(policy.replace(/\$\{[^}]*\}/g, (expr) => expr.replace(/"/g, '\\"'))).Statement].flat();

it('ships both emulated and real environments', () => {
  expect(environments.some((env) => env.config.emulated)).toBe(true);
  expect(environments.some((env) => !env.config.emulated)).toBe(true);
});

describe.each(environments.map((env) => [env.path, env] as const))('KARR of %s', (_name, env) => {
  const { config, naming } = env;
  let json: Synthesized;
  let cluster: { address: string; body: Block };

  beforeAll(() => {
    json = synthKarr(env);
    cluster = only(json, 'aws_eks_cluster');
  });

  describe('FLAG remote state', () => {
    it("reads FLAG's state key from the environment's backend", () => {
      const states = Object.values(json.data?.terraform_remote_state ?? {});
      expect(states).toHaveLength(1);
      expect(states[0].backend).toBe('s3');
      expect(states[0].config.key).toBe(`${env.path}/flag.tfstate`);
      expect(states[0].config.bucket).toBe(config.backend.bucket);
    });

    it('puts control-plane ENIs in the whole intra list and every node group in the whole private list FLAG exports', () => {
      expect(cluster.body.vpc_config.subnet_ids).toBe('${data.terraform_remote_state.flag.outputs.intra_subnet_ids}');
      const groups = Object.values(all(json, 'aws_eks_node_group'));
      expect(groups).toHaveLength(Object.keys(config.kubernetes.nodeGroups).length);
      for (const group of groups) expect(group.subnet_ids).toBe('${data.terraform_remote_state.flag.outputs.private_subnet_ids}');
    });

    it("runs every node group on the version table's AMI type and release for the minor, so raising the release rolls the nodes", () => {
      const ami = EKS_MINORS[config.kubernetes.version].nodeAmi;
      expect(ami?.releaseVersion.startsWith(`${config.kubernetes.version}.`)).toBe(true);
      for (const group of Object.values(all(json, 'aws_eks_node_group'))) {
        expect(group.ami_type).toBe(ami?.amiType);
        expect(group.release_version).toBe(ami?.releaseVersion);
      }
    });

    it("allows the operators' networks and security groups on 443 of the cluster security group", () => {
      const rules = Object.values(all(json, 'aws_vpc_security_group_ingress_rule')).filter((r) => /operators/.test(String(r.description)));
      const { cidrs, securityGroupIds } = config.kubernetes.operatorAccess;
      expect(rules.map((r) => r.cidr_ipv4 ?? r.referenced_security_group_id).sort()).toEqual([...cidrs, ...securityGroupIds].sort());
      for (const rule of rules) expect([rule.from_port, rule.to_port, rule.ip_protocol]).toEqual([443, 443, 'tcp']);
    });

    it("reads FLAG only through that one remote state, and only outputs FLAG declares as lists, so an added AZ cannot break KARR's plan", () => {
      const flag = synthFlag(env);
      const text = JSON.stringify(json);
      // No per-resource cross-stack output: those would not exist in FLAG's state before FLAG is applied.
      expect(text).not.toMatch(/cross-stack/);
      expect(Object.keys(flag.output).filter((name) => name.startsWith('cross-stack'))).toEqual([]);
      const read = [...text.matchAll(/data\.terraform_remote_state\.([\w-]+)\.outputs\.([\w-]+)/g)];
      expect(read.length).toBeGreaterThan(0);
      expect(new Set(read.map((m) => m[1]))).toEqual(new Set(['flag']));
      const declared = Object.values(FLAG_OUTPUTS).map((o) => o.name);
      for (const [, , output] of read) {
        expect(declared).toContain(output);
        // FLAG declares it as a list of subnet ids, one per AZ.
        expect(flag.output[output]?.value).toHaveLength(config.aws.azs.length);
      }
    });
  });

  describe('secrets encryption', () => {
    it('uses a rotating KMS key of its own, with the eks-secrets alias', () => {
      // The control-plane log key is checked in real-account.test.ts.
      const key = find(json, 'aws_kms_key', (k) => k['//']?.metadata?.uniqueId === 'secrets-key');
      expect(key.body.enable_key_rotation).toBe(true);
      const alias = find(json, 'aws_kms_alias', (a) => a.target_key_id === attr(key.address, 'key_id'));
      expect(alias.body.name).toBe(`alias/${naming.prefix}-eks-secrets`);
      expect(alias.body.target_key_id).toBe(attr(key.address, 'key_id'));
      expect(cluster.body.encryption_config).toEqual({ resources: ['secrets'], provider: { key_arn: attr(key.address, 'arn') } });
    });
  });

  describe('control plane', () => {
    it('runs the configured version under the naming rule', () => {
      expect(cluster.body.name).toBe(naming.clusterName);
      expect(cluster.body.version).toBe(config.kubernetes.version);
    });

    it('assumes a role trusted by EKS only, holding AmazonEKSClusterPolicy', () => {
      const role = find(json, 'aws_iam_role', (r) => r.name === naming.roleName('cluster'));
      expect(cluster.body.role_arn).toBe(attr(role.address, 'arn'));
      expect(statements(role.body.assume_role_policy)).toEqual([{ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
      const attached = Object.values(all(json, 'aws_iam_role_policy_attachment')).filter((a) => a.role === attr(role.address, 'name'));
      expect(attached.map((a) => a.policy_arn)).toEqual(['arn:aws:iam::aws:policy/AmazonEKSClusterPolicy']);
    });

    it('exposes the endpoint publicly only to listed CIDRs', () => {
      const vpc = cluster.body.vpc_config;
      expect(vpc.endpoint_private_access).toBe(true);
      if (config.kubernetes.publicAccessCidrs.length > 0) {
        expect(vpc.endpoint_public_access).toBe(true);
        expect(vpc.public_access_cidrs).toEqual(config.kubernetes.publicAccessCidrs);
      } else {
        expect(vpc.endpoint_public_access).toBe(false);
        expect(vpc.public_access_cidrs).toBeUndefined();
      }
      expect(vpc.endpoint_public_access === false || !env.path.startsWith('prod/')).toBe(true);
    });

    it('ships api, audit and authenticator logs to a log group with a retention, created first', () => {
      expect(cluster.body.enabled_cluster_log_types).toEqual(expect.arrayContaining(['api', 'audit', 'authenticator']));
      const logs = find(json, 'aws_cloudwatch_log_group', (g) => g.name === `/aws/eks/${naming.clusterName}/cluster`);
      expect(logs.body.retention_in_days).toBeGreaterThan(0);
      expect(cluster.body.depends_on).toContain(logs.address);
    });

    it('grants access through access entries only', () => {
      expect(cluster.body.access_config).toEqual({ authentication_mode: 'API', bootstrap_cluster_creator_admin_permissions: false });
    });
  });

  describe('node groups', () => {
    const groups = Object.entries(config.kubernetes.nodeGroups);

    it('has one managed node group per configured group, sized from config', () => {
      const synthesized = Object.values(all(json, 'aws_eks_node_group'));
      expect(synthesized).toHaveLength(groups.length);
      for (const [name, group] of groups) {
        const ng = find(json, 'aws_eks_node_group', (g) => g.node_group_name === naming.resource(name)).body;
        expect(ng.cluster_name).toBe(attr(cluster.address, 'name'));
        expect(ng.scaling_config).toEqual({ min_size: group.minSize, desired_size: group.desiredSize, max_size: group.maxSize });
        expect(ng.capacity_type).toBe(group.capacityType);
        expect(ng.instance_types).toEqual(group.instanceTypes);
        // The system group also carries the label add-ons select (real-account.test.ts).
        expect(ng.labels ?? {}).toEqual(expect.objectContaining(group.labels));
        expect(ng.update_config).toEqual({ max_unavailable: 1 });
        expect(ng.disk_size).toBeUndefined();
      }
    });

    it('launches nodes with IMDSv2 at one hop and an encrypted gp3 root volume', () => {
      for (const [name, group] of groups) {
        const ng = find(json, 'aws_eks_node_group', (g) => g.node_group_name === naming.resource(name)).body;
        const ltName = Object.keys(all(json, 'aws_launch_template')).find((n) => ng.launch_template.id === attr(`aws_launch_template.${n}`, 'id'));
        expect(ltName).toBeDefined();
        const lt = all(json, 'aws_launch_template')[ltName as string];
        expect(lt.metadata_options).toEqual({ http_endpoint: 'enabled', http_tokens: 'required', http_put_response_hop_limit: 1 });
        expect(lt.block_device_mappings).toEqual([
          expect.objectContaining({
            device_name: '/dev/xvda',
            ebs: expect.objectContaining({ volume_type: 'gp3', encrypted: 'true', volume_size: group.diskSizeGiB }),
          }),
        ]);
      }
    });

    it('gives nodes a role with exactly the worker, ECR read-only and CNI policies, attached before the groups', () => {
      const role = find(json, 'aws_iam_role', (r) => r.name === naming.roleName('node'));
      expect(statements(role.body.assume_role_policy)).toEqual([{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
      expect(role.body.managed_policy_arns).toBeUndefined();
      expect(role.body.inline_policy).toBeUndefined();
      expect(Object.values(all(json, 'aws_iam_role_policy')).filter((p) => p.role === attr(role.address, 'name'))).toEqual([]);
      const attachments = Object.entries(all(json, 'aws_iam_role_policy_attachment')).filter(([, a]) => a.role === attr(role.address, 'name'));
      expect(attachments.map(([, a]) => a.policy_arn).sort()).toEqual(
        ['AmazonEC2ContainerRegistryReadOnly', 'AmazonEKSWorkerNodePolicy', 'AmazonEKS_CNI_Policy'].map((p) => `arn:aws:iam::aws:policy/${p}`),
      );
      for (const ng of Object.values(all(json, 'aws_eks_node_group'))) {
        expect(ng.node_role_arn).toBe(attr(role.address, 'arn'));
        for (const [name] of attachments) expect(ng.depends_on).toContain(`aws_iam_role_policy_attachment.${name}`);
      }
    });
  });

  describe('IRSA', () => {
    it('trusts the cluster issuer (on the emulator, told apart by the cluster name) for sts.amazonaws.com', () => {
      const oidc = only(json, 'aws_iam_openid_connect_provider').body;
      expect(oidc.client_id_list).toEqual(['sts.amazonaws.com']);
      const issuer = `\${${cluster.address}.identity[0].oidc[0].issuer}`;
      expect(oidc.url).toBe(config.emulated ? `${issuer}/${naming.clusterName}` : issuer);
    });

    it("binds cluster-autoscaler's role, under the name Goliath expects, to its service account", () => {
      const oidc = only(json, 'aws_iam_openid_connect_provider');
      const role = find(json, 'aws_iam_role', (r) => r.name === naming.roleName('irsa-cluster-autoscaler'));
      expect(naming.irsaRoleArn('cluster-autoscaler')).toBe(`arn:aws:iam::${config.aws.accountId}:role/${role.body.name}`);
      const [trust, ...more] = statements(role.body.assume_role_policy);
      expect(more).toEqual([]);
      expect(trust.Effect).toBe('Allow');
      expect(trust.Principal).toEqual({ Federated: attr(oidc.address, 'arn') });
      expect(trust.Action).toBe('sts:AssumeRoleWithWebIdentity');
      expect(Object.keys(trust.Condition)).toEqual(['StringEquals']);
      const conditions = Object.entries(trust.Condition.StringEquals as Record<string, string>);
      expect(conditions).toHaveLength(2);
      for (const [key] of conditions) {
        // The issuer, without its scheme, as IAM expects condition keys.
        expect(key).toMatch(/aws_iam_openid_connect_provider\.|identity\[0\]\.oidc\[0\]\.issuer/);
        expect(key).toMatch(/^\$\{replace\(.*"https:\/\/", ""\)\}:(sub|aud)$/);
      }
      const byClaim = Object.fromEntries(conditions.map(([key, value]) => [key.split(':').pop(), value]));
      expect(byClaim).toEqual({ sub: `system:serviceaccount:${config.platform.namespace}:cluster-autoscaler`, aud: 'sts.amazonaws.com' });
    });

    it("lets cluster-autoscaler mutate only this cluster's auto scaling groups", () => {
      const role = find(json, 'aws_iam_role', (r) => r.name === naming.roleName('irsa-cluster-autoscaler'));
      const policies = Object.values(all(json, 'aws_iam_role_policy')).filter((p) => p.role === attr(role.address, 'name'));
      expect(Object.values(all(json, 'aws_iam_role_policy_attachment')).filter((a) => a.role === attr(role.address, 'name'))).toEqual([]);
      const granted = policies.flatMap((p) => statements(p.policy));
      expect(granted.length).toBeGreaterThan(0);
      const mutating = ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'];
      const readOnly = /^(autoscaling|ec2|eks):(Describe|Get)[A-Za-z]+$/;
      const actions: string[] = [];
      for (const statement of granted) {
        expect(statement.Effect).toBe('Allow');
        const list: string[] = [statement.Action].flat();
        actions.push(...list);
        for (const action of list) {
          if (mutating.includes(action)) {
            expect(statement.Condition).toEqual({ StringEquals: { [`aws:ResourceTag/kubernetes.io/cluster/${naming.clusterName}`]: 'owned' } });
          } else {
            expect(action).toMatch(readOnly);
          }
        }
      }
      expect(actions).toEqual(expect.arrayContaining(mutating));
      expect(actions.some((a) => a.includes('*'))).toBe(false);
    });
  });

  it('outputs what Goliath and kubectl need', () => {
    for (const name of ['cluster_name', 'cluster_endpoint', 'cluster_certificate_authority_data', 'oidc_issuer_url']) {
      expect(json.output[name]?.value).toEqual(expect.stringContaining(cluster.address));
    }
  });

  if (config.emulated) {
    describe('emulated', () => {
      it('leaves out what the emulator does not implement', () => {
        expect(all(json, 'aws_eks_addon')).toEqual({});
        expect(all(json, 'aws_eks_access_entry')).toEqual({});
        expect(all(json, 'aws_eks_access_policy_association')).toEqual({});
      });

      it('ignores the values the emulator invents', () => {
        expect(cluster.body.lifecycle?.ignore_changes).toContain('access_config');
        for (const ng of Object.values(all(json, 'aws_eks_node_group'))) expect(ng.lifecycle?.ignore_changes).toContain('remote_access');
      });
    });
  } else {
    describe('real', () => {
      it('installs the five managed add-ons at the versions for the cluster minor, coredns after the nodes', () => {
        const addons = Object.entries(all(json, 'aws_eks_addon'));
        const versions = Object.fromEntries(addons.map(([, a]) => [a.addon_name, a.addon_version]));
        const { vpcCni, coredns, kubeProxy, podIdentityAgent, ebsCsiDriver } = addonVersions(config);
        expect(versions).toEqual({
          'vpc-cni': vpcCni,
          coredns,
          'kube-proxy': kubeProxy,
          'eks-pod-identity-agent': podIdentityAgent,
          'aws-ebs-csi-driver': ebsCsiDriver,
        });
        for (const [, addon] of addons) {
          expect(addon.cluster_name).toBe(attr(cluster.address, 'name'));
          expect(addon.resolve_conflicts_on_update).toBe('OVERWRITE');
        }
        const dns = addons.find(([, a]) => a.addon_name === 'coredns')![1];
        for (const name of Object.keys(all(json, 'aws_eks_node_group'))) expect(dns.depends_on).toContain(`aws_eks_node_group.${name}`);
      });

      it('makes the deploy role and each admin role cluster-admin through an access entry, and no one else', () => {
        const admins = [config.kubernetes.deployer.roleArn, ...config.kubernetes.adminRoleArns].sort();
        const entries = Object.entries(all(json, 'aws_eks_access_entry')).filter(([, e]) => admins.includes(e.principal_arn));
        expect(entries.map(([, e]) => e.principal_arn).sort()).toEqual(admins);
        const associations = Object.values(all(json, 'aws_eks_access_policy_association'));
        expect(associations).toHaveLength(entries.length);
        for (const [name, entry] of entries) {
          expect(entry.cluster_name).toBe(attr(cluster.address, 'name'));
          const association = associations.find((a) => a.principal_arn === attr(`aws_eks_access_entry.${name}`, 'principal_arn'));
          expect(association).toEqual(
            expect.objectContaining({
              cluster_name: attr(cluster.address, 'name'),
              policy_arn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
              access_scope: { type: 'cluster' },
            }),
          );
        }
      });

      it('keeps the whole configuration under terraform', () => {
        expect(cluster.body.lifecycle?.ignore_changes ?? []).not.toContain('access_config');
        for (const ng of Object.values(all(json, 'aws_eks_node_group'))) expect(ng.lifecycle?.ignore_changes ?? []).not.toContain('remote_access');
      });
    });
  }
});

describe('the OIDC provider', () => {
  test('each emulated cluster gets its own provider URL, since moto gives every cluster of a region one issuer', () => {
    const urls = environments.filter((env) => env.config.emulated).map((env) => only(synthKarr(env), 'aws_iam_openid_connect_provider').body.url as string);
    expect(urls.length).toBeGreaterThan(1);
    expect(new Set(urls).size).toBe(urls.length);
  });

  test('a real cluster trusts exactly its issuer URL', () => {
    for (const env of environments.filter((e) => !e.config.emulated)) {
      expect(only(synthKarr(env), 'aws_iam_openid_connect_provider').body.url).toBe('${aws_eks_cluster.cluster.identity[0].oidc[0].issuer}');
    }
  });
});
