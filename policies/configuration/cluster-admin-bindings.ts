import type { ConfigurationRule } from '../rule';
import { objectAddress } from '../../bdda/diff/kubernetes-diff';
import { PLATFORM_DEPLOYERS_GROUP } from '../../config/naming';
import { asList, field } from '../terraform';

/** Roles that hold a cluster when bound cluster-wide; cluster-admin also in a RoleBinding. */
const CLUSTER_WIDE = ['cluster-admin', 'admin', 'edit'];

interface Subject {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
}

export const clusterAdminBindings: ConfigurationRule = {
  kind: 'configuration',
  id: 'CLUSTER-ADMIN-BINDINGS',
  description: `Only platform subjects (the ${PLATFORM_DEPLOYERS_GROUP} group, service accounts of the platform namespace) are bound to cluster-admin, or cluster-wide to admin or edit.`,
  severity: 'error',
  check: ({ env, manifests }) => {
    const isPlatform = (s: Subject) =>
      (s.kind === 'Group' && s.name === PLATFORM_DEPLOYERS_GROUP) || (s.kind === 'ServiceAccount' && s.namespace === env.config.platform.namespace);
    return manifests
      .filter((b) => {
        const role = field(b, 'roleRef', 'name');
        return (b.kind === 'ClusterRoleBinding' && CLUSTER_WIDE.includes(String(role))) || (b.kind === 'RoleBinding' && role === 'cluster-admin');
      })
      .flatMap((b) => {
        const others = (asList(b.subjects) as Subject[]).filter((s) => !isPlatform(s));
        return others.length
          ? [
              {
                layer: 'goliath' as const,
                address: objectAddress(b),
                message: `binds ${String(field(b, 'roleRef', 'name'))} to ${others.map((s) => `${s.kind} ${s.name}`).join(', ')}`,
              },
            ]
          : [];
      });
  },
};
