import type { ConfigurationRule } from '../rule';
import { eachStack, referencedName, resourcesOf } from '../terraform';

export const logEncryption: ConfigurationRule = {
  kind: 'configuration',
  id: 'LOG-ENCRYPTION',
  description: 'Every CloudWatch log group (flow logs, control-plane logs) is encrypted with a customer-managed KMS key of its stack.',
  severity: 'error',
  check: ({ stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) => {
      const keys = new Set(resourcesOf(stack, 'aws_kms_key').map((k) => k.name));
      return resourcesOf(stack, 'aws_cloudwatch_log_group')
        .filter((group) => !keys.has(referencedName(group.body.kms_key_id, 'aws_kms_key') ?? ''))
        .map((group) => ({ layer, address: group.address, message: 'is not encrypted with a KMS key of this stack (kms_key_id)' }));
    }),
};
