import type { ConfigurationRule, Finding } from '../rule';
import { asList, eachStack, referencedName, resourcesOf } from '../terraform';

/** Whether a route's gateway is an internet gateway, by reference or by id. */
const toInternetGateway = (route: unknown): boolean => {
  const gateway = (route as { readonly gateway_id?: unknown } | null)?.gateway_id;
  return referencedName(gateway, 'aws_internet_gateway') !== undefined || String(gateway).startsWith('igw-');
};

export const privateSubnets: ConfigurationRule = {
  kind: 'configuration',
  id: 'PRIVATE-SUBNETS',
  description:
    'Only the configured public subnets face the internet: no other subnet (private, intra, the runner subnet) maps public IPs on launch or routes through an internet gateway.',
  severity: 'error',
  check: ({ env, stacks }) => {
    const publicCidrs = new Set(env.config.vpc.subnets.public);
    return eachStack(stacks).flatMap(({ layer, stack }) => {
      const subnets = resourcesOf(stack, 'aws_subnet').filter((s) => !publicCidrs.has(String(s.body.cidr_block)));
      if (subnets.length === 0) return [];
      // Route tables with a route to an internet gateway, standalone or inline; a subnet without an association uses the VPC's main one.
      const open = new Set([
        ...resourcesOf(stack, 'aws_route')
          .filter((r) => toInternetGateway(r.body))
          .map((r) => referencedName(r.body.route_table_id, 'aws_route_table')),
        ...resourcesOf(stack, 'aws_route_table')
          .filter((t) => asList(t.body.route).some(toInternetGateway))
          .map((t) => t.name),
      ]);
      const mainIsOpen = resourcesOf(stack, 'aws_default_route_table').some((t) => asList(t.body.route).some(toInternetGateway));
      const associations = resourcesOf(stack, 'aws_route_table_association');
      return subnets.flatMap((subnet): Finding[] => {
        const tables = associations
          .filter((a) => referencedName(a.body.subnet_id, 'aws_subnet') === subnet.name)
          .map((a) => referencedName(a.body.route_table_id, 'aws_route_table'));
        const problems = [
          ...(subnet.body.map_public_ip_on_launch === true ? ['maps public IPs on launch (map_public_ip_on_launch)'] : []),
          ...((tables.length === 0 ? mainIsOpen : tables.some((t) => open.has(t))) ? ['routes through an internet gateway'] : []),
        ];
        return problems.map((message) => ({ layer, address: subnet.address, message: `is not a public subnet but ${message}` }));
      });
    });
  },
};
