import type { ConfigurationRule, Finding } from '../rule';
import { allowedOf, allowsEverything, KMS_ADMIN_ACTIONS, KMS_USE_ACTIONS } from '../kms';
import { asList, eachStack, field, policyStatements, resourcesOf } from '../terraform';

export const kmsKeySeparation: ConfigurationRule = {
  kind: 'configuration',
  id: 'KMS-KEY-SEPARATION',
  description:
    'No KMS key policy statement lets the same principals both administer and use a key, and none lets the account root use it (which would open it to any IAM policy in the account).',
  severity: 'error',
  check: ({ env, stacks }) => {
    const root = [`arn:aws:iam::${env.config.aws.accountId}:root`, env.config.aws.accountId];
    return eachStack(stacks).flatMap(({ layer, stack }) =>
      resourcesOf(stack, 'aws_kms_key').flatMap((key): Finding[] => {
        const problems = policyStatements(key.body.policy)
          .filter((s) => s.Effect === 'Allow' && !allowsEverything(s))
          .flatMap((s) => {
            const name = s.Sid ? `statement ${s.Sid}` : 'a statement';
            const uses = allowedOf(s, KMS_USE_ACTIONS);
            if (uses.length === 0) return [];
            return [
              ...(allowedOf(s, KMS_ADMIN_ACTIONS).length ? [`${name} lets its principals both administer and use the key`] : []),
              ...(asList(field(s.Principal, 'AWS')).some((p) => root.includes(String(p)))
                ? [`${name} lets the account root use the key (${uses.join(', ')})`]
                : []),
            ];
          });
        return problems.map((message) => ({ layer, address: key.address, message }));
      }),
    );
  },
};
