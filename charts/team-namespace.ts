/**
 * A team's namespace: Pod Security `restricted`, default-deny network policies with DNS let out,
 * a quota and container defaults from config, and edit rights for the team's group there only.
 */
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { podSecurityLabels } from './pod-security-labels';

const { k8s } = kplus;

export interface TeamNamespaceProps {
  /** Team name, which is also the namespace name. */
  readonly name: string;
  /** Kubernetes group (from the IdP) given the built-in `edit` role in the namespace. */
  readonly group: string;
  /** Quota on the namespace's total requests and pods. */
  readonly quota: {
    /** Total CPU requests allowed, e.g. `8`. */
    readonly cpu: string;
    /** Total memory requests (and limits) allowed, e.g. `16Gi`. */
    readonly memory: string;
    /** Most pods. */
    readonly pods: number;
  };
  /**
   * Request and limit given to a container that states none.
   * @default { cpu: '100m', memory: '128Mi' }
   */
  readonly defaults?: {
    readonly cpu: string;
    readonly memory: string;
  };
  /** Pod Security policy version to pin, e.g. `v1.31`. */
  readonly podSecurityVersion: string;
}

/** Names of the objects in every team namespace. */
const TEAM_OBJECT_NAMES = {
  denyAll: 'default-deny-all',
  allowDns: 'allow-dns-egress',
  quota: 'team-quota',
  limitRange: 'container-defaults',
  editBinding: 'team-edit',
} as const;

export class TeamNamespace extends Construct {
  /** The namespace's name. */
  public readonly namespaceName: string;

  constructor(scope: Construct, id: string, props: TeamNamespaceProps) {
    super(scope, id);
    const name = props.name;
    const defaults = props.defaults ?? { cpu: '100m', memory: '128Mi' };
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw new Error(`team name "${name}" is not a DNS-1123 label`);
    if (!props.group) throw new Error(`team "${name}" needs a group`);
    if (!Number.isInteger(props.quota.pods) || props.quota.pods < 1) throw new Error(`team "${name}" quota.pods must be a positive integer`);
    this.namespaceName = name;

    new kplus.Namespace(this, 'namespace', {
      metadata: {
        name,
        labels: {
          'app.kubernetes.io/managed-by': 'goliath',
          'goliath.bdda/team': name,
          ...podSecurityLabels({ enforce: 'restricted', warn: 'restricted', version: props.podSecurityVersion }),
        },
      },
    });

    // Every pod in the namespace, no traffic in or out unless another policy allows it.
    new kplus.NetworkPolicy(this, 'deny-all', {
      metadata: { name: TEAM_OBJECT_NAMES.denyAll, namespace: name },
      selector: kplus.Pods.all(this, 'all-pods'),
      ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
      egress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    });

    // Name lookups: to CoreDNS in kube-system, port 53 over UDP and TCP.
    const coreDns = kplus.Pods.select(this, 'core-dns', {
      labels: { 'k8s-app': 'kube-dns' },
      namespaces: kplus.Namespaces.select(this, 'kube-system', { names: ['kube-system'] }),
    });
    new kplus.NetworkPolicy(this, 'allow-dns', {
      metadata: { name: TEAM_OBJECT_NAMES.allowDns, namespace: name },
      selector: kplus.Pods.all(this, 'dns-clients'),
      egress: {
        rules: [{ peer: coreDns, ports: [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)] }],
      },
    });

    // Limits on memory are capped as well as requests: memory over-commit is what evicts pods.
    new k8s.KubeResourceQuota(this, 'quota', {
      metadata: { name: TEAM_OBJECT_NAMES.quota, namespace: name },
      spec: {
        hard: {
          'requests.cpu': k8s.Quantity.fromString(props.quota.cpu),
          'requests.memory': k8s.Quantity.fromString(props.quota.memory),
          'limits.memory': k8s.Quantity.fromString(props.quota.memory),
          pods: k8s.Quantity.fromNumber(props.quota.pods),
        },
      },
    });

    // The quota makes requests and memory limits mandatory; these fill them in when a container states none.
    new k8s.KubeLimitRange(this, 'limit-range', {
      metadata: { name: TEAM_OBJECT_NAMES.limitRange, namespace: name },
      spec: {
        limits: [
          {
            type: 'Container',
            default: { cpu: k8s.Quantity.fromString(defaults.cpu), memory: k8s.Quantity.fromString(defaults.memory) },
            defaultRequest: { cpu: k8s.Quantity.fromString(defaults.cpu), memory: k8s.Quantity.fromString(defaults.memory) },
          },
        ],
      },
    });

    // A RoleBinding (not a ClusterRoleBinding) to the built-in `edit` ClusterRole: edit in this namespace only.
    new k8s.KubeRoleBinding(this, 'edit', {
      metadata: { name: TEAM_OBJECT_NAMES.editBinding, namespace: name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: props.group }],
    });
  }
}
