/**
 * What kubectl's server-side dry run cannot see: objects in namespaces the cluster does not have
 * yet. `kubectl diff --server-side` sends every object to the API server as a dry run, which
 * refuses an object whose namespace does not exist (`namespaces "platform" not found`), even when
 * the same diff creates that namespace. So the diff sends the server only the objects it can
 * judge and shows the rest as created, in kubectl's own layout; apply creates namespaces and the
 * other cluster-scoped objects before the objects that live in them.
 */
import { stringify } from 'yaml';
import { BddaError } from '../../config/errors';
import { type K8sObject, kubectlDiffName } from '../diff/kubernetes-diff';
import { runKubectl } from './kubectl';

/** The names of the namespaces the cluster has now (`kubectl get namespaces -o name`). */
export async function existingNamespaces(kubeconfig: string, clusterName: string): Promise<Set<string>> {
  const result = await runKubectl(['get', 'namespaces', '-o', 'name'], kubeconfig);
  if (result.code !== 0) throw new BddaError(`kubectl get namespaces on ${clusterName} failed: ${result.stderr.trim()}`);
  return new Set(
    result.stdout
      .split('\n')
      .map((line) => line.trim().replace(/^namespace\//, ''))
      .filter(Boolean),
  );
}

/**
 * Splits the chart for a diff: what the server can dry-run (cluster-scoped objects, and objects
 * in namespaces that exist), and what lives in a namespace the cluster does not have yet.
 */
export function byNamespacePresence(
  objects: readonly K8sObject[],
  existing: ReadonlySet<string>,
): { readonly onCluster: K8sObject[]; readonly inNewNamespaces: K8sObject[] } {
  const isNew = (o: K8sObject) => o.metadata.namespace !== undefined && !existing.has(o.metadata.namespace);
  return { onCluster: objects.filter((o) => !isNew(o)), inNewNamespaces: objects.filter(isNew) };
}

/**
 * The order apply takes the chart in: cluster-scoped objects (namespaces, cluster roles,
 * admission policies, ...) first, then the objects that live in a namespace, each in chart order.
 */
export function applyPhases(objects: readonly K8sObject[]): ReadonlyArray<{ readonly name: string; readonly objects: K8sObject[] }> {
  return [
    { name: 'cluster-scoped', objects: objects.filter((o) => !o.metadata.namespace) },
    { name: 'namespaced', objects: objects.filter((o) => o.metadata.namespace) },
  ].filter((phase) => phase.objects.length > 0);
}

/** A YAML stream of `objects`, as kubectl reads it with `-f`. */
export function manifestStream(objects: readonly K8sObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** A Secret's values never reach the diff; kubectl masks them the same way. */
function masked(o: K8sObject): K8sObject {
  if (o.kind !== 'Secret') return o;
  const out: Record<string, unknown> = { ...o };
  for (const field of ['data', 'stringData'] as const) {
    const values = o[field] as Record<string, string> | undefined;
    if (values) out[field] = Object.fromEntries(Object.keys(values).map((k) => [k, '***']));
  }
  return out as K8sObject;
}

/**
 * `objects` shown as created, in the layout of kubectl's diff once made repeatable
 * (`normalizeKubectlDiff`): one file pair per object, its whole content added from line 0.
 */
export function createdObjectsDiff(objects: readonly K8sObject[]): string {
  return [...objects]
    .sort((a, b) => kubectlDiffName(a).localeCompare(kubectlDiffName(b)))
    .map((o) => {
      const name = kubectlDiffName(o);
      const lines = stringify(masked(o), { sortMapEntries: true, lineWidth: 0 }).trimEnd().split('\n');
      return [`--- live/${name}`, `+++ merged/${name}`, `@@ -0,0 +1,${lines.length} @@`, ...lines.map((line) => `+${line}`)].join('\n');
    })
    .join('\n');
}
