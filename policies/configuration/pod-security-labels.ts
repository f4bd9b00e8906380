import type { ConfigurationRule } from '../rule';
import { objectAddress } from '../../bdda/diff/kubernetes-diff';

const PREFIX = 'pod-security.kubernetes.io';
const ENFORCED = ['baseline', 'restricted'];

export const podSecurityLabels: ConfigurationRule = {
  kind: 'configuration',
  id: 'POD-SECURITY-LABELS',
  description: 'Every namespace enforces Pod Security baseline or restricted and warns on restricted, each pinned to the cluster version.',
  severity: 'error',
  check: ({ env, manifests }) =>
    manifests
      .filter((o) => o.kind === 'Namespace')
      .flatMap((ns) => {
        const labels = (ns.metadata.labels ?? {}) as Readonly<Record<string, string>>;
        const version = `v${env.config.kubernetes.version}`;
        const problems = [
          ...(ENFORCED.includes(labels[`${PREFIX}/enforce`]) ? [] : [`${PREFIX}/enforce is not baseline or restricted`]),
          ...(labels[`${PREFIX}/warn`] === 'restricted' ? [] : [`${PREFIX}/warn is not restricted`]),
          ...[`${PREFIX}/enforce-version`, `${PREFIX}/warn-version`].filter((l) => labels[l] !== version).map((l) => `${l} is not ${version}`),
        ];
        return problems.length ? [{ layer: 'goliath' as const, address: objectAddress(ns), message: problems.join('; ') }] : [];
      }),
};
