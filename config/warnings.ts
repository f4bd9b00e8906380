/**
 * What plan says before it plans: configs the loader allows but a reviewer should see, and the
 * one refusal that depends on the day rather than the config, a Kubernetes minor past EKS
 * extended support (EKS upgrades such a cluster by itself, so a plan at that version is fiction).
 */
import { ConfigError } from './errors';
import { EKS_MINORS, nextMinor, supportStatus } from './eks-versions';
import type { Environment } from './load';

/** Warnings for an environment on a day; throws a ConfigError past extended support. */
export function planWarnings(env: Pick<Environment, 'path' | 'config'>, today: Date = new Date()): string[] {
  const { config } = env;
  const file = `environments/${env.path}/env.yaml (or the level that sets it)`;
  const minor = config.kubernetes.version;
  const row = EKS_MINORS[minor];
  const warnings: string[] = [];
  const status = supportStatus(minor, today);
  if (status === 'ended') {
    throw new ConfigError([
      {
        file,
        key: 'kubernetes.version',
        message: `Kubernetes ${minor} left EKS extended support on ${row.endOfExtendedSupport}; EKS upgrades such clusters by itself. Upgrade to ${nextMinor(minor)} (one minor at a time; see "Upgrading Kubernetes" in README.md)`,
      },
    ]);
  }
  if (status === 'extended') {
    warnings.push(
      `kubernetes.version ${minor} is past EKS standard support (ended ${row.endOfStandardSupport}); extended support costs more per cluster hour and ends ${row.endOfExtendedSupport}. Upgrade to ${nextMinor(minor)}.`,
    );
  }
  if (!config.vpc.interfaceEndpoints && !config.emulated) {
    warnings.push('vpc.interfaceEndpoints is off: private nodes reach ECR, STS, CloudWatch Logs and EC2 through the NAT gateway.');
  }
  // Emulated environments are disposable and run no pods; the warning would only be noise there.
  if (config.kubernetes.systemNodeGroup === undefined && !config.emulated) {
    warnings.push('kubernetes.systemNodeGroup is not set: platform add-ons share nodes with team workloads.');
  }
  if (!config.emulated && config.kubernetes.publicAccessCidrs.length > 0) {
    warnings.push(
      `the cluster API is public to ${config.kubernetes.publicAccessCidrs.join(', ')}; a private endpoint with kubernetes.deployer or vpc.runnerSubnet is safer.`,
    );
  }
  return warnings;
}
