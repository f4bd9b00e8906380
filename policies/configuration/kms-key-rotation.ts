import type { ConfigurationRule } from '../rule';
import { eachStack, resourcesOf } from '../terraform';

export const kmsKeyRotation: ConfigurationRule = {
  kind: 'configuration',
  id: 'KMS-KEY-ROTATION',
  description: 'Every customer-managed KMS key rotates its key material.',
  severity: 'error',
  check: ({ stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) =>
      resourcesOf(stack, 'aws_kms_key')
        .filter((key) => key.body.enable_key_rotation !== true)
        .map((key) => ({ layer, address: key.address, message: 'does not rotate (enable_key_rotation)' })),
    ),
};
