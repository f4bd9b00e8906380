/**
 * The one naming rule: every name an environment uses is derived here from its path
 * (`dev/dev2` → prefix `dev-dev2`). Stacks, the chart and the workflow all ask this module, so
 * Goliath knows an add-on's IRSA role ARN without a live lookup, and the state keys follow the
 * same path as the folder that holds the diff.
 */
import { ConfigError } from './errors';

/** The layers of the cake, in apply order. */
export const LAYERS = ['flag', 'karr', 'goliath'] as const;
export type Layer = (typeof LAYERS)[number];

/** Add-ons that call AWS, each with an IRSA role (cluster-autoscaler in Goliath, the EBS CSI driver as an EKS add-on). */
export const IRSA_ADDONS = ['cluster-autoscaler', 'ebs-csi-driver'] as const;
export type IrsaAddon = (typeof IRSA_ADDONS)[number];

export class Naming {
  /** `dev/dev2` becomes `dev-dev2`. */
  public readonly prefix: string;

  constructor(
    /** The environment's path under `environments/`, e.g. `dev/dev2`. */
    public readonly envPath: string,
    /** The AWS account the environment lives in, for ARNs. */
    private readonly accountId: string,
  ) {
    this.prefix = envPath.split('/').join('-');
    // IAM role names stop at 64 characters; the longest suffix used below is 24.
    if (this.prefix.length > 38) {
      throw new ConfigError([
        {
          file: `environments/${envPath}`,
          key: '',
          message: `the environment's path is too long: it names everything "${this.prefix}-…", which must be at most 38 characters so that IAM role names fit; rename the folder (or its tier) to something shorter`,
        },
      ]);
    }
  }

  /** The EKS cluster name. */
  get clusterName(): string {
    return this.prefix;
  }

  /** A resource name, which is also its `Name` tag: `dev-dev2-private-eu-west-1a`. */
  resource(...parts: string[]): string {
    return [this.prefix, ...parts].join('-');
  }

  /** The name of one of the environment's IAM roles. */
  roleName(purpose: 'cluster' | 'node' | 'flow-logs' | `irsa-${IrsaAddon}`): string {
    return this.resource(purpose);
  }

  /** The ARN of one of the environment's IAM roles, known before the role exists. */
  roleArn(purpose: Parameters<Naming['roleName']>[0]): string {
    return `arn:aws:iam::${this.accountId}:role/${this.roleName(purpose)}`;
  }

  /** The IRSA role an add-on's service account assumes. */
  irsaRoleArn(addon: IrsaAddon): string {
    return this.roleArn(`irsa-${addon}`);
  }

  /** The key, in the state bucket, of a layer's state (terraform) or record (Goliath). */
  stateKey(layer: Layer): string {
    return layer === 'goliath' ? `${this.envPath}/goliath.manifests.yaml` : `${this.envPath}/${layer}.tfstate`;
  }

  /** The key of the lock held for a whole apply or destroy. */
  get applyLockKey(): string {
    return `${this.envPath}/apply.lock`;
  }
}

/**
 * The Kubernetes group of the deploy role and the cluster admins (given by KARR's access entries):
 * the only users, besides the control plane's own, that may change or delete platform objects.
 */
export const PLATFORM_DEPLOYERS_GROUP = 'bdda:platform-deployers';

/** The label on every Goliath object; the platform guard keeps everyone but the deployers off what has it. */
export const MANAGED_BY = { key: 'app.kubernetes.io/managed-by', value: 'goliath' } as const;

/** The taint on the system node group; platform add-ons (and EKS's CoreDNS) tolerate it. */
export const SYSTEM_NODE_TAINT = { key: 'CriticalAddonsOnly', value: 'true' } as const;
/** The label on the system node group's nodes, which platform add-ons select. */
export const SYSTEM_NODE_LABEL = { key: 'node.bdda.io/system', value: 'true' } as const;
