import type { ConfigurationRule, Finding } from '../rule';
import { asList, eachStack, field, policyStatements, resourcesOf, type Statement } from '../terraform';

const allows = (s: Statement, pattern: RegExp) => s.Effect === 'Allow' && asList(s.Action).some((a) => pattern.test(String(a)));

export const kmsKeyPolicy: ConfigurationRule = {
  kind: 'configuration',
  id: 'KMS-KEY-POLICY',
  description: 'No KMS key policy grants every action (kms:* or *), and grants on a key are allowed for AWS resources only (kms:GrantIsForAWSResource).',
  severity: 'error',
  check: ({ stacks }) =>
    eachStack(stacks).flatMap(({ layer, stack }) =>
      resourcesOf(stack, 'aws_kms_key').flatMap((key): Finding[] => {
        const statements = policyStatements(key.body.policy);
        const problems: string[] = [];
        if (statements.some((s) => allows(s, /^(\*|kms:\*)$/))) problems.push('has a policy statement that allows kms:*');
        const grantsAnyone = statements.some(
          (s) => allows(s, /^kms:(CreateGrant|Create\*)$/) && String(field(s.Condition, 'Bool', 'kms:GrantIsForAWSResource')) !== 'true',
        );
        if (grantsAnyone) problems.push('allows kms:CreateGrant without the condition kms:GrantIsForAWSResource "true"');
        return problems.map((message) => ({ layer, address: key.address, message }));
      }),
    ),
};
