import type { PlanRule } from '../rule';
import { field } from '../terraform';

/** What an environment cannot lose without an outage or data loss. */
const VITAL_TYPES = ['aws_eks_cluster', 'aws_eks_node_group', 'aws_vpc', 'aws_subnet', 'aws_nat_gateway', 'aws_kms_key'];

export const protectedDestroy: PlanRule = {
  kind: 'plan',
  id: 'PROTECTED-DESTROY',
  description: 'A protected environment does not destroy or replace its cluster, node groups, VPC, subnets, NAT gateways, KMS keys or state bucket.',
  severity: 'error',
  check: (plan, { env }) => {
    if (!env.config.protected) return [];
    const isStateBucket = (before: unknown) => field(before, 'bucket') === env.config.backend.bucket;
    return plan.changes
      .filter((c) => c.action === 'delete' || c.action === 'replace')
      .filter((c) => VITAL_TYPES.includes(c.type) || (c.type === 'aws_s3_bucket' && isStateBucket(c.before)))
      .map((c) => ({
        address: c.address,
        message: `would be ${c.action === 'delete' ? 'destroyed' : 'replaced'}${c.replacePaths?.length ? ` (forced by ${c.replacePaths.map((p) => p.join('.')).join(', ')})` : ''}`,
      }));
  },
};
