import type { ConfigurationRule } from '../rule';
import { objectAddress, type K8sObject } from '../../bdda/diff/kubernetes-diff';
import { asList, field } from '../terraform';

const isEmptySelector = (selector: unknown): boolean =>
  selector !== undefined && Object.keys(field(selector, 'matchLabels') ?? {}).length === 0 && asList(field(selector, 'matchExpressions')).length === 0;

/** A policy that selects every pod of its namespace and lets nothing in or out. */
function deniesAll(policy: K8sObject): boolean {
  const types = asList(field(policy, 'spec', 'policyTypes'));
  return (
    isEmptySelector(field(policy, 'spec', 'podSelector')) &&
    types.includes('Ingress') &&
    types.includes('Egress') &&
    asList(field(policy, 'spec', 'ingress')).length === 0 &&
    asList(field(policy, 'spec', 'egress')).length === 0
  );
}

export const defaultDenyNetworkPolicy: ConfigurationRule = {
  kind: 'configuration',
  id: 'DEFAULT-DENY-NETWORK-POLICY',
  description: 'Every namespace has a NetworkPolicy that denies all ingress and egress to every pod; other policies then allow what is needed.',
  severity: 'error',
  check: ({ manifests }) =>
    manifests
      .filter((o) => o.kind === 'Namespace')
      .filter((ns) => !manifests.some((p) => p.kind === 'NetworkPolicy' && p.metadata.namespace === ns.metadata.name && deniesAll(p)))
      .map((ns) => ({
        layer: 'goliath' as const,
        address: objectAddress(ns),
        message: 'has no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)',
      })),
};
