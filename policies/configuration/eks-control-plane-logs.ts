import type { ConfigurationRule } from '../rule';
import { asList, eachStack, resourcesOf } from '../terraform';

const REQUIRED = ['api', 'audit', 'authenticator'];

export const eksControlPlaneLogs: ConfigurationRule = {
  kind: 'configuration',
  id: 'EKS-CONTROL-PLANE-LOGS',
  description: 'Every EKS cluster ships its api, audit and authenticator logs to CloudWatch.',
  severity: 'error',
  check: ({ stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) =>
      resourcesOf(stack, 'aws_eks_cluster').flatMap((cluster) => {
        const missing = REQUIRED.filter((type) => !asList(cluster.body.enabled_cluster_log_types).includes(type));
        return missing.length ? [{ layer, address: cluster.address, message: `does not ship ${missing.join(', ')} logs (enabled_cluster_log_types)` }] : [];
      }),
    ),
};
