/**
 * The EKS version calendar and what each Kubernetes minor runs, in one table. Adding a minor is
 * adding a row here: the schema accepts any `1.N`, and the checks look the minor up in this table.
 *
 * Dates are from the EKS Kubernetes version calendar (docs.aws.amazon.com/eks/latest/userguide/
 * kubernetes-versions.html). A version is out of standard support ON its end date.
 *
 * Add-on versions are the EKS managed add-on builds of January 2026 (launch builds for 1.35, seen
 * deployed on clusters of that minor in public terraform configurations), and the node AMIs the
 * EKS-optimized Amazon Linux 2023 releases of that month. `npm run versions` compares the table
 * with `aws eks describe-addon-versions` and the AMI release parameters in SSM and prints what is
 * newer; run it before a first real apply and every month. cluster-autoscaler's
 * minor equals the cluster's, and its image is pinned by the digest registry.k8s.io serves for the
 * tag (from the image promotions in kubernetes/k8s.io).
 */

import type { EnvironmentConfig } from './schema';

/** An ISO date, `YYYY-MM-DD`. */
type IsoDate = `${number}-${number}-${number}`;

/** EKS managed add-on versions for one cluster minor. */
export interface EksAddonVersions {
  /** `vpc-cni`. */
  readonly vpcCni: string;
  /** `coredns`. */
  readonly coredns: string;
  /** `kube-proxy`; its minor is the cluster's. */
  readonly kubeProxy: string;
  /** `eks-pod-identity-agent`. */
  readonly podIdentityAgent: string;
  /** `aws-ebs-csi-driver`. */
  readonly ebsCsiDriver: string;
}

/** The EKS-optimized AMI managed node groups run for one cluster minor. */
export interface EksNodeAmi {
  /** `ami_type` of the node groups, e.g. `AL2023_x86_64_STANDARD`. */
  readonly amiType: string;
  /** `release_version` of that AMI for the minor, e.g. `1.35.0-20260120`; raise it to roll nodes onto a patched AMI. */
  readonly releaseVersion: string;
}

/** An image pinned by tag and by digest. */
export interface PinnedImage {
  /** Version, the tag without its `v`. */
  readonly version: string;
  /** `sha256:` digest of the tag's image index. */
  readonly digest: string;
}

export interface EksMinor {
  /** Last day before the minor leaves standard support. */
  readonly endOfStandardSupport: IsoDate;
  /** The day the minor leaves extended support; EKS then upgrades the cluster by itself. */
  readonly endOfExtendedSupport: IsoDate;
  /** Add-on versions for this minor; absent for minors this project no longer deploys. */
  readonly addons?: EksAddonVersions;
  /** cluster-autoscaler for this minor, pinned. */
  readonly clusterAutoscaler?: PinnedImage;
  /** The node AMI for this minor; absent for minors this project no longer deploys. */
  readonly nodeAmi?: EksNodeAmi;
}

export const EKS_MINORS: Readonly<Record<string, EksMinor>> = {
  '1.28': { endOfStandardSupport: '2024-11-26', endOfExtendedSupport: '2025-11-26' },
  '1.29': { endOfStandardSupport: '2025-03-23', endOfExtendedSupport: '2026-03-23' },
  '1.30': { endOfStandardSupport: '2025-07-23', endOfExtendedSupport: '2026-07-23' },
  '1.31': { endOfStandardSupport: '2025-11-26', endOfExtendedSupport: '2026-11-26' },
  '1.32': { endOfStandardSupport: '2026-03-23', endOfExtendedSupport: '2027-03-23' },
  '1.33': { endOfStandardSupport: '2026-07-29', endOfExtendedSupport: '2027-07-29' },
  '1.34': {
    endOfStandardSupport: '2026-12-02',
    endOfExtendedSupport: '2027-12-02',
    addons: {
      vpcCni: 'v1.20.4-eksbuild.2',
      coredns: 'v1.12.3-eksbuild.1',
      kubeProxy: 'v1.34.0-eksbuild.2',
      podIdentityAgent: 'v1.3.10-eksbuild.2',
      ebsCsiDriver: 'v1.57.1-eksbuild.1',
    },
    nodeAmi: { amiType: 'AL2023_x86_64_STANDARD', releaseVersion: '1.34.2-20260120' },
    clusterAutoscaler: { version: '1.34.5', digest: 'sha256:5c3a56440ffc76eac79e7d7e840153c1fbe7b6e02d415e76a45ba2e0ef99a266' },
  },
  '1.35': {
    endOfStandardSupport: '2027-03-27',
    endOfExtendedSupport: '2028-03-27',
    addons: {
      vpcCni: 'v1.21.1-eksbuild.3',
      coredns: 'v1.13.2-eksbuild.1',
      kubeProxy: 'v1.35.0-eksbuild.2',
      podIdentityAgent: 'v1.3.10-eksbuild.3',
      ebsCsiDriver: 'v1.57.1-eksbuild.1',
    },
    nodeAmi: { amiType: 'AL2023_x86_64_STANDARD', releaseVersion: '1.35.0-20260120' },
    clusterAutoscaler: { version: '1.35.2', digest: 'sha256:aac369dc283927a623deb1af54696efcc722ae79255aa07788422e495bab887d' },
  },
};

/** metrics-server does not follow the cluster's minor; one pin serves every supported one. */
export const METRICS_SERVER: PinnedImage = {
  version: '0.8.0',
  digest: 'sha256:89258156d0e9af60403eafd44da9676fd66f600c7934d468ccc17e42b199aee2',
};

export type SupportStatus = 'standard' | 'extended' | 'ended' | 'unknown';

/** Where a minor stands on a day. */
export function supportStatus(minor: string, today: Date): SupportStatus {
  const row = EKS_MINORS[minor];
  if (!row) return 'unknown';
  const day = today.toISOString().slice(0, 10);
  if (day >= row.endOfExtendedSupport) return 'ended';
  if (day >= row.endOfStandardSupport) return 'extended';
  return 'standard';
}

/** The minor after this one, e.g. `1.35` → `1.36`. */
export function nextMinor(minor: string): string {
  const [major, m] = minor.split('.').map(Number);
  return `${major}.${m + 1}`;
}

/** The EKS add-on versions a config runs: its overrides over the table's row for its minor. */
export function addonVersions(config: Pick<EnvironmentConfig, 'kubernetes'>): EksAddonVersions {
  const row = EKS_MINORS[config.kubernetes.version]?.addons;
  const overrides = config.kubernetes.addons;
  const pick = (key: keyof EksAddonVersions): string => {
    const version = overrides[key] ?? row?.[key];
    if (!version) throw new Error(`no ${key} add-on version for Kubernetes ${config.kubernetes.version}; the config checks should have refused this`);
    return version;
  };
  return {
    vpcCni: pick('vpcCni'),
    coredns: pick('coredns'),
    kubeProxy: pick('kubeProxy'),
    podIdentityAgent: pick('podIdentityAgent'),
    ebsCsiDriver: pick('ebsCsiDriver'),
  };
}

/** The node AMI a config's node groups run: the table's row for its minor. */
export function nodeAmi(config: Pick<EnvironmentConfig, 'kubernetes'>): EksNodeAmi {
  const ami = EKS_MINORS[config.kubernetes.version]?.nodeAmi;
  if (!ami) throw new Error(`no node AMI for Kubernetes ${config.kubernetes.version}; the config checks should have refused this`);
  return ami;
}

/** The cluster-autoscaler image a config runs: an override with its digest, or the table's pin. */
export function clusterAutoscalerImage(config: Pick<EnvironmentConfig, 'kubernetes' | 'platform'>): PinnedImage {
  const { clusterAutoscaler, clusterAutoscalerDigest } = config.platform.addons;
  if (clusterAutoscaler) {
    const pinned = EKS_MINORS[config.kubernetes.version]?.clusterAutoscaler;
    const digest = clusterAutoscalerDigest ?? (pinned?.version === clusterAutoscaler ? pinned.digest : undefined);
    if (!digest) throw new Error(`cluster-autoscaler ${clusterAutoscaler} has no digest; the config checks should have refused this`);
    return { version: clusterAutoscaler, digest };
  }
  const pinned = EKS_MINORS[config.kubernetes.version]?.clusterAutoscaler;
  if (!pinned) throw new Error(`no cluster-autoscaler pin for Kubernetes ${config.kubernetes.version}; the config checks should have refused this`);
  return pinned;
}

/** The metrics-server image a config runs. */
export function metricsServerImage(config: Pick<EnvironmentConfig, 'platform'>): PinnedImage {
  const { metricsServer, metricsServerDigest } = config.platform.addons;
  if (!metricsServer || metricsServer === METRICS_SERVER.version)
    return { version: METRICS_SERVER.version, digest: metricsServerDigest ?? METRICS_SERVER.digest };
  if (!metricsServerDigest) throw new Error(`metrics-server ${metricsServer} has no digest; the config checks should have refused this`);
  return { version: metricsServer, digest: metricsServerDigest };
}
