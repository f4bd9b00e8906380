import type { ConfigurationRule, Finding } from '../rule';
import { admitsOnlyHttps, asList, eachStack, ingressRulesOf, ingressSources, resourcesOf } from '../terraform';

export const interfaceEndpointIngress: ConfigurationRule = {
  kind: 'configuration',
  id: 'INTERFACE-ENDPOINT-INGRESS',
  description: "The security groups of interface endpoints admit only port 443, and only from the VPC's own CIDR.",
  severity: 'error',
  check: ({ env, stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) => {
      const groups = new Set(
        resourcesOf(stack, 'aws_vpc_endpoint')
          .filter((e) => e.body.vpc_endpoint_type === 'Interface')
          .flatMap((e) => asList(e.body.security_group_ids).map(String)),
      );
      if (groups.size === 0) return [];
      // The VPC's CIDR, as configured or as a reference to the VPC's attribute.
      const vpc = new Set([env.config.vpc.cidr, ...resourcesOf(stack, 'aws_vpc').map((v) => `\${aws_vpc.${v.name}.cidr_block}`)]);
      return ingressRulesOf(stack, groups).flatMap((rule): Finding[] => {
        const problems = [
          ...(admitsOnlyHttps(rule) ? [] : ['admits more than tcp port 443']),
          ...ingressSources(rule)
            .filter((s) => !vpc.has(s))
            .map((s) => `admits ${s}; an interface endpoint serves the VPC (${env.config.vpc.cidr}) only`),
        ];
        return problems.map((message) => ({ layer, address: rule.address, message }));
      });
    }),
};
