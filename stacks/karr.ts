/**
 * KARR: the compute behind a bare Kubernetes API. An EKS cluster in FLAG's network, with its
 * secrets encrypted by a key of its own, a private endpoint, audit logs, access granted only through
 * access entries, managed node groups hardened by a launch template, the managed add-ons, and the
 * IRSA roles Goliath's add-ons assume.
 *
 * FLAG's ids arrive as tokens in `props.network`; cdktf turns them into `terraform_remote_state`
 * reads of FLAG's state.
 */
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
import { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Fn, TerraformOutput, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import type { NodeGroupConfig } from '../bdda/config/schema';
import type { IrsaAddon } from '../bdda/naming';
import type { FlagNetwork } from './flag';
import { LayerStack, type LayerStackProps } from './layer-stack';

export interface KarrStackProps extends LayerStackProps {
  /** FLAG's network, read through remote state. */
  readonly network: FlagNetwork;
}

const AWS_MANAGED = 'arn:aws:iam::aws:policy';
const CLUSTER_ADMIN_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';

/** The node role's policies, and no others. */
const NODE_ROLE_POLICIES = ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryReadOnly', 'AmazonEKS_CNI_Policy'] as const;

/** Control-plane log streams shipped to CloudWatch. */
const CONTROL_PLANE_LOG_TYPES = ['api', 'audit', 'authenticator'];

/**
 * Each IRSA add-on's service account (in the platform namespace, where Goliath puts it) and what it
 * may do in AWS, given the cluster it serves.
 */
const IRSA_POLICIES: Record<IrsaAddon, { serviceAccount: string; statements: (clusterName: string) => object[] }> = {
  'cluster-autoscaler': {
    serviceAccount: 'cluster-autoscaler',
    statements: (clusterName) => [
      {
        Sid: 'Discover',
        Effect: 'Allow',
        Action: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLaunchConfigurations',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:DescribeTags',
          'ec2:DescribeImages',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:GetInstanceTypesFromInstanceRequirements',
          'eks:DescribeNodegroup',
        ],
        Resource: '*',
      },
      {
        // Only the auto scaling groups EKS created for this cluster's node groups carry this tag.
        Sid: 'ScaleOwnNodeGroups',
        Effect: 'Allow',
        Action: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        Resource: '*',
        Condition: { StringEquals: { [`aws:ResourceTag/kubernetes.io/cluster/${clusterName}`]: 'owned' } },
      },
    ],
  },
};

export class KarrStack extends LayerStack {
  public readonly cluster: EksCluster;
  public readonly oidcProvider: IamOpenidConnectProvider;

  constructor(scope: Construct, props: KarrStackProps) {
    super(scope, 'karr', props);
    const { network } = props;

    const secretsKey = this.secretsKey();
    this.cluster = this.controlPlane(network, secretsKey);
    this.oidcProvider = new IamOpenidConnectProvider(this, 'oidc-provider', {
      url: this.cluster.identity.get(0).oidc.get(0).issuer,
      clientIdList: ['sts.amazonaws.com'],
      tags: this.nameTags('oidc'),
    });

    // The emulator (moto) implements neither access entries nor EKS add-ons, so emulated
    // environments leave both out; real environments always get them.
    if (!this.config.emulated) this.accessEntries();
    const cni = this.config.emulated ? undefined : this.addon('vpc-cni', this.config.kubernetes.addons.vpcCni);

    // vpc-cni goes first so that nodes join with the pinned CNI already in place.
    const nodeGroups = this.nodeGroups(network, cni ? [cni] : []);

    if (!this.config.emulated) {
      this.addon('kube-proxy', this.config.kubernetes.addons.kubeProxy);
      this.addon('eks-pod-identity-agent', this.config.kubernetes.addons.podIdentityAgent);
      // CoreDNS is a Deployment: without nodes it never becomes healthy and the apply times out.
      this.addon('coredns', this.config.kubernetes.addons.coredns, nodeGroups);
    }

    const irsaRoles = (Object.keys(IRSA_POLICIES) as IrsaAddon[]).map((addon) => this.irsaRole(addon));

    new TerraformOutput(this, 'cluster_name', { value: this.cluster.name });
    new TerraformOutput(this, 'cluster_endpoint', { value: this.cluster.endpoint });
    new TerraformOutput(this, 'cluster_certificate_authority_data', { value: this.cluster.certificateAuthority.get(0).data });
    new TerraformOutput(this, 'oidc_issuer_url', { value: this.cluster.identity.get(0).oidc.get(0).issuer });
    new TerraformOutput(this, 'oidc_provider_arn', { value: this.oidcProvider.arn });
    for (const role of irsaRoles) new TerraformOutput(this, `${role.addon}_role_arn`.replace(/-/g, '_'), { value: role.role.arn });
  }

  /** A customer-managed key for envelope encryption of Kubernetes secrets. */
  private secretsKey(): KmsKey {
    const key = new KmsKey(this, 'secrets-key', {
      description: `Envelope encryption of Kubernetes secrets in EKS cluster ${this.naming.clusterName}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: this.nameTags('eks-secrets'),
    });
    new KmsAlias(this, 'secrets-key-alias', { name: `alias/${this.naming.resource('eks-secrets')}`, targetKeyId: key.keyId });
    return key;
  }

  private controlPlane(network: FlagNetwork, secretsKey: KmsKey): EksCluster {
    const { kubernetes, emulated } = this.config;
    const clusterName = this.naming.clusterName;

    const role = new IamRole(this, 'cluster-role', {
      name: this.naming.roleName('cluster'),
      assumeRolePolicy: trustService('eks.amazonaws.com'),
      tags: this.nameTags('cluster'),
    });
    const policy = new IamRolePolicyAttachment(this, 'cluster-role-AmazonEKSClusterPolicy', {
      role: role.name,
      policyArn: `${AWS_MANAGED}/AmazonEKSClusterPolicy`,
    });
    // EKS calls KMS as the cluster role to wrap and unwrap secrets; this key only.
    const kms = new IamRolePolicy(this, 'cluster-role-secrets-encryption', {
      role: role.name,
      name: 'secrets-encryption',
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ListGrants', 'kms:DescribeKey'], Resource: secretsKey.arn }],
      }),
    });

    // EKS writes to this fixed name; creating it first gives it a retention and keeps it in state.
    // Audit logs follow the environment's retention for network logs: one retention per tier, and
    // the security trail (flow logs, API audit) kept equally long.
    const logs = new CloudwatchLogGroup(this, 'control-plane-logs', {
      name: `/aws/eks/${clusterName}/cluster`,
      retentionInDays: this.config.vpc.flowLogs.retentionDays,
      tags: this.nameTags('control-plane-logs'),
    });

    const publicAccess = kubernetes.publicAccessCidrs.length > 0;
    return new EksCluster(this, 'cluster', {
      name: clusterName,
      version: kubernetes.version,
      roleArn: role.arn,
      enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
      vpcConfig: {
        // Control-plane ENIs go in the intra subnets, which have no route out.
        subnetIds: network.intraSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicAccess,
        ...(publicAccess ? { publicAccessCidrs: kubernetes.publicAccessCidrs } : {}),
      },
      encryptionConfig: { resources: ['secrets'], provider: { keyArn: secretsKey.arn } },
      // Only access entries grant access; whoever runs the apply gets nothing implicitly.
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false },
      tags: this.nameTags('cluster'),
      dependsOn: [policy, kms, logs],
      // The emulator reports an access_config other than the one applied, which would replace the
      // cluster on every plan.
      ...(emulated ? { lifecycle: { ignoreChanges: ['access_config'] } } : {}),
    });
  }

  /** Cluster-admin, cluster-wide, for each configured admin role. */
  private accessEntries(): void {
    const ids = new Set<string>();
    for (const principalArn of this.config.kubernetes.adminRoleArns) {
      // Keyed by role name, so reordering the list moves nothing; the account breaks a tie.
      const [, , , , account, resource] = principalArn.split(':');
      const roleName = resource.split('/').pop() as string;
      let id = `admin-${roleName}`.replace(/[^A-Za-z0-9_-]/g, '-');
      if (ids.has(id)) id = `admin-${account}-${roleName}`.replace(/[^A-Za-z0-9_-]/g, '-');
      ids.add(id);
      const entry = new EksAccessEntry(this, id, { clusterName: this.cluster.name, principalArn, type: 'STANDARD' });
      new EksAccessPolicyAssociation(this, `${id}-cluster-admin`, {
        clusterName: this.cluster.name,
        principalArn: entry.principalArn,
        policyArn: CLUSTER_ADMIN_POLICY,
        accessScope: { type: 'cluster' },
      });
    }
  }

  private addon(name: string, version: string, after: ITerraformDependable[] = []): EksAddon {
    return new EksAddon(this, `addon-${name}`, {
      clusterName: this.cluster.name,
      addonName: name,
      addonVersion: version,
      resolveConflictsOnCreate: 'OVERWRITE',
      resolveConflictsOnUpdate: 'OVERWRITE',
      tags: this.nameTags(name),
      ...(after.length ? { dependsOn: after } : {}),
    });
  }

  private nodeGroups(network: FlagNetwork, after: ITerraformDependable[]): EksNodeGroup[] {
    const role = new IamRole(this, 'node-role', {
      name: this.naming.roleName('node'),
      assumeRolePolicy: trustService('ec2.amazonaws.com'),
      tags: this.nameTags('node'),
    });
    // The CNI policy sits on the node role, where aws-node finds it through the instance profile,
    // so nodes can network before the OIDC provider and any IRSA role exist. Pods cannot reach
    // these credentials: the launch template caps IMDS at one hop.
    const attachments = NODE_ROLE_POLICIES.map(
      (policy) => new IamRolePolicyAttachment(this, `node-role-${policy}`, { role: role.name, policyArn: `${AWS_MANAGED}/${policy}` }),
    );

    return Object.entries(this.config.kubernetes.nodeGroups).map(([name, group]) =>
      this.nodeGroup(name, group, role, network, [...attachments, ...after]),
    );
  }

  private nodeGroup(name: string, group: NodeGroupConfig, role: IamRole, network: FlagNetwork, after: ITerraformDependable[]): EksNodeGroup {
    const template = new LaunchTemplate(this, `node-group-${name}-template`, {
      name: this.naming.resource('node', name),
      description: `Nodes of EKS node group ${name} in ${this.naming.clusterName}`,
      updateDefaultVersion: true,
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        // One hop: the node reaches IMDS, pods behind the extra network hop do not.
        httpPutResponseHopLimit: 1,
      },
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: { volumeSize: group.diskSizeGiB, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' },
        },
      ],
      // The provider's default tags stop at the template; instances and volumes get them here.
      tagSpecifications: ['instance', 'volume'].map((resourceType) => ({ resourceType, tags: { ...this.instanceTags(), ...this.nameTags('node', name) } })),
      tags: this.nameTags('node', name),
      // The emulator reports the template's own tags back as one more tag specification, which
      // would bump the template version, and roll the node group, on every plan.
      ...(this.config.emulated ? { lifecycle: { ignoreChanges: ['tag_specifications'] } } : {}),
    });

    // The cluster autoscaler owns desired_size once the group exists.
    const ignoreChanges = ['scaling_config[0].desired_size'];
    // The emulator invents a remote_access block, which would replace the group on every plan,
    // and does not report update_config back, which would update it on every plan.
    if (this.config.emulated) ignoreChanges.push('remote_access', 'update_config');

    return new EksNodeGroup(this, `node-group-${name}`, {
      clusterName: this.cluster.name,
      nodeGroupName: this.naming.resource(name),
      nodeRoleArn: role.arn,
      subnetIds: network.privateSubnetIds,
      instanceTypes: group.instanceTypes,
      capacityType: group.capacityType,
      scalingConfig: { minSize: group.minSize, desiredSize: group.desiredSize, maxSize: group.maxSize },
      updateConfig: { maxUnavailable: 1 },
      launchTemplate: { id: template.id, version: Fn.tostring(template.latestVersion) },
      labels: group.labels,
      tags: this.nameTags(name),
      dependsOn: after,
      lifecycle: { ignoreChanges },
    });
  }

  private instanceTags(): Record<string, string> {
    const { tags, organisation } = this.config;
    return { ...tags, organisation, environment: this.naming.envPath, layer: 'karr' };
  }

  /** A role only the add-on's service account, in this cluster, can assume. */
  private irsaRole(addon: IrsaAddon): { addon: IrsaAddon; role: IamRole } {
    const spec = IRSA_POLICIES[addon];
    const issuer = Fn.replace(this.oidcProvider.url, 'https://', '');
    const namespace = this.config.platform.namespace;
    const role = new IamRole(this, `irsa-${addon}`, {
      // Goliath annotates the service account with naming.irsaRoleArn(addon): the name must match.
      name: this.naming.roleName(`irsa-${addon}`),
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: this.oidcProvider.arn },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: {
              StringEquals: {
                [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${spec.serviceAccount}`,
                [`${issuer}:aud`]: 'sts.amazonaws.com',
              },
            },
          },
        ],
      }),
      tags: this.nameTags(`irsa-${addon}`),
    });
    new IamRolePolicy(this, `irsa-${addon}-policy`, {
      role: role.name,
      name: addon,
      policy: JSON.stringify({ Version: '2012-10-17', Statement: spec.statements(this.naming.clusterName) }),
    });
    return { addon, role };
  }
}

function trustService(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
}
