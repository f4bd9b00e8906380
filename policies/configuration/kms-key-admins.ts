import type { ConfigurationRule, Finding } from '../rule';
import { allowedOf, allowsEverything, KMS_ADMIN_ACTIONS } from '../kms';
import { asList, eachStack, field, policyStatements, resourcesOf } from '../terraform';

export const kmsKeyAdmins: ConfigurationRule = {
  kind: 'configuration',
  id: 'KMS-KEY-ADMINS',
  description:
    'Only the deploy role, kubernetes.adminRoleArns and the account root (to recover a key) may administer a KMS key: change its policy, disable it or schedule its deletion.',
  severity: 'error',
  check: ({ env, stacks }) => {
    const { deployer, adminRoleArns } = env.config.kubernetes;
    const { accountId } = env.config.aws;
    const admins = new Set([deployer.roleArn, ...adminRoleArns, `arn:aws:iam::${accountId}:root`, accountId].filter((arn) => arn !== undefined));
    return eachStack(stacks).flatMap(({ layer, stack }) =>
      resourcesOf(stack, 'aws_kms_key').flatMap((key): Finding[] => {
        const problems = policyStatements(key.body.policy)
          .filter((s) => s.Effect === 'Allow' && !allowsEverything(s) && allowedOf(s, KMS_ADMIN_ACTIONS).length > 0)
          .flatMap((s) => {
            // A principal other than roles (a service, a federated user, everyone) is never an administrator.
            const principal = s.Principal;
            const others =
              principal !== null && typeof principal === 'object' && Object.keys(principal).every((type) => type === 'AWS')
                ? asList(field(principal, 'AWS'))
                    .map(String)
                    .filter((p) => !admins.has(p))
                : [JSON.stringify(principal)];
            return others.map((p) => `${s.Sid ? `statement ${s.Sid}` : 'a statement'} lets ${p} administer the key`);
          });
        return problems.map((message) => ({ layer, address: key.address, message }));
      }),
    );
  },
};
