import type { ConfigurationRule } from '../rule';
import { objectAddress } from '../../bdda/diff/kubernetes-diff';
import { asList } from '../terraform';

const DANGEROUS_VERBS = ['*', 'escalate', 'bind', 'impersonate'];

interface PolicyRule {
  readonly verbs?: readonly string[];
  readonly resources?: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

function problems(rule: PolicyRule): string[] {
  return [
    ...(rule.verbs ?? []).filter((v) => DANGEROUS_VERBS.includes(v)).map((v) => `verb ${v}`),
    ...(rule.resources ?? []).filter((r) => r.includes('*')).map((r) => `resource ${r}`),
    ...(rule.apiGroups ?? []).filter((g) => g === '*').map(() => 'apiGroup *'),
    ...(rule.nonResourceURLs ?? []).map((u) => `nonResourceURL ${u}`),
  ];
}

export const rbacWildcards: ConfigurationRule = {
  kind: 'configuration',
  id: 'RBAC-WILDCARDS',
  description: 'No Role or ClusterRole grants wildcards, escalate, bind, impersonate or non-resource URLs.',
  severity: 'error',
  check: ({ manifests }) =>
    manifests
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .flatMap((role) => {
        const found = (asList(role.rules) as PolicyRule[]).flatMap(problems);
        return found.length ? [{ layer: 'goliath' as const, address: objectAddress(role), message: `grants ${found.join(', ')}` }] : [];
      }),
};
