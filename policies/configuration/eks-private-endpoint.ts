import type { ConfigurationRule, Finding } from '../rule';
import { asList, eachStack, field, resourcesOf } from '../terraform';

const OPEN = ['0.0.0.0/0', '::/0'];

export const eksPrivateEndpoint: ConfigurationRule = {
  kind: 'configuration',
  id: 'EKS-PRIVATE-ENDPOINT',
  description:
    'Every EKS API has its private endpoint on; a public endpoint admits listed CIDRs only (never the whole internet), and protected environments have none.',
  severity: 'error',
  check: ({ env, stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) =>
      resourcesOf(stack, 'aws_eks_cluster').flatMap((cluster): Finding[] => {
        const vpc = field(cluster.body, 'vpc_config');
        const problems: string[] = [];
        if (field(vpc, 'endpoint_private_access') !== true) problems.push('its private endpoint is off (vpc_config.endpoint_private_access)');
        if (field(vpc, 'endpoint_public_access') !== false) {
          const cidrs = asList(field(vpc, 'public_access_cidrs'));
          if (env.config.protected) problems.push('a protected environment exposes its API publicly (set kubernetes.publicAccessCidrs to [])');
          else if (cidrs.length === 0 || cidrs.some((c) => OPEN.includes(String(c))))
            problems.push('its public endpoint admits the whole internet (list CIDRs in kubernetes.publicAccessCidrs)');
        }
        return problems.map((message) => ({ layer, address: cluster.address, message }));
      }),
    ),
};
