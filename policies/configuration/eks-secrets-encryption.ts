import type { ConfigurationRule } from '../rule';
import { asList, eachStack, field, referencedName, resourcesOf } from '../terraform';

export const eksSecretsEncryption: ConfigurationRule = {
  kind: 'configuration',
  id: 'EKS-SECRETS-ENCRYPTION',
  description: 'Every EKS cluster encrypts Kubernetes Secrets with a customer-managed KMS key of its stack (envelope encryption).',
  severity: 'error',
  check: ({ stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) => {
      const keys = new Set(resourcesOf(stack, 'aws_kms_key').map((k) => k.name));
      return resourcesOf(stack, 'aws_eks_cluster')
        .filter((cluster) => {
          const config = field(cluster.body, 'encryption_config');
          return (
            !asList(field(config, 'resources')).includes('secrets') || !keys.has(referencedName(field(config, 'provider', 'key_arn'), 'aws_kms_key') ?? '')
          );
        })
        .map((cluster) => ({ layer, address: cluster.address, message: 'does not encrypt secrets with a KMS key of this stack (encryption_config)' }));
    }),
};
