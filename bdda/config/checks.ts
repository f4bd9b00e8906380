/**
 * Checks that span several keys, run after the schema has accepted the merged config. Each
 * problem names the key to fix; the loader turns keys into files.
 */
import { contains, isNetworkAddress, overlaps, parseCidr } from './cidr';
import type { EnvironmentConfig } from './schema';

export interface KeyProblem {
  readonly key: string;
  readonly message: string;
}

// Namespaces Kubernetes or EKS own; a team may not claim them.
const RESERVED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** The account moto answers as when no other is asked for. */
export const EMULATOR_ACCOUNT_ID = '123456789012';

export function crossFieldProblems(config: EnvironmentConfig): KeyProblem[] {
  return [...awsProblems(config), ...subnetProblems(config), ...kubernetesProblems(config), ...platformProblems(config)];
}

function awsProblems({ aws, emulated }: EnvironmentConfig): KeyProblem[] {
  const problems: KeyProblem[] = [];
  aws.azs.forEach((az, i) => {
    if (!new RegExp(`^${aws.region}[a-z]$`).test(az)) {
      problems.push({ key: `aws.azs[${i}]`, message: `"${az}" is not an availability zone of region ${aws.region}` });
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

function kubernetesProblems({ kubernetes, protected: isProtected }: EnvironmentConfig): KeyProblem[] {
  const problems: KeyProblem[] = [];
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
  const autoscalerMinor = platform.addons.clusterAutoscaler.split('.').slice(0, 2).join('.');
  if (autoscalerMinor !== kubernetes.version) {
    problems.push({
      key: 'platform.addons.clusterAutoscaler',
      message: `${platform.addons.clusterAutoscaler} does not match kubernetes.version ${kubernetes.version}; cluster-autoscaler's minor must equal the cluster's`,
    });
  }
  return problems;
}
