import type { ConfigurationRule } from '../rule';
import { objectAddress } from '../../bdda/diff/kubernetes-diff';
import { asList, field } from '../terraform';

export const teamNamespaceBindings: ConfigurationRule = {
  kind: 'configuration',
  id: 'TEAM-NAMESPACE-BINDINGS',
  description: "A team's group is bound only by RoleBindings in the team's own namespace, never cluster-wide or in another namespace.",
  severity: 'error',
  check: ({ env, manifests }) => {
    const namespaceOf = new Map(env.config.platform.teams.map((t) => [t.group, t.name]));
    return manifests
      .filter((b) => b.kind === 'RoleBinding' || b.kind === 'ClusterRoleBinding')
      .flatMap((b) => {
        const strays = asList(b.subjects)
          .filter((s) => field(s, 'kind') === 'Group' && namespaceOf.has(String(field(s, 'name'))))
          .map((s) => String(field(s, 'name')))
          .filter((group) => b.kind === 'ClusterRoleBinding' || b.metadata.namespace !== namespaceOf.get(group));
        return strays.map((group) => ({
          layer: 'goliath' as const,
          address: objectAddress(b),
          message: `binds ${String(field(b, 'roleRef', 'name'))} to the team group ${group} outside its namespace ${namespaceOf.get(group)}`,
        }));
      });
  },
};
