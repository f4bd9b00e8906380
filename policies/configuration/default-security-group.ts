import type { ConfigurationRule } from '../rule';
import { asList, eachStack, resourcesOf } from '../terraform';

export const defaultSecurityGroup: ConfigurationRule = {
  kind: 'configuration',
  id: 'DEFAULT-SECURITY-GROUP',
  description: "Every VPC's default security group is adopted with no rules, so nothing that lands in it by default can talk.",
  severity: 'error',
  check: ({ stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) => {
      const groups = resourcesOf(stack, 'aws_default_security_group');
      const open = groups
        .filter((g) => asList(g.body.ingress).length > 0 || asList(g.body.egress).length > 0)
        .map((g) => ({ layer, address: g.address, message: 'has rules; the default security group must have none' }));
      const unadopted = resourcesOf(stack, 'aws_vpc')
        .filter(() => groups.length === 0)
        .map((vpc) => ({
          layer,
          address: vpc.address,
          message: 'leaves its default security group (with its allow-all rules) unmanaged; adopt it with no rules',
        }));
      return [...open, ...unadopted];
    }),
};
