import type { ConfigurationRule, Finding } from '../rule';
import type { EnvironmentConfig } from '../../config/schema';
import { admitsOnlyHttps, eachStack, ingressRulesOf, ingressSources, resourcesOf } from '../terraform';

const OPEN = ['0.0.0.0/0', '::/0'];

/** What the configuration lets reach the API: the deployer's and the operators' CIDRs and security groups, and the runner subnet. */
function configuredSources(config: EnvironmentConfig): Set<string> {
  const { deployer, operatorAccess } = config.kubernetes;
  return new Set([
    ...deployer.apiAccessCidrs,
    ...deployer.apiAccessSecurityGroupIds,
    ...(config.vpc.runnerSubnet ? [config.vpc.runnerSubnet] : []),
    ...operatorAccess.cidrs,
    ...operatorAccess.securityGroupIds,
  ]);
}

export const clusterApiIngress: ConfigurationRule = {
  kind: 'configuration',
  id: 'CLUSTER-API-INGRESS',
  description:
    "The cluster security group admits only port 443, and only from the configured deployer CIDRs and security groups, the runner subnet and the operators' networks; never from the whole internet.",
  severity: 'error',
  check: ({ env, stacks }) => {
    const allowed = configuredSources(env.config);
    return eachStack(stacks).flatMap(({ layer, stack }) => {
      const groups = new Set(resourcesOf(stack, 'aws_eks_cluster').map((c) => `\${aws_eks_cluster.${c.name}.vpc_config[0].cluster_security_group_id}`));
      if (groups.size === 0) return [];
      return ingressRulesOf(stack, groups).flatMap((rule): Finding[] => {
        const sources = ingressSources(rule);
        const problems = [
          ...(admitsOnlyHttps(rule) ? [] : ['admits more than tcp port 443']),
          ...sources.filter((s) => OPEN.includes(s)).map((s) => `admits the whole internet (${s})`),
          ...sources
            .filter((s) => !OPEN.includes(s) && !allowed.has(s))
            .map(
              (s) =>
                `admits ${s}, which is not a configured deployer, runner or operator source (kubernetes.deployer, vpc.runnerSubnet, kubernetes.operatorAccess)`,
            ),
        ];
        return problems.map((message) => ({ layer, address: rule.address, message }));
      });
    });
  },
};
