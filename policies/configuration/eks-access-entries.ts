import type { ConfigurationRule } from '../rule';
import { eachStack, field, resourcesOf } from '../terraform';

export const eksAccessEntries: ConfigurationRule = {
  kind: 'configuration',
  id: 'EKS-ACCESS-ENTRIES',
  description: 'Every EKS cluster grants access through access entries only (no aws-auth ConfigMap), and its creator is not made admin on the side.',
  severity: 'error',
  check: ({ stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) =>
      resourcesOf(stack, 'aws_eks_cluster')
        .filter(
          (cluster) =>
            field(cluster.body, 'access_config', 'authentication_mode') !== 'API' ||
            field(cluster.body, 'access_config', 'bootstrap_cluster_creator_admin_permissions') !== false,
        )
        .map((cluster) => ({
          layer,
          address: cluster.address,
          message: 'must use access_config { authentication_mode = "API", bootstrap_cluster_creator_admin_permissions = false }',
        })),
    ),
};
