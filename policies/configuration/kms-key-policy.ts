import type { ConfigurationRule } from '../rule';
import { asList, eachStack, policyStatements, resourcesOf } from '../terraform';

export const kmsKeyPolicy: ConfigurationRule = {
  kind: 'configuration',
  id: 'KMS-KEY-POLICY',
  description: 'No KMS key policy grants every action (kms:* or *): administrators and users get the actions of their role.',
  severity: 'error',
  check: ({ stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) =>
      resourcesOf(stack, 'aws_kms_key')
        .filter((key) => policyStatements(key.body.policy).some((s) => s.Effect === 'Allow' && asList(s.Action).some((a) => a === '*' || a === 'kms:*')))
        .map((key) => ({ layer, address: key.address, message: 'has a policy statement that allows kms:*' })),
    ),
};
