/**
 * Checks that span several keys, run after the schema has accepted the merged config. Each
 * problem names the key to fix; the loader turns keys into files.
 */
import { contains, isNetworkAddress, overlaps, parseCidr } from './cidr';
import { isKnownRegion, unknownRegionMessage, zonesOf } from './regions';
import { EKS_MINORS, METRICS_SERVER, supportStatus } from './eks-versions';
import { matchesClusterMinor, RESERVED_NAMESPACES } from './kubernetes-rules';
import type { EnvironmentConfig } from './schema';
import { RULES } from '../policies';

export interface KeyProblem {
  readonly key: string;
  readonly message: string;
}

/** The account moto answers as when no other is asked for. */
const EMULATOR_ACCOUNT_ID = '123456789012';

/** `today` places the Kubernetes minor on the EKS support calendar. */
export function crossFieldProblems(config: EnvironmentConfig, today = new Date()): KeyProblem[] {
  return [
    ...awsProblems(config),
    ...subnetProblems(config),
    ...kubernetesProblems(config),
    ...platformProblems(config),
    ...versionProblems(config, today),
    ...realAccountProblems(config),
    ...policyProblems(config),
  ];
}

/** `policy.severity` names rules that exist, so that a typo cannot leave a rule on by mistake. */
function policyProblems({ policy }: EnvironmentConfig): KeyProblem[] {
  const ids = RULES.map((r) => r.id);
  return Object.keys(policy.severity)
    .filter((id) => !ids.includes(id))
    .map((id) => ({ key: `policy.severity.${id}`, message: `"${id}" is not a policy rule; the rules are ${ids.join(', ')} (policies/index.ts)` }));
}

function awsProblems({ aws, emulated, backend }: EnvironmentConfig): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const regionProblem = unknownRegionMessage(aws.region);
  if (regionProblem) problems.push({ key: 'aws.region', message: regionProblem });
  const backendRegionProblem = unknownRegionMessage(backend.region);
  if (backendRegionProblem) problems.push({ key: 'backend.region', message: backendRegionProblem });
  const zones = isKnownRegion(aws.region) ? zonesOf(aws.region) : undefined;
  aws.azs.forEach((az, i) => {
    if (!new RegExp(`^${aws.region}[a-z]$`).test(az)) {
      problems.push({ key: `aws.azs[${i}]`, message: `"${az}" is not an availability zone of region ${aws.region}` });
    } else if (zones && !zones.includes(az)) {
      problems.push({ key: `aws.azs[${i}]`, message: `"${az}" is not an availability zone of region ${aws.region} (its zones are ${zones.join(', ')})` });
    }
    if (aws.azs.indexOf(az) !== i) problems.push({ key: `aws.azs[${i}]`, message: `"${az}" is listed twice` });
  });
  if (emulated && aws.accountId !== EMULATOR_ACCOUNT_ID) {
    problems.push({ key: 'aws.accountId', message: `an emulated environment runs in the emulator's account ${EMULATOR_ACCOUNT_ID}, not ${aws.accountId}` });
  }
  return problems;
}

function subnetProblems({ aws, vpc }: EnvironmentConfig): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const vpcCidr = parseCidr(vpc.cidr);
  if (!isNetworkAddress(vpcCidr)) problems.push({ key: 'vpc.cidr', message: `"${vpc.cidr}" has host bits set; use the network address` });
  if (vpcCidr.prefix < 16 || vpcCidr.prefix > 28) problems.push({ key: 'vpc.cidr', message: `"${vpc.cidr}" must be between /16 and /28, as AWS requires` });

  const seen: Array<{ key: string; cidr: ReturnType<typeof parseCidr> }> = [];
  for (const tier of ['public', 'private', 'intra'] as const) {
    const list = vpc.subnets[tier];
    if (list.length !== aws.azs.length) {
      problems.push({ key: `vpc.subnets.${tier}`, message: `has ${list.length} subnets but aws.azs lists ${aws.azs.length} zones; give one per zone` });
    }
    list.forEach((text, i) => {
      const key = `vpc.subnets.${tier}[${i}]`;
      const cidr = parseCidr(text);
      if (!isNetworkAddress(cidr)) problems.push({ key, message: `"${text}" has host bits set; use the network address` });
      if (!contains(vpcCidr, cidr)) problems.push({ key, message: `"${text}" is not inside vpc.cidr ${vpc.cidr}` });
      const clash = seen.find((other) => overlaps(other.cidr, cidr));
      if (clash) problems.push({ key, message: `"${text}" overlaps ${clash.key} (${clash.cidr.text})` });
      seen.push({ key, cidr });
    });
  }
  return problems;
}

/** The private ranges EKS takes a service CIDR from. */
const SERVICE_CIDR_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(parseCidr);

function kubernetesProblems({ kubernetes, vpc, protected: isProtected }: EnvironmentConfig): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const service = parseCidr(kubernetes.serviceCidr);
  const serviceProblem = !isNetworkAddress(service)
    ? 'has host bits set; use the network address'
    : service.prefix < 12 || service.prefix > 24
      ? 'must be between /12 and /24, as EKS requires'
      : !SERVICE_CIDR_RANGES.some((range) => contains(range, service))
        ? 'must lie in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, as EKS requires'
        : overlaps(service, parseCidr(vpc.cidr))
          ? `overlaps vpc.cidr ${vpc.cidr}; Service addresses would shadow addresses in the VPC. Pick another private range (EKS picks 10.100.0.0/16 or 172.20.0.0/16)`
          : undefined;
  if (serviceProblem) problems.push({ key: 'kubernetes.serviceCidr', message: `"${kubernetes.serviceCidr}" ${serviceProblem}` });
  for (const [name, group] of Object.entries(kubernetes.nodeGroups)) {
    if (!(group.minSize <= group.desiredSize && group.desiredSize <= group.maxSize)) {
      problems.push({
        key: `kubernetes.nodeGroups.${name}`,
        message: `needs minSize <= desiredSize <= maxSize, got ${group.minSize} <= ${group.desiredSize} <= ${group.maxSize}`,
      });
    }
  }
  if (Object.keys(kubernetes.nodeGroups).length === 0) {
    problems.push({ key: 'kubernetes.nodeGroups', message: 'lists no node group; the cluster needs at least one' });
  }
  kubernetes.publicAccessCidrs.forEach((text, i) => {
    const cidr = parseCidr(text);
    if (!isNetworkAddress(cidr)) problems.push({ key: `kubernetes.publicAccessCidrs[${i}]`, message: `"${text}" has host bits set; use the network address` });
    if (isProtected && cidr.prefix === 0) {
      problems.push({ key: `kubernetes.publicAccessCidrs[${i}]`, message: `"${text}" opens the API of a protected environment to the whole internet` });
    }
  });
  return problems;
}

function platformProblems({ platform, kubernetes }: EnvironmentConfig): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const names = new Set<string>();
  platform.teams.forEach((team, i) => {
    const key = `platform.teams[${i}].name`;
    if (names.has(team.name)) problems.push({ key, message: `team "${team.name}" is listed twice` });
    if (team.name === platform.namespace || RESERVED_NAMESPACES.has(team.name)) {
      problems.push({ key, message: `"${team.name}" is a reserved namespace (the platform namespace or a Kubernetes one)` });
    }
    names.add(team.name);
  });
  if (RESERVED_NAMESPACES.has(platform.namespace)) {
    problems.push({ key: 'platform.namespace', message: `"${platform.namespace}" is a namespace Kubernetes owns; pick another` });
  }
  const autoscaler = platform.addons.clusterAutoscaler;
  if (autoscaler && !matchesClusterMinor(autoscaler, kubernetes.version)) {
    problems.push({
      key: 'platform.addons.clusterAutoscaler',
      message: `${autoscaler} does not match kubernetes.version ${kubernetes.version}; cluster-autoscaler's minor must equal the cluster's`,
    });
  }
  return problems;
}

/**
 * Versions against the table in eks-versions.ts: a known minor, an add-on version for each add-on
 * (kube-proxy's minor the cluster's, as cluster-autoscaler's), and a digest for every image.
 */
function versionProblems({ kubernetes, platform }: EnvironmentConfig, today: Date): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const row = EKS_MINORS[kubernetes.version];
  if (!row) {
    const known = Object.keys(EKS_MINORS).join(', ');
    return [
      {
        key: 'kubernetes.version',
        message: `${kubernetes.version} is not in the EKS version table (${known}); add its support dates and add-on versions to config/eks-versions.ts`,
      },
    ];
  }
  // An older minor: the key to change is the version, not each add-on the table has no build for.
  if (!row.addons && ADDON_KEYS.some((addon) => !kubernetes.addons[addon])) return [olderMinorProblem(kubernetes.version, today)];
  if (!row.nodeAmi) {
    problems.push({
      key: 'kubernetes.version',
      message: `${kubernetes.version} has no node AMI (ami_type and release_version) in config/eks-versions.ts; add them, or move to a minor the table covers`,
    });
  }
  const kubeProxy = kubernetes.addons.kubeProxy;
  if (kubeProxy && !matchesClusterMinor(kubeProxy, kubernetes.version)) {
    problems.push({
      key: 'kubernetes.addons.kubeProxy',
      message: `${kubeProxy} does not match kubernetes.version ${kubernetes.version}; kube-proxy's minor must equal the cluster's`,
    });
  }
  const { clusterAutoscaler, clusterAutoscalerDigest, metricsServer, metricsServerDigest } = platform.addons;
  if (!clusterAutoscaler && !row.clusterAutoscaler) {
    problems.push({
      key: 'platform.addons.clusterAutoscaler',
      message: `has no pinned version for Kubernetes ${kubernetes.version} in config/eks-versions.ts; set one with clusterAutoscalerDigest`,
    });
  }
  if (clusterAutoscaler && clusterAutoscaler !== row.clusterAutoscaler?.version && !clusterAutoscalerDigest) {
    problems.push({
      key: 'platform.addons.clusterAutoscalerDigest',
      message: `is missing: cluster-autoscaler ${clusterAutoscaler} is not the pinned version, so give the digest of its image (images are pulled by tag and digest)`,
    });
  }
  if (metricsServer && metricsServer !== METRICS_SERVER.version && !metricsServerDigest) {
    problems.push({
      key: 'platform.addons.metricsServerDigest',
      message: `is missing: metrics-server ${metricsServer} is not the pinned version, so give the digest of its image (images are pulled by tag and digest)`,
    });
  }
  return problems;
}

const ADDON_KEYS = ['vpcCni', 'coredns', 'kubeProxy', 'podIdentityAgent', 'ebsCsiDriver'] as const;

/** A minor the table keeps only for its support dates: name it, where it stands, and the minors to use. */
function olderMinorProblem(version: string, today: Date): KeyProblem {
  const row = EKS_MINORS[version];
  const deployable = Object.keys(EKS_MINORS).filter((minor) => EKS_MINORS[minor].addons);
  const support = {
    standard: `still in EKS standard support until ${row.endOfStandardSupport}`,
    extended: `past EKS standard support since ${row.endOfStandardSupport} (extended support, at extra cost, until ${row.endOfExtendedSupport})`,
    ended: `past EKS support since ${row.endOfExtendedSupport}, when EKS upgrades such clusters by itself`,
    unknown: 'not on the EKS calendar',
  }[supportStatus(version, today)];
  return {
    key: 'kubernetes.version',
    message:
      `${version} is older than the minors this project deploys (${deployable.join(', ')}) and ${support}; ` +
      `config/eks-versions.ts has no add-on versions or cluster-autoscaler for it. Set kubernetes.version to ${deployable[0]} or later ` +
      '(one minor at a time from a running cluster), or set every version under kubernetes.addons and platform.addons.clusterAutoscaler.',
  };
}

/**
 * Controls a real account must have on: someone to deploy, a way to the API, team log-ins, private
 * endpoints and a system node group where the environment is protected. The emulator has no API to
 * reach and no access entries, so the deploy-path checks apply to real accounts only.
 */
function realAccountProblems({ emulated, protected: isProtected, kubernetes, platform, vpc, backend, ci }: EnvironmentConfig): KeyProblem[] {
  const problems: KeyProblem[] = [];
  platform.teams.forEach((team, i) => {
    if (team.roleArns.length === 0) {
      problems.push({
        key: `platform.teams[${i}].roleArns`,
        message: `lists no IAM role for team "${team.name}"; its members could not log in. Name the role(s) they assume`,
      });
    }
    if (team.group.startsWith('system:'))
      problems.push({ key: `platform.teams[${i}].group`, message: `"${team.group}" starts with "system:", which EKS access entries refuse` });
  });
  if (kubernetes.systemNodeGroup !== undefined) {
    const groups = Object.keys(kubernetes.nodeGroups);
    if (!groups.includes(kubernetes.systemNodeGroup)) {
      problems.push({
        key: 'kubernetes.systemNodeGroup',
        message: `"${kubernetes.systemNodeGroup}" is not one of kubernetes.nodeGroups (${groups.join(', ')})`,
      });
    } else if (groups.length < 2) {
      problems.push({
        key: 'kubernetes.systemNodeGroup',
        message: 'is the only node group; tainted for add-ons, it would leave team workloads nowhere to run. Add another node group',
      });
    }
  }
  if (vpc.runnerSubnet) {
    const runner = parseCidr(vpc.runnerSubnet);
    if (!contains(parseCidr(vpc.cidr), runner)) problems.push({ key: 'vpc.runnerSubnet', message: `"${vpc.runnerSubnet}" is not inside vpc.cidr ${vpc.cidr}` });
    for (const tier of ['public', 'private', 'intra'] as const) {
      vpc.subnets[tier].forEach((text, i) => {
        if (overlaps(parseCidr(text), runner))
          problems.push({ key: 'vpc.runnerSubnet', message: `"${vpc.runnerSubnet}" overlaps vpc.subnets.${tier}[${i}] (${text})` });
      });
    }
  }
  if (isProtected && !vpc.interfaceEndpoints) {
    problems.push({
      key: 'vpc.interfaceEndpoints',
      message: 'is off in a protected environment; its private nodes would pull images and assume roles through the NAT. Set it to true',
    });
  }
  if (isProtected && kubernetes.systemNodeGroup === undefined) {
    problems.push({ key: 'kubernetes.systemNodeGroup', message: 'is not set in a protected environment; name the node group kept for platform add-ons' });
  }
  if (!emulated) {
    if (!kubernetes.deployer.roleArn) {
      problems.push({
        key: 'kubernetes.deployer.roleArn',
        message:
          'is missing: a real account needs the IAM role CI assumes, which gets cluster-admin through an access entry (without it nothing can apply Goliath)',
      });
    }
    const reachable =
      kubernetes.publicAccessCidrs.length > 0 ||
      kubernetes.deployer.apiAccessCidrs.length > 0 ||
      kubernetes.deployer.apiAccessSecurityGroupIds.length > 0 ||
      vpc.runnerSubnet !== undefined;
    if (!reachable) {
      problems.push({
        key: 'kubernetes.deployer',
        message:
          'gives no way to the private-only API endpoint: set apiAccessCidrs or apiAccessSecurityGroupIds, or vpc.runnerSubnet for a runner inside the VPC (or publicAccessCidrs)',
      });
    }
    problems.push(...privateApiProblems({ kubernetes, ci }));
  }
  const keyRegion = backend.kmsKeyArn?.split(':')[3];
  if (keyRegion !== undefined && keyRegion !== backend.region) {
    problems.push({
      key: 'backend.kmsKeyArn',
      message: `is a key in ${keyRegion}, but the state bucket is in ${backend.region}; S3 encrypts only with a key of the bucket's region`,
    });
  }
  return problems;
}

/**
 * A private API endpoint (no public CIDRs) is reached only from inside the network: CI needs a
 * runner of its own there, named by its label, and people need a path of their own, since the
 * runner subnet admits the runner and nothing else.
 */
function privateApiProblems({ kubernetes, ci }: Pick<EnvironmentConfig, 'kubernetes' | 'ci'>): KeyProblem[] {
  if (kubernetes.publicAccessCidrs.length > 0) return [];
  const problems: KeyProblem[] = [];
  if (ci.runnerLabel === undefined) {
    problems.push({
      key: 'ci.runnerLabel',
      message:
        "is missing: the API is private (kubernetes.publicAccessCidrs is empty), so CI can plan and apply this environment only from a self-hosted runner inside its network; give that runner a label of this environment's own (e.g. bdda-<environment>) and name it here",
    });
  }
  const { cidrs, securityGroupIds } = kubernetes.operatorAccess;
  if (cidrs.length === 0 && securityGroupIds.length === 0) {
    problems.push({
      key: 'kubernetes.operatorAccess',
      message:
        'gives people no way to the private API: only CI reaches it, so admins, teams, viewers and break-glass roles have access entries but no network path. Add cidrs (a VPN or transit range) or securityGroupIds (e.g. an SSM bastion) allowed to port 443',
    });
  }
  return problems;
}
