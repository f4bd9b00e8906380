/**
 * KARR: the compute behind a bare Kubernetes API. An EKS cluster in FLAG's network, with its
 * secrets and its audit logs encrypted by keys of its own, a private endpoint that the deployer
 * reaches on 443, access granted only through access entries (deploy role and admins, teams,
 * viewers), managed node groups on the cluster's version hardened by a launch template, the
 * managed add-ons at the versions the EKS version table gives the minor (vpc-cni enforcing network
 * policies, the EBS CSI driver), and the IRSA roles the add-ons assume.
 *
 * FLAG's ids are read, as whole lists, through one `terraform_remote_state` of FLAG's state
 * (flag-outputs.ts), so adding an AZ to FLAG does not break KARR's plan before FLAG is applied.
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
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Fn, TerraformOutput, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import type { FlagOutputs, KarrInputs } from '../config/layer-inputs';
import type { NodeGroupConfig } from '../config/schema';
import { PLATFORM_DEPLOYERS_GROUP, SYSTEM_NODE_LABEL, SYSTEM_NODE_TAINT, type IrsaAddon } from '../config/naming';
import { readFlagOutputs } from './flag-outputs';
import { customerManagedKey, KEY_USER_ACTIONS, logsServiceStatement } from './kms-keys';
import { LayerStack } from './layer-stack';

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
interface IrsaSpec {
  /** Namespace of the service account; `platform` means the platform namespace from config. */
  readonly namespace: 'platform' | 'kube-system';
  readonly serviceAccount: string;
  /** Inline statements, given the cluster name. */
  readonly statements?: (clusterName: string) => object[];
  /** AWS managed policies attached, by name. */
  readonly managedPolicies?: readonly string[];
}

const IRSA_POLICIES: Record<IrsaAddon, IrsaSpec> = {
  // The EKS add-on runs its controller as this service account in kube-system.
  'ebs-csi-driver': { namespace: 'kube-system', serviceAccount: 'ebs-csi-controller-sa', managedPolicies: ['service-role/AmazonEBSCSIDriverPolicy'] },
  'cluster-autoscaler': {
    namespace: 'platform',
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

  private readonly props: KarrInputs;

  constructor(scope: Construct, props: KarrInputs) {
    super(scope, 'karr', props);
    this.props = props;
    const network = readFlagOutputs(this, props.flagState);

    this.cluster = this.controlPlane(network);
    this.apiAccess();
    const issuer = this.cluster.identity.get(0).oidc.get(0).issuer;
    this.oidcProvider = new IamOpenidConnectProvider(this, 'oidc-provider', {
      // moto 5.2 gives every cluster of a region one issuer URL (a random id per process), so a
      // second emulated cluster's provider would collide with the first; nothing checks tokens
      // there, so emulated providers are told apart by the cluster's name.
      url: props.emulated ? `${issuer}/${this.naming.clusterName}` : issuer,
      clientIdList: ['sts.amazonaws.com'],
      tags: this.nameTags('oidc'),
    });

    const irsaRoles = (Object.keys(IRSA_POLICIES) as IrsaAddon[]).map((addon) => this.irsaRole(addon));
    const versions = props.addonVersions;

    // The emulator (moto) implements neither access entries nor EKS add-ons, so emulated
    // environments leave both out; real environments always get them.
    if (!props.emulated) this.accessEntries();
    // The DaemonSet add-ons go before the node groups (healthy with no nodes yet), so nodes join
    // with them in place, and an upgrade updates them after the control plane and before the nodes.
    // The network policy agent enforces Goliath's NetworkPolicies; without it they are inert.
    const daemonSets = props.emulated
      ? []
      : [
          this.addon('vpc-cni', versions.vpcCni, { configurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }) }),
          this.addon('kube-proxy', versions.kubeProxy),
          this.addon('eks-pod-identity-agent', versions.podIdentityAgent),
        ];
    const nodeGroups = this.nodeGroups(network, daemonSets);

    if (!props.emulated) {
      // Deployments: without nodes they never become healthy and the apply times out.
      this.addon('coredns', versions.coredns, { after: nodeGroups });
      const ebs = irsaRoles.find((r) => r.addon === 'ebs-csi-driver') as { role: IamRole };
      this.addon('aws-ebs-csi-driver', versions.ebsCsiDriver, { after: nodeGroups, serviceAccountRoleArn: ebs.role.arn });
    }

    new TerraformOutput(this, 'cluster_name', { value: this.cluster.name });
    new TerraformOutput(this, 'cluster_endpoint', { value: this.cluster.endpoint });
    new TerraformOutput(this, 'cluster_certificate_authority_data', { value: this.cluster.certificateAuthority.get(0).data });
    new TerraformOutput(this, 'oidc_issuer_url', { value: this.cluster.identity.get(0).oidc.get(0).issuer });
    new TerraformOutput(this, 'oidc_provider_arn', { value: this.oidcProvider.arn });
    for (const role of irsaRoles) new TerraformOutput(this, `${role.addon}_role_arn`.replace(/-/g, '_'), { value: role.role.arn });
  }

  private controlPlane(network: FlagOutputs): EksCluster {
    const { emulated, publicAccessCidrs } = this.props;
    const clusterName = this.naming.clusterName;

    const role = new IamRole(this, 'cluster-role', {
      name: this.naming.roleName('cluster'),
      assumeRolePolicy: trustService('eks.amazonaws.com'),
      tags: this.nameTags('cluster'),
    });
    // Envelope encryption of Kubernetes secrets: the cluster role uses the key, admins administer it.
    const secretsKey = customerManagedKey(this, 'secrets-key', {
      accountId: this.props.accountId,
      administrators: this.props.keyAdministrators,
      description: `Envelope encryption of Kubernetes secrets in EKS cluster ${clusterName}`,
      alias: this.naming.resource('eks-secrets'),
      usage: [{ Sid: 'KeyUsers', Effect: 'Allow', Principal: { AWS: role.arn }, Action: [...KEY_USER_ACTIONS, 'kms:ListGrants'], Resource: '*' }],
      tags: this.nameTags('eks-secrets'),
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
    const logGroupName = `/aws/eks/${clusterName}/cluster`;
    const logsKey = customerManagedKey(this, 'control-plane-log-key', {
      accountId: this.props.accountId,
      administrators: this.props.keyAdministrators,
      description: `Encryption of the control-plane logs of EKS cluster ${clusterName}`,
      alias: this.naming.resource('control-plane-logs'),
      usage: [logsServiceStatement(this.props, logGroupName)],
      tags: this.nameTags('control-plane-logs'),
    });
    const logs = new CloudwatchLogGroup(this, 'control-plane-logs', {
      name: logGroupName,
      retentionInDays: this.props.logRetentionDays,
      kmsKeyId: logsKey.arn,
      tags: this.nameTags('control-plane-logs'),
    });

    const publicAccess = publicAccessCidrs.length > 0;
    return new EksCluster(this, 'cluster', {
      name: clusterName,
      version: this.props.kubernetesVersion,
      roleArn: role.arn,
      enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
      vpcConfig: {
        // Control-plane ENIs go in the intra subnets, which have no route out.
        subnetIds: network.intraSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicAccess,
        ...(publicAccess ? { publicAccessCidrs } : {}),
      },
      // Set rather than left to EKS, so Goliath knows the API's ClusterIP for its network policies.
      kubernetesNetworkConfig: { serviceIpv4Cidr: this.props.serviceCidr },
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

  /**
   * Port 443 of the cluster security group (which EKS puts on the API's private ENIs) for the
   * deployer's CIDRs and security groups and the runner subnet, how apply reaches a private API,
   * and for the operators' networks and security groups, how people reach it.
   */
  private apiAccess(): void {
    const { apiAccessCidrs, apiAccessSecurityGroupIds, runnerSubnetCidr, operatorAccess } = this.props;
    const sg = this.cluster.vpcConfig.clusterSecurityGroupId;
    const rule = (id: string, description: string, source: { cidrIpv4: string } | { referencedSecurityGroupId: string }) =>
      new VpcSecurityGroupIngressRule(this, id, { securityGroupId: sg, description, ipProtocol: 'tcp', fromPort: 443, toPort: 443, ...source });
    for (const cidr of apiAccessCidrs) rule(`api-from-${cidr.replace(/[./]/g, '-')}`, `Kubernetes API from deployer CIDR ${cidr}`, { cidrIpv4: cidr });
    for (const group of apiAccessSecurityGroupIds)
      rule(`api-from-${group}`, `Kubernetes API from deployer security group ${group}`, { referencedSecurityGroupId: group });
    if (runnerSubnetCidr) rule('api-from-runner-subnet', 'Kubernetes API from the CI runner subnet', { cidrIpv4: runnerSubnetCidr });
    for (const cidr of operatorAccess.cidrs)
      rule(`api-from-operators-${cidr.replace(/[./]/g, '-')}`, `Kubernetes API from operators' network ${cidr}`, { cidrIpv4: cidr });
    for (const group of operatorAccess.securityGroupIds)
      rule(`api-from-operators-${group}`, `Kubernetes API from operators' security group ${group}`, { referencedSecurityGroupId: group });
  }

  /**
   * One access entry per IAM role: the deploy role and the admins get cluster-admin and the
   * platform deployers' group; team roles their team's group, viewer roles the viewers' group,
   * which Goliath's bindings name. A role in several lists gets every group in one entry.
   */
  private accessEntries(): void {
    const access = this.props.access;
    const principals = new Map<string, { groups: Set<string>; admin: boolean }>();
    const add = (arn: string, group: string, admin = false): void => {
      const entry = principals.get(arn) ?? { groups: new Set<string>(), admin: false };
      entry.groups.add(group);
      entry.admin ||= admin;
      principals.set(arn, entry);
    };
    for (const arn of [access.deployerRoleArn, ...access.adminRoleArns]) if (arn) add(arn, PLATFORM_DEPLOYERS_GROUP, true);
    for (const team of access.teams) for (const arn of team.roleArns) add(arn, team.group);
    for (const arn of access.viewerRoleArns) add(arn, access.viewersGroup);

    const ids = new Set<string>();
    for (const [principalArn, { groups, admin }] of principals) {
      // Keyed by role name, so reordering the lists moves nothing; the account breaks a tie.
      const [, , , , account, resource] = principalArn.split(':');
      const roleName = resource.split('/').pop() as string;
      let id = `access-${roleName}`.replace(/[^A-Za-z0-9_-]/g, '-');
      if (ids.has(id)) id = `access-${account}-${roleName}`.replace(/[^A-Za-z0-9_-]/g, '-');
      ids.add(id);
      const entry = new EksAccessEntry(this, id, {
        clusterName: this.cluster.name,
        principalArn,
        type: 'STANDARD',
        kubernetesGroups: [...groups].sort(),
        tags: this.nameTags('access', roleName),
      });
      if (admin) {
        new EksAccessPolicyAssociation(this, `${id}-cluster-admin`, {
          clusterName: this.cluster.name,
          principalArn: entry.principalArn,
          policyArn: CLUSTER_ADMIN_POLICY,
          accessScope: { type: 'cluster' },
        });
      }
    }
  }

  private addon(
    name: string,
    version: string,
    options: { after?: ITerraformDependable[]; configurationValues?: string; serviceAccountRoleArn?: string } = {},
  ): EksAddon {
    const after = options.after ?? [];
    return new EksAddon(this, `addon-${name}`, {
      clusterName: this.cluster.name,
      addonName: name,
      addonVersion: version,
      resolveConflictsOnCreate: 'OVERWRITE',
      resolveConflictsOnUpdate: 'OVERWRITE',
      ...(options.configurationValues ? { configurationValues: options.configurationValues } : {}),
      ...(options.serviceAccountRoleArn ? { serviceAccountRoleArn: options.serviceAccountRoleArn } : {}),
      tags: this.nameTags(name),
      ...(after.length ? { dependsOn: after } : {}),
    });
  }

  private nodeGroups(network: FlagOutputs, after: ITerraformDependable[]): EksNodeGroup[] {
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

    return Object.entries(this.props.nodeGroups).map(([name, group]) => this.nodeGroup(name, group, role, network, [...attachments, ...after]));
  }

  private nodeGroup(name: string, group: NodeGroupConfig, role: IamRole, network: FlagOutputs, after: ITerraformDependable[]): EksNodeGroup {
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
      tagSpecifications: ['instance', 'volume'].map((resourceType) => ({ resourceType, tags: { ...this.props.tags, ...this.nameTags('node', name) } })),
      tags: this.nameTags('node', name),
      // The emulator reports the template's own tags back as one more tag specification, which
      // would bump the template version, and roll the node group, on every plan.
      ...(this.props.emulated ? { lifecycle: { ignoreChanges: ['tag_specifications'] } } : {}),
    });

    // The cluster autoscaler owns desired_size once the group exists.
    const ignoreChanges = ['scaling_config[0].desired_size'];
    // The emulator invents a remote_access block, which would replace the group on every plan,
    // and does not report update_config back, which would update it on every plan.
    if (this.props.emulated) ignoreChanges.push('remote_access', 'update_config');

    // The system group runs platform add-ons only: they tolerate this taint and select the label.
    const system = name === this.props.systemNodeGroup;
    return new EksNodeGroup(this, `node-group-${name}`, {
      clusterName: this.cluster.name,
      nodeGroupName: this.naming.resource(name),
      // The cluster's version: upgrading the control plane then rolls the nodes, in place.
      version: this.cluster.version,
      // The AMI release from the version table: raising it there rolls the nodes onto the patched AMI.
      amiType: this.props.nodeAmi.amiType,
      releaseVersion: this.props.nodeAmi.releaseVersion,
      nodeRoleArn: role.arn,
      subnetIds: network.privateSubnetIds,
      instanceTypes: group.instanceTypes,
      capacityType: group.capacityType,
      scalingConfig: { minSize: group.minSize, desiredSize: group.desiredSize, maxSize: group.maxSize },
      updateConfig: { maxUnavailable: 1 },
      launchTemplate: { id: template.id, version: Fn.tostring(template.latestVersion) },
      labels: system ? { ...group.labels, [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value } : group.labels,
      ...(system ? { taint: [{ key: SYSTEM_NODE_TAINT.key, value: SYSTEM_NODE_TAINT.value, effect: 'NO_SCHEDULE' }] } : {}),
      tags: this.nameTags(name),
      dependsOn: after,
      lifecycle: { ignoreChanges },
    });
  }

  /** A role only the add-on's service account, in this cluster, can assume. */
  private irsaRole(addon: IrsaAddon): { addon: IrsaAddon; role: IamRole } {
    const spec = IRSA_POLICIES[addon];
    const issuer = Fn.replace(this.oidcProvider.url, 'https://', '');
    const namespace = spec.namespace === 'platform' ? this.props.platformNamespace : spec.namespace;
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
    if (spec.statements) {
      new IamRolePolicy(this, `irsa-${addon}-policy`, {
        role: role.name,
        name: addon,
        policy: JSON.stringify({ Version: '2012-10-17', Statement: spec.statements(this.naming.clusterName) }),
      });
    }
    for (const policy of spec.managedPolicies ?? []) {
      new IamRolePolicyAttachment(this, `irsa-${addon}-${policy.split('/').pop()}`, { role: role.name, policyArn: `${AWS_MANAGED}/${policy}` });
    }
    return { addon, role };
  }
}

function trustService(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });
}
