/**
 * The namespace labels that make Pod Security Admission enforce, warn about and audit a level,
 * pinned to a policy version.
 */

/** Pod Security Admission levels. */
type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';

/** The labels that make Pod Security Admission enforce, warn about and audit levels in a namespace. */
export interface PodSecurityLabelsOptions {
  /** Level whose violations are rejected. */
  readonly enforce: PodSecurityLevel;
  /** Level whose violations are reported back to the client and written to the audit log. */
  readonly warn: PodSecurityLevel;
  /** Policy version the levels are pinned to, e.g. `v1.31`, so a control-plane upgrade does not tighten them silently. */
  readonly version: string;
}

export function podSecurityLabels(options: PodSecurityLabelsOptions): Record<string, string> {
  if (!/^v1\.\d+$/.test(options.version)) {
    throw new Error(`Pod Security version "${options.version}" must look like v1.31`);
  }
  return {
    'pod-security.kubernetes.io/enforce': options.enforce,
    'pod-security.kubernetes.io/enforce-version': options.version,
    'pod-security.kubernetes.io/warn': options.warn,
    'pod-security.kubernetes.io/warn-version': options.version,
    'pod-security.kubernetes.io/audit': options.warn,
    'pod-security.kubernetes.io/audit-version': options.version,
  };
}
