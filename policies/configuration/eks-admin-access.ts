import type { ConfigurationRule, Finding } from '../rule';
import { PLATFORM_DEPLOYERS_GROUP } from '../../config/naming';
import { asList, eachStack, referencedName, resourcesOf } from '../terraform';

/** Groups that make their members administrators of the cluster or of the platform. */
const ADMIN_GROUPS = [PLATFORM_DEPLOYERS_GROUP, 'system:masters'];

export const eksAdminAccess: ConfigurationRule = {
  kind: 'configuration',
  id: 'EKS-ADMIN-ACCESS',
  description: `Only the deploy role and kubernetes.adminRoleArns get an EKS access policy or the ${PLATFORM_DEPLOYERS_GROUP} group; every other role's rights come from Goliath's RBAC.`,
  severity: 'error',
  check: ({ env, stacks }) => {
    const { deployer, adminRoleArns } = env.config.kubernetes;
    const admins = new Set([deployer.roleArn, ...adminRoleArns].filter((arn) => arn !== undefined));
    return eachStack(stacks).flatMap(({ layer, stack }) => {
      const entries = resourcesOf(stack, 'aws_eks_access_entry');
      const principalOf = new Map(entries.map((e) => [e.name, String(e.body.principal_arn)]));
      const groups = entries
        .filter((e) => !admins.has(String(e.body.principal_arn)))
        .flatMap((e): Finding[] => {
          const held = asList(e.body.kubernetes_groups).filter((g) => ADMIN_GROUPS.includes(String(g)));
          return held.length ? [{ layer, address: e.address, message: `gives ${String(e.body.principal_arn)} the group ${held.join(', ')}` }] : [];
        });
      const policies = resourcesOf(stack, 'aws_eks_access_policy_association').flatMap((a): Finding[] => {
        const entry = referencedName(a.body.principal_arn, 'aws_eks_access_entry');
        const principal = entry === undefined ? String(a.body.principal_arn) : principalOf.get(entry);
        return principal !== undefined && admins.has(principal)
          ? []
          : [{ layer, address: a.address, message: `gives ${principal ?? String(a.body.principal_arn)} the access policy ${String(a.body.policy_arn)}` }];
      });
      return [...groups, ...policies];
    });
  },
};
