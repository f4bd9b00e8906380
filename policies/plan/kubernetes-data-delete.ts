import type { PlanRule } from '../rule';

/** Objects whose deletion takes data with it: a namespace everything in it, a claim its volume. */
const DATA_KINDS = ['Namespace', 'PersistentVolumeClaim'];

export const kubernetesDataDelete: PlanRule = {
  kind: 'plan',
  id: 'KUBERNETES-DATA-DELETE',
  description: 'No change deletes or replaces a Namespace (and everything in it) or a PersistentVolumeClaim (and its volume).',
  severity: 'error',
  check: (plan) =>
    plan.changes
      .filter((c) => DATA_KINDS.includes(c.type) && (c.action === 'delete' || c.action === 'replace'))
      .map((c) => ({ address: c.address, message: `would be ${c.action === 'delete' ? 'deleted' : 'replaced'}, with everything it holds` })),
};
