import type { PlanRule } from '../rule';
import type { ResourceChange } from '../../bdda/diff/typed-plan';
import { asList, field } from '../terraform';

const WORLD = ['0.0.0.0/0', '::/0'];

/** The CIDRs a change admits from, by resource type. */
function ingressCidrs(change: ResourceChange, values: unknown): string[] {
  switch (change.type) {
    case 'aws_security_group':
      return asList(field(values, 'ingress')).flatMap((rule) =>
        [...asList(field(rule, 'cidr_blocks')), ...asList(field(rule, 'ipv6_cidr_blocks'))].map(String),
      );
    case 'aws_security_group_rule':
      return field(values, 'type') === 'ingress' ? [...asList(field(values, 'cidr_blocks')), ...asList(field(values, 'ipv6_cidr_blocks'))].map(String) : [];
    case 'aws_vpc_security_group_ingress_rule':
      return [field(values, 'cidr_ipv4'), field(values, 'cidr_ipv6')].filter((c) => c !== undefined && c !== null).map(String);
    default:
      return [];
  }
}

export const openIngress: PlanRule = {
  kind: 'plan',
  id: 'OPEN-INGRESS',
  description: 'No change opens a security group to the whole internet (ingress from 0.0.0.0/0 or ::/0).',
  severity: 'error',
  check: (plan) =>
    plan.changes
      .filter((c) => c.after !== null && c.after !== undefined)
      .flatMap((c) => {
        const before = new Set(ingressCidrs(c, c.before));
        const opened = ingressCidrs(c, c.after).filter((cidr) => WORLD.includes(cidr) && !before.has(cidr));
        return opened.length ? [{ address: c.address, message: `admits ingress from ${[...new Set(opened)].join(' and ')}` }] : [];
      }),
};
