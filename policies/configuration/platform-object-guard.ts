import type { ConfigurationRule, Finding } from '../rule';
import { objectAddress, type K8sObject } from '../../bdda/diff/kubernetes-diff';
import { MANAGED_BY, PLATFORM_DEPLOYERS_GROUP } from '../../config/naming';
import { asList, field } from '../terraform';

/** What a team's `edit` could otherwise use to undo its namespace's isolation, by API group and resource. */
const GUARDED: ReadonlyArray<readonly [string, string]> = [
  ['networking.k8s.io', 'networkpolicies'],
  ['', 'resourcequotas'],
  ['', 'limitranges'],
  ['rbac.authorization.k8s.io', 'rolebindings'],
];
const OPERATIONS = ['UPDATE', 'DELETE'];

const includes = (list: unknown, value: string): boolean => asList(list).some((v) => v === value || v === '*');
const expressions = (o: K8sObject, key: string): string =>
  asList(field(o, 'spec', key))
    .map((c) => String(field(c, 'expression')))
    .join('\n');

/** What keeps a policy from guarding the platform's objects; none when it does. */
function problems(policy: K8sObject, bindings: readonly K8sObject[]): string[] {
  const rules = asList(field(policy, 'spec', 'matchConstraints', 'resourceRules'));
  const uncovered = GUARDED.filter(
    ([group, resource]) =>
      !rules.some(
        (r) =>
          includes(field(r, 'apiGroups'), group) && includes(field(r, 'resources'), resource) && OPERATIONS.every((op) => includes(field(r, 'operations'), op)),
      ),
  );
  const enforced = bindings.some(
    (b) =>
      field(b, 'spec', 'policyName') === policy.metadata.name &&
      asList(field(b, 'spec', 'validationActions')).includes('Deny') &&
      field(b, 'spec', 'matchResources') === undefined,
  );
  return [
    ...(field(policy, 'spec', 'failurePolicy') === 'Fail' ? [] : ['does not fail closed (failurePolicy: Fail)']),
    ...uncovered.map(([group, resource]) => `does not cover ${OPERATIONS.join(' and ')} of ${group || 'core'}/${resource}`),
    ...(expressions(policy, 'matchConditions').includes(`'${PLATFORM_DEPLOYERS_GROUP}'`) ? [] : [`does not exempt the ${PLATFORM_DEPLOYERS_GROUP} group`]),
    ...(enforced ? [] : ['has no binding that denies in every namespace (validationActions [Deny], no matchResources)']),
  ];
}

export const platformObjectGuard: ConfigurationRule = {
  kind: 'configuration',
  id: 'PLATFORM-OBJECT-GUARD',
  description: `A ValidatingAdmissionPolicy denies everyone but the ${PLATFORM_DEPLOYERS_GROUP} group changing or deleting objects labelled ${MANAGED_BY.key}=${MANAGED_BY.value} (network policies, quotas, limit ranges, role bindings), and every object in a team namespace carries that label.`,
  severity: 'error',
  check: ({ env, manifests }) => {
    const findings: Finding[] = [];
    const bindings = manifests.filter((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
    // The guard is the policy that keys on the label; any of them doing the whole job is enough.
    const guards = manifests.filter((o) => o.kind === 'ValidatingAdmissionPolicy' && expressions(o, 'validations').includes(`'${MANAGED_BY.key}'`));
    const judged = guards.map((policy) => ({ policy, found: problems(policy, bindings) }));
    if (!judged.some((g) => g.found.length === 0)) {
      if (judged.length === 0) {
        const platform = manifests.find((o) => o.kind === 'Namespace' && o.metadata.name === env.config.platform.namespace);
        findings.push({
          layer: 'goliath',
          address: platform ? objectAddress(platform) : `v1 Namespace ${env.config.platform.namespace}`,
          message: `no ValidatingAdmissionPolicy keys on ${MANAGED_BY.key}, so a team's edit can change or delete the platform's objects`,
        });
      }
      for (const g of judged) findings.push({ layer: 'goliath', address: objectAddress(g.policy), message: g.found.join('; ') });
    }
    const teams = new Set(env.config.platform.teams.map((t) => t.name));
    for (const o of manifests) {
      if (o.metadata.namespace === undefined || !teams.has(o.metadata.namespace)) continue;
      if (field(o, 'metadata', 'labels', MANAGED_BY.key) !== MANAGED_BY.value)
        findings.push({
          layer: 'goliath',
          address: objectAddress(o),
          message: `lacks the label ${MANAGED_BY.key}=${MANAGED_BY.value}, so the platform guard does not protect it`,
        });
    }
    return findings;
  },
};
