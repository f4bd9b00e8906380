import type { PlanRule } from '../rule';
import { field } from '../terraform';

export const publicApiEndpoint: PlanRule = {
  kind: 'plan',
  id: 'PUBLIC-API-ENDPOINT',
  description: "No change turns on an EKS cluster's public API endpoint (vpc_config.endpoint_public_access).",
  severity: 'error',
  check: (plan) =>
    plan.changes
      .filter((c) => c.type === 'aws_eks_cluster')
      .filter((c) => field(c.after, 'vpc_config', 'endpoint_public_access') === true && field(c.before, 'vpc_config', 'endpoint_public_access') !== true)
      .map((c) => ({
        address: c.address,
        message: `turns on the public API endpoint, open to ${String(field(c.after, 'vpc_config', 'public_access_cidrs') ?? 'the CIDRs known after apply')}`,
      })),
};
