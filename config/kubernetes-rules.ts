/**
 * Rules about Kubernetes names and versions, written once: the config checks, the loader and the
 * charts all ask here, so a chart built from hand-made props refuses what the loader refuses.
 */

/** A DNS-1123 label: lower-case letters, digits and '-', starting and ending alphanumeric, at most 63. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Whether `name` is a DNS-1123 label (namespaces, node groups, the leaf folder that names the cluster). */
export function isDns1123Label(name: string): boolean {
  return DNS1123_LABEL.test(name);
}

/** Namespaces Kubernetes or EKS own; neither the platform nor a team may claim them. */
export const RESERVED_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** The minor of a version: `v1.35.2` and `1.35.2` both give `1.35`. */
function minorOf(version: string): string {
  return version.replace(/^v/, '').split('.').slice(0, 2).join('.');
}

/**
 * Whether a component that must run the cluster's own minor (cluster-autoscaler, kube-proxy) does:
 * `1.35.2` matches Kubernetes `1.35`.
 */
export function matchesClusterMinor(version: string, kubernetesVersion: string): boolean {
  return minorOf(version) === kubernetesVersion;
}
