/**
 * What each layer is given: the projection of an environment's merged config onto the settings
 * one layer uses, and nothing else. FLAG gets the network, KARR the cluster (and where FLAG's
 * outputs are), Goliath the platform (and KARR's outputs). No stack or chart sees the whole
 * `EnvironmentConfig`, so what a layer depends on is written in its props.
 */
import { firstHostAddress, parseCidr } from './cidr';
import { addonVersions, clusterAutoscalerImage, type EksAddonVersions, type EksNodeAmi, metricsServerImage, nodeAmi, type PinnedImage } from './eks-versions';
import { IRSA_ADDONS, type IrsaAddon, type Layer, type Naming } from './naming';
import type { EnvironmentConfig, NodeGroupConfig, TeamConfig } from './schema';
import { layerTags } from './tags';

/** The S3 location of a layer's terraform state, and how it is locked. */
export interface StateLocation {
  /** The state bucket. */
  readonly bucket: string;
  /** Region of the bucket. */
  readonly region: string;
  /** Key of the state object, from the naming rule. */
  readonly key: string;
  /**
   * DynamoDB lock table (the deprecated option).
   * @default - S3 lock files beside the state object
   */
  readonly lockTable?: string;
}

/** What every terraform layer is given: where it runs, where its state is, and its tags. */
export interface TerraformLayerInputs {
  /** Names derived from the environment's path. */
  readonly naming: Naming;
  /** The AWS account the provider is locked to. */
  readonly accountId: string;
  /** The AWS region. */
  readonly region: string;
  /** Where this layer's own state lives. */
  readonly state: StateLocation;
  /** Tags on every resource: the provider's default tags. */
  readonly tags: Readonly<Record<string, string>>;
  /** IAM principals that administer the layer's KMS keys (and may not use them). */
  readonly keyAdministrators: string[];
}

/** FLAG: the network. */
export interface FlagInputs extends TerraformLayerInputs {
  /** Availability zones, in order; every subnet list is indexed by it. */
  readonly azs: string[];
  /** The VPC: CIDR, one subnet per AZ and tier, NAT mode, endpoints, runner subnet, flow logs. */
  readonly vpc: EnvironmentConfig['vpc'];
}

/** Who gets which Kubernetes group through KARR's access entries. */
interface ClusterAccess {
  /** The deploy role CI assumes; cluster-admin. @default - none (emulated environments) */
  readonly deployerRoleArn?: string;
  /** More cluster-admin roles. */
  readonly adminRoleArns: string[];
  /** Each team's group and the roles mapped to it. */
  readonly teams: ReadonlyArray<Pick<TeamConfig, 'group' | 'roleArns'>>;
  /** The read-only group and the roles mapped to it. */
  readonly viewersGroup: string;
  readonly viewerRoleArns: string[];
}

/** KARR: the cluster. FLAG's outputs are read from `flagState`. */
export interface KarrInputs extends TerraformLayerInputs {
  /** Emulated environments leave out what the emulator does not implement (access entries, add-ons). */
  readonly emulated: boolean;
  /** Kubernetes minor of the control plane and node groups, e.g. `1.35`. */
  readonly kubernetesVersion: string;
  /** Managed node groups by name. */
  readonly nodeGroups: Readonly<Record<string, NodeGroupConfig>>;
  /** The node group kept for platform add-ons. @default - none */
  readonly systemNodeGroup?: string;
  /** The cluster's Service CIDR (EKS's service_ipv4_cidr). */
  readonly serviceCidr: string;
  /** CIDRs allowed to a public API endpoint; empty keeps it private only. */
  readonly publicAccessCidrs: string[];
  /** CIDRs and security groups allowed to the private API endpoint on 443. */
  readonly apiAccessCidrs: string[];
  readonly apiAccessSecurityGroupIds: string[];
  /** The CI runner subnet's CIDR, allowed to the private API endpoint. @default - no runner */
  readonly runnerSubnetCidr?: string;
  /** The operators' networks and security groups (VPN, transit, bastion), allowed to the private API endpoint on 443. */
  readonly operatorAccess: { readonly cidrs: string[]; readonly securityGroupIds: string[] };
  /** The AMI type and release every node group runs, from the version table's row for the minor. */
  readonly nodeAmi: EksNodeAmi;
  /** Access entries. */
  readonly access: ClusterAccess;
  /** The EKS add-on versions. */
  readonly addonVersions: EksAddonVersions;
  /** Namespace of the platform add-ons' service accounts, for the IRSA trust policies. */
  readonly platformNamespace: string;
  /** Days CloudWatch keeps control-plane logs (the environment's retention for security logs). */
  readonly logRetentionDays: number;
  /** Where FLAG's state, and so its outputs, lives. */
  readonly flagState: StateLocation;
}

/** What FLAG exports and KARR reads (stacks/flag-outputs.ts writes and reads them in terraform). */
export interface FlagOutputs {
  /** The VPC id. */
  readonly vpcId: string;
  /** Public subnet ids, in AZ order. */
  readonly publicSubnetIds: string[];
  /** Private (node) subnet ids, in AZ order. */
  readonly privateSubnetIds: string[];
  /** Intra (control-plane ENI) subnet ids, in AZ order. */
  readonly intraSubnetIds: string[];
}

/** Each output's terraform name and description; the type checks that every key is here. */
export const FLAG_OUTPUTS: { readonly [K in keyof FlagOutputs]: { readonly name: string; readonly description: string } } = {
  vpcId: { name: 'vpc_id', description: 'The VPC id.' },
  publicSubnetIds: { name: 'public_subnet_ids', description: 'Public subnet ids, in AZ order.' },
  privateSubnetIds: { name: 'private_subnet_ids', description: 'Private (node) subnet ids, in AZ order.' },
  intraSubnetIds: { name: 'intra_subnet_ids', description: 'Intra (control-plane ENI) subnet ids, in AZ order.' },
};

/** What Goliath needs from KARR. */
interface KarrOutputs {
  /** The EKS cluster name. */
  readonly clusterName: string;
  /** The IRSA role each add-on's service account assumes. */
  readonly irsaRoleArns: Readonly<Record<IrsaAddon, string>>;
}

/** Goliath: the platform on the cluster. */
export interface GoliathInputs {
  /** Namespace of the platform add-ons. */
  readonly platformNamespace: string;
  /** Teams, each with a namespace of its own. */
  readonly teams: readonly TeamConfig[];
  /** Group given read-only access to the whole cluster. */
  readonly viewersGroup: string;
  /** Kubernetes minor, e.g. `1.35`; pins the Pod Security version. */
  readonly kubernetesVersion: string;
  /** The AWS region, for cluster-autoscaler. */
  readonly region: string;
  /** Whether a system node group exists for the add-ons to run on. */
  readonly systemNodes: boolean;
  /** Intra subnet CIDRs (the control plane's ENIs) and private subnet CIDRs (nodes), for network policies. */
  readonly controlPlaneCidrs: string[];
  readonly nodeCidrs: string[];
  /** The `kubernetes` Service's ClusterIP (the first address of the Service CIDR), for network policies. */
  readonly apiServerClusterIp: string;
  /** The images of the add-ons. */
  readonly clusterAutoscalerImage: PinnedImage;
  readonly metricsServerImage: PinnedImage;
  /** KARR's outputs. */
  readonly karr: KarrOutputs;
}

function stateLocation(config: EnvironmentConfig, naming: Naming, layer: Exclude<Layer, 'goliath'>): StateLocation {
  const { bucket, region, lockTable } = config.backend;
  return { bucket, region, key: naming.stateKey(layer), ...(lockTable ? { lockTable } : {}) };
}

/**
 * The deploy role, which manages the keys through terraform, and the cluster admins. Emulated
 * environments name no roles, so their account administers the keys (the emulator does not
 * evaluate key policies).
 */
function keyAdministrators(config: EnvironmentConfig): string[] {
  const roles = [...new Set([config.kubernetes.deployer.roleArn, ...config.kubernetes.adminRoleArns].filter((arn): arn is string => !!arn))];
  return roles.length ? roles : [`arn:aws:iam::${config.aws.accountId}:root`];
}

function terraformLayerInputs(config: EnvironmentConfig, naming: Naming, layer: Exclude<Layer, 'goliath'>): TerraformLayerInputs {
  return {
    naming,
    accountId: config.aws.accountId,
    region: config.aws.region,
    state: stateLocation(config, naming, layer),
    tags: layerTags(config, naming, layer),
    keyAdministrators: keyAdministrators(config),
  };
}

export function flagInputs(config: EnvironmentConfig, naming: Naming): FlagInputs {
  return { ...terraformLayerInputs(config, naming, 'flag'), azs: config.aws.azs, vpc: config.vpc };
}

export function karrInputs(config: EnvironmentConfig, naming: Naming): KarrInputs {
  const { kubernetes, platform, vpc } = config;
  return {
    ...terraformLayerInputs(config, naming, 'karr'),
    emulated: config.emulated,
    kubernetesVersion: kubernetes.version,
    nodeGroups: kubernetes.nodeGroups,
    ...(kubernetes.systemNodeGroup !== undefined ? { systemNodeGroup: kubernetes.systemNodeGroup } : {}),
    serviceCidr: kubernetes.serviceCidr,
    publicAccessCidrs: kubernetes.publicAccessCidrs,
    apiAccessCidrs: kubernetes.deployer.apiAccessCidrs,
    apiAccessSecurityGroupIds: kubernetes.deployer.apiAccessSecurityGroupIds,
    ...(vpc.runnerSubnet ? { runnerSubnetCidr: vpc.runnerSubnet } : {}),
    operatorAccess: kubernetes.operatorAccess,
    nodeAmi: nodeAmi(config),
    access: {
      ...(kubernetes.deployer.roleArn ? { deployerRoleArn: kubernetes.deployer.roleArn } : {}),
      adminRoleArns: kubernetes.adminRoleArns,
      teams: platform.teams.map(({ group, roleArns }) => ({ group, roleArns })),
      viewersGroup: platform.viewersGroup,
      viewerRoleArns: platform.viewerRoleArns,
    },
    addonVersions: addonVersions(config),
    platformNamespace: platform.namespace,
    logRetentionDays: vpc.flowLogs.retentionDays,
    flagState: stateLocation(config, naming, 'flag'),
  };
}

/** KARR's outputs as the naming rule knows them before KARR exists: its names are not generated. */
function karrOutputs(naming: Naming): KarrOutputs {
  return {
    clusterName: naming.clusterName,
    irsaRoleArns: Object.fromEntries(IRSA_ADDONS.map((addon) => [addon, naming.irsaRoleArn(addon)])) as Record<IrsaAddon, string>,
  };
}

export function goliathInputs(config: EnvironmentConfig, naming: Naming): GoliathInputs {
  const { platform, kubernetes, vpc } = config;
  return {
    platformNamespace: platform.namespace,
    teams: platform.teams,
    viewersGroup: platform.viewersGroup,
    kubernetesVersion: kubernetes.version,
    region: config.aws.region,
    systemNodes: kubernetes.systemNodeGroup !== undefined,
    controlPlaneCidrs: vpc.subnets.intra,
    nodeCidrs: vpc.subnets.private,
    apiServerClusterIp: firstHostAddress(parseCidr(kubernetes.serviceCidr)),
    clusterAutoscalerImage: clusterAutoscalerImage(config),
    metricsServerImage: metricsServerImage(config),
    karr: karrOutputs(naming),
  };
}
