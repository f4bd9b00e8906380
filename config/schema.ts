/**
 * The shape of an environment's merged configuration.
 *
 * Every `env.yaml` in the hierarchy is a partial of this shape; the merge of a leaf's chain must
 * satisfy it whole. The same definition produces the TypeScript types, the run-time validation and
 * the JSON Schema that editors use to autocomplete `env.yaml` (`npm run schema`).
 */
import { z } from 'zod';
import { DNS1123_LABEL } from './kubernetes-rules';
import { SEVERITY_SETTINGS } from '../policies/rule';

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const K8S_QUANTITY = /^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;

// The only retention periods CloudWatch Logs accepts.
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const cidr = z.string().regex(IPV4_CIDR, { error: (i) => `${JSON.stringify(i.input)} is not an IPv4 CIDR` });
const dns1123 = z
  .string()
  .regex(DNS1123_LABEL, { error: (i) => `${JSON.stringify(i.input)} is not a valid DNS-1123 label (lower-case letters, digits and '-', at most 63)` });
const quantity = z.string().regex(K8S_QUANTITY, { error: (i) => `${JSON.stringify(i.input)} is not a Kubernetes quantity` });
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, { error: (i) => `${JSON.stringify(i.input)} is not a version like 1.31.0` });
const imageDigest = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, { error: (i) => `${JSON.stringify(i.input)} is not an image digest like sha256:<64 hex digits>` });
const securityGroupId = z.string().regex(/^sg-[0-9a-f]+$/, { error: (i) => `${JSON.stringify(i.input)} is not a security group id` });
const iamRoleArn = z.string().regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/, { error: (i) => `${JSON.stringify(i.input)} is not an IAM role ARN` });

const awsSchema = z
  .object({
    accountId: z
      .string()
      .regex(/^\d{12}$/, { error: (i) => `${JSON.stringify(i.input)} is not a 12-digit AWS account id` })
      .describe('The AWS account the environment lives in. The provider refuses any other account.'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: (i) => `${JSON.stringify(i.input)} is not an AWS region` })
      .describe('The AWS region, e.g. eu-west-1.'),
    azs: z.array(z.string()).min(2).describe('Availability zones, in order; subnet lists are indexed by this order.'),
  })
  .strict();

const vpcSchema = z
  .object({
    cidr: cidr.describe('The VPC CIDR block.'),
    subnets: z
      .object({
        public: z.array(cidr).describe('One public subnet per AZ (load balancers, NAT gateways).'),
        private: z.array(cidr).describe('One private subnet per AZ (nodes and pods).'),
        intra: z.array(cidr).describe('One intra subnet per AZ, with no route out (EKS control-plane ENIs).'),
      })
      .strict(),
    natMode: z.enum(['single', 'per-az']).describe('One NAT gateway for the VPC (cheap), or one per AZ (survives an AZ outage).'),
    interfaceEndpoints: z
      .boolean()
      .default(false)
      .describe(
        'Interface endpoints for ECR (api, dkr), STS, CloudWatch Logs and EC2, so private nodes pull images and assume roles without NAT. Protected environments must have them.',
      ),
    runnerSubnet: cidr
      .optional()
      .describe('A private subnet, in the first AZ, for a self-hosted CI runner; it is allowed to the private API endpoint on port 443.'),
    flowLogs: z
      .object({
        enabled: z.boolean().default(true).describe('Send VPC flow logs to CloudWatch Logs.'),
        retentionDays: z
          .number()
          .refine((d) => LOG_RETENTION_DAYS.includes(d), {
            error: (i) => `${JSON.stringify(i.input)} is not a retention CloudWatch accepts (${LOG_RETENTION_DAYS.join(', ')})`,
          })
          .describe('Days CloudWatch keeps flow logs; one of the values CloudWatch accepts.'),
      })
      .strict(),
  })
  .strict();

const nodeGroupSchema = z
  .object({
    instanceTypes: z
      .array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, { error: (i) => `${JSON.stringify(i.input)} is not an EC2 instance type` }))
      .min(1)
      .describe('EC2 instance types, in order of preference.'),
    capacityType: z.enum(['ON_DEMAND', 'SPOT']).default('ON_DEMAND').describe('On-demand or spot capacity.'),
    minSize: z.number().int().min(0).describe('Fewest nodes.'),
    desiredSize: z.number().int().min(0).describe('Nodes at creation; the autoscaler moves it afterwards.'),
    maxSize: z.number().int().min(1).describe('Most nodes.'),
    diskSizeGiB: z.number().int().min(20).max(16384).default(50).describe('Size of the encrypted gp3 root volume.'),
    labels: z.record(z.string(), z.string()).default({}).describe('Kubernetes labels on the nodes.'),
  })
  .strict();

const kubernetesSchema = z
  .object({
    // Any 1.N parses; whether EKS supports it is the version table's answer (eks-versions.ts), not a regex's.
    version: z
      .string()
      .regex(/^1\.\d{1,3}$/, { error: (i) => `${JSON.stringify(i.input)} is not a Kubernetes minor version like 1.35` })
      .describe('Kubernetes minor version of the control plane and the node groups; add-on versions follow it (config/eks-versions.ts).'),
    serviceCidr: cidr
      .default('172.20.0.0/16')
      .describe(
        "The cluster's Service CIDR (EKS's service_ipv4_cidr), /12 to /24 in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, not overlapping vpc.cidr. Its first address is the `kubernetes` Service's ClusterIP, which the platform add-ons' network policies let them reach.",
      ),
    publicAccessCidrs: z.array(cidr).default([]).describe('CIDRs allowed to reach a public API endpoint. Empty keeps the endpoint private only.'),
    adminRoleArns: z.array(iamRoleArn).default([]).describe('IAM roles given cluster-admin through EKS access entries.'),
    nodeGroups: z.record(dns1123, nodeGroupSchema).describe('Managed node groups by name.'),
    addons: z
      .object({
        vpcCni: z.string().optional().describe('Override of the vpc-cni add-on version the version table gives the cluster minor.'),
        coredns: z.string().optional().describe('Override of the coredns add-on version the version table gives the cluster minor.'),
        kubeProxy: z.string().optional().describe('Override of the kube-proxy add-on version; its minor must equal kubernetes.version.'),
        podIdentityAgent: z.string().optional().describe('Override of the eks-pod-identity-agent add-on version.'),
        ebsCsiDriver: z.string().optional().describe('Override of the aws-ebs-csi-driver add-on version.'),
      })
      .strict()
      .default({})
      .describe('EKS add-on versions. Leave out to take the ones the version table gives the cluster minor.'),
    deployer: z
      .object({
        roleArn: iamRoleArn
          .optional()
          .describe('The IAM role CI assumes to plan and apply; it gets cluster-admin through an access entry. Required in real accounts.'),
        apiAccessCidrs: z.array(cidr).default([]).describe('CIDRs (e.g. a VPN or a peered CI network) allowed to the private API endpoint on port 443.'),
        apiAccessSecurityGroupIds: z
          .array(securityGroupId)
          .default([])
          .describe('Security groups (e.g. of a CI runner in a peered VPC) allowed to the private API endpoint on port 443.'),
      })
      .strict()
      .default({ apiAccessCidrs: [], apiAccessSecurityGroupIds: [] })
      .describe('How the machine that runs apply reaches and is trusted by the cluster API.'),
    operatorAccess: z
      .object({
        cidrs: z
          .array(cidr)
          .default([])
          .describe("CIDRs of the operators' network path (a VPN or a transit gateway's range) allowed to the private API endpoint on port 443."),
        securityGroupIds: z
          .array(securityGroupId)
          .default([])
          .describe("Security groups (e.g. an SSM bastion's) allowed to the private API endpoint on port 443, for admins, teams and viewers."),
      })
      .strict()
      .default({ cidrs: [], securityGroupIds: [] })
      .describe(
        'How people (admins, teams, viewers, break-glass) reach a private API endpoint. A real account whose API is private needs at least one path here: the CI runner is no way in for people.',
      ),
    systemNodeGroup: dns1123
      .optional()
      .describe('The node group, from nodeGroups, kept for platform add-ons: tainted CriticalAddonsOnly, and the add-ons select it.'),
  })
  .strict();

const teamSchema = z
  .object({
    name: dns1123.describe('Team name; also its namespace.'),
    group: z.string().min(1).describe("Kubernetes group given edit rights in the namespace; the team's IAM roles are mapped to it by EKS access entries."),
    roleArns: z
      .array(iamRoleArn)
      .default([])
      .describe("IAM roles the team's members assume to log in; each gets an access entry with the team's group. At least one."),
    quota: z
      .object({
        cpu: quantity.describe('Total CPU requests allowed.'),
        memory: quantity.describe('Total memory requests allowed.'),
        pods: z.number().int().min(1).describe('Most pods.'),
      })
      .strict(),
    defaults: z
      .object({
        cpu: quantity.default('100m').describe('Default CPU request and limit per container.'),
        memory: quantity.default('128Mi').describe('Default memory request and limit per container.'),
      })
      .strict()
      .default({ cpu: '100m', memory: '128Mi' }),
    allowOpenNetworkPolicies: z
      .boolean()
      .optional()
      .describe(
        "Let the team create NetworkPolicies with a rule open to every address on every port (no peers, or 0.0.0.0/0, and no ports), which undoes the namespace's default-deny. Off by default.",
      ),
    allowPublicLoadBalancers: z
      .boolean()
      .optional()
      .describe(
        'Let the team create internet-facing LoadBalancer Services (the public subnets are tagged for load balancers). Off by default: a LoadBalancer Service must be annotated internal.',
      ),
    allowSystemPriority: z
      .boolean()
      .optional()
      .describe(
        "Let the team's pods use the system- priority classes (system-cluster-critical, system-node-critical), which preempt the platform's. Off by default.",
      ),
  })
  .strict();

const platformSchema = z
  .object({
    namespace: dns1123.default('platform').describe('Namespace of the platform add-ons.'),
    viewersGroup: z.string().min(1).describe('Kubernetes group given read-only access to the whole cluster.'),
    viewerRoleArns: z.array(iamRoleArn).default([]).describe('IAM roles mapped to viewersGroup by EKS access entries.'),
    teams: z.array(teamSchema).default([]).describe('Teams, each with a namespace of its own.'),
    addons: z
      .object({
        clusterAutoscaler: semver
          .optional()
          .describe('Override of the cluster-autoscaler version the version table gives the cluster minor; its minor must match kubernetes.version.'),
        clusterAutoscalerDigest: imageDigest.optional().describe('Image digest of an overridden clusterAutoscaler version (required with it).'),
        metricsServer: semver.optional().describe('Override of the pinned metrics-server version.'),
        metricsServerDigest: imageDigest.optional().describe('Image digest of an overridden metricsServer version (required with it).'),
      })
      .strict()
      .default({})
      .describe("Versions of Goliath's add-ons. Leave out to take the pins in config/eks-versions.ts; images are pulled by tag and digest."),
  })
  .strict();

const backendSchema = z
  .object({
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: (i) => `${JSON.stringify(i.input)} is not an S3 bucket name` })
      .describe("S3 bucket holding every layer's state."),
    region: z.string().describe('Region of the state bucket.'),
    kmsKeyArn: z
      .string()
      .regex(/^arn:aws:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/-]+$/, { error: (i) => `${JSON.stringify(i.input)} is not a KMS key or alias ARN` })
      .optional()
      .describe(
        'The KMS key that encrypts the state bucket (SSE-KMS). Leave out to have bdda create one, with the alias `alias/<bucket>`, when it creates the bucket.',
      ),
    lockTable: z
      .string()
      .min(3)
      .optional()
      .describe(
        'The older option: lock state in this DynamoDB table (created on first use), which terraform 1.11 deprecates. Leave out (the default) to lock with S3 lock files (`use_lockfile`) beside each state object.',
      ),
  })
  .strict();

export const environmentConfigSchema = z
  .object({
    $schema: z.string().optional().describe('Path of the JSON Schema, for editors.'),
    organisation: dns1123.describe('Short organisation name, used in tags.'),
    emulated: z.boolean().default(false).describe('Run against the local AWS emulator (moto) instead of a real account.'),
    protected: z.boolean().default(false).describe('Guard applies and destroys with the rules under `protection`.'),
    protection: z
      .object({
        mainBranch: z.string().min(1).default('main').describe('The branch HEAD must be on to apply.'),
        requireMainBranch: z.boolean().default(true).describe('Apply only from the main branch.'),
        requireCleanTree: z.boolean().default(true).describe('Apply only from a clean git working tree.'),
        allowDestroy: z.boolean().default(false).describe('Let `destroy` tear the environment down.'),
      })
      .strict()
      .default({ mainBranch: 'main', requireMainBranch: true, requireCleanTree: true, allowDestroy: false })
      .describe('Guards of a protected environment. Off a terminal, apply and destroy also need --yes.'),
    review: z
      .enum(['whole-cake', 'per-layer'])
      .default('whole-cake')
      .describe(
        "`whole-cake`: one review covers every layer; a layer planned as a preview ahead of its upstream is applied in the same run when its real plan matches the preview. `per-layer`: apply stops after each upstream layer and writes the next layer's real diff for its own review.",
      ),
    claims: z
      .boolean()
      .default(false)
      .describe(
        'People take turns on this environment: `npm run claim` leases it, and apply, destroy and sync by anyone but the holder are refused without --force.',
      ),
    claimDuration: z
      .object({
        default: z.string().default('8h').describe('How long a claim lasts without --for, e.g. 8h.'),
        max: z.string().default('7d').describe('The longest --for accepted, e.g. 7d.'),
      })
      .strict()
      .default({ default: '8h', max: '7d' })
      .describe('Lengths of claims (ms notation: 30m, 8h, 2d).'),
    aws: awsSchema,
    vpc: vpcSchema,
    kubernetes: kubernetesSchema,
    platform: platformSchema,
    backend: backendSchema,
    ci: z
      .object({
        runnerLabel: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
            error: (i) => `${JSON.stringify(i.input)} is not a runner label (letters, digits, '.', '_' and '-')`,
          })
          .optional()
          .describe(
            "The self-hosted CI runner label the pipeline's jobs for this environment run on (`npm run ci -- matrix`). Required where the API is private: that runner must sit in this environment's vpc.runnerSubnet. @default bdda",
          ),
      })
      .strict()
      .default({})
      .describe('How CI runs this environment.'),
    tags: z.record(z.string(), z.string()).default({}).describe('Tags on every AWS resource.'),
    policy: z
      .object({
        severity: z
          .record(z.string(), z.enum(SEVERITY_SETTINGS))
          .default({})
          .describe(
            'Severity of policy rules by id (policies/index.ts, `npm run check`): `error` stops plan and apply unless waived, `warning` is reported, `off` skips the rule. Merged key by key down the hierarchy; unset rules keep their default.',
          ),
      })
      .strict()
      .default({ severity: {} })
      .describe('Policy checks on the synthesized layers and on every plan.'),
  })
  .strict();

export type EnvironmentConfig = z.infer<typeof environmentConfigSchema>;
export type NodeGroupConfig = z.infer<typeof nodeGroupSchema>;
export type TeamConfig = z.infer<typeof teamSchema>;

/** The JSON Schema for `env.yaml` files. Every key is optional, since each level holds only part. */
export function environmentJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(environmentConfigSchema, { io: 'input' }) as Record<string, unknown>;
  return {
    ...(withoutRequired(schema) as Record<string, unknown>),
    title: 'bdda env.yaml',
    description: 'One level of the bdda environment hierarchy. Levels merge from environments/ down to the leaf.',
  };
}

function withoutRequired(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutRequired);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'required') out[key] = withoutRequired(value);
  }
  return out;
}
