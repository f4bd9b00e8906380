import type { ConfigurationRule } from '../rule';
import { objectAddress } from '../../bdda/diff/kubernetes-diff';
import { containersOf, type PodSpec, podSpecOf } from '../kubernetes';
import { asList, field } from '../terraform';

function problems(pod: PodSpec): string[] {
  const found: string[] = [];
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (pod[key] === true) found.push(key);
  if ((pod.volumes ?? []).some((v) => v.hostPath !== undefined)) found.push('a hostPath volume');
  for (const c of containersOf(pod)) {
    const sc = c.securityContext ?? {};
    const nonRoot = sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
    const bad = [
      ...(nonRoot === true ? [] : ['runAsNonRoot: true']),
      ...(sc.readOnlyRootFilesystem === true ? [] : ['readOnlyRootFilesystem: true']),
      ...(sc.allowPrivilegeEscalation === false ? [] : ['allowPrivilegeEscalation: false']),
      ...(sc.privileged === true ? ['privileged: false'] : []),
      ...(asList(field(sc, 'capabilities', 'drop')).includes('ALL') ? [] : ['capabilities.drop: [ALL]']),
      ...(asList(field(sc, 'capabilities', 'add')).length === 0 ? [] : ['capabilities.add: []']),
    ];
    if (bad.length) found.push(`container ${c.name} needs ${bad.join(', ')}`);
  }
  return found;
}

export const workloadSecurityContext: ConfigurationRule = {
  kind: 'configuration',
  id: 'WORKLOAD-SECURITY-CONTEXT',
  description:
    'Every workload runs non-root on a read-only root filesystem, without privilege escalation, privileges or capabilities, and without host namespaces or host paths.',
  severity: 'error',
  check: ({ manifests }) =>
    manifests.flatMap((o) => {
      const pod = podSpecOf(o);
      const found = pod ? problems(pod) : [];
      return found.length ? [{ layer: 'goliath' as const, address: objectAddress(o), message: found.join('; ') }] : [];
    }),
};
