/**
 * Network policies of the platform namespace: everything denied, then what each add-on needs.
 * The VPC CNI's network policy agent enforces them (KARR switches it on).
 *
 * - every pod: DNS to CoreDNS;
 * - cluster-autoscaler: HTTPS out, to the API server and the AWS APIs (regional endpoints or
 *   interface endpoints, whose addresses are not known here);
 * - metrics-server: HTTPS out to the API server's ENIs (intra subnets), the kubelets' port on the
 *   nodes (private subnets), and its own port in from the API server's ENIs.
 *
 * Every add-on that talks to the API is also let out to the `kubernetes` Service's ClusterIP on
 * 443: clients dial that address, and the VPC CNI's policy agent judges a packet before kube-proxy
 * translates it to the API server's ENIs.
 */
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';

const { k8s } = kplus;

export interface PlatformNetworkPolicyProps {
  /** The platform namespace. */
  readonly namespace: string;
  /** Intra subnet CIDRs, where the API server's ENIs live. */
  readonly controlPlaneCidrs: string[];
  /** Private subnet CIDRs, where the nodes live. */
  readonly nodeCidrs: string[];
  /** The `kubernetes` Service's ClusterIP, e.g. `172.20.0.1`. */
  readonly apiServerClusterIp: string;
  /** `app.kubernetes.io/name` of cluster-autoscaler's pods. */
  readonly clusterAutoscalerName: string;
  /** `app.kubernetes.io/name` of metrics-server's pods. */
  readonly metricsServerName: string;
}

/** Names of the platform namespace's policies. */
const PLATFORM_POLICY_NAMES = {
  denyAll: 'default-deny-all',
  allowDns: 'allow-dns-egress',
  clusterAutoscaler: 'cluster-autoscaler',
  metricsServer: 'metrics-server',
} as const;

const KUBELET_PORT = 10250;
const METRICS_SERVER_PORT = 10250;

export class PlatformNetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: PlatformNetworkPolicyProps) {
    super(scope, id);
    const { namespace } = props;
    const labels = { 'app.kubernetes.io/managed-by': 'goliath' };
    const tcp = (port: number) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
    const blocks = (cidrs: string[]) => cidrs.map((cidr) => ({ ipBlock: { cidr } }));
    const policy = (name: string, spec: kplus.k8s.NetworkPolicySpec) => new k8s.KubeNetworkPolicy(this, name, { metadata: { name, namespace, labels }, spec });
    const app = (name: string) => ({ matchLabels: { 'app.kubernetes.io/name': name } });
    const toApiService = { to: [{ ipBlock: { cidr: `${props.apiServerClusterIp}/32` } }], ports: [tcp(443)] };

    policy(PLATFORM_POLICY_NAMES.denyAll, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    policy(PLATFORM_POLICY_NAMES.allowDns, {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
          ],
          ports: [
            { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
            { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
          ],
        },
      ],
    });
    policy(PLATFORM_POLICY_NAMES.clusterAutoscaler, {
      podSelector: app(props.clusterAutoscalerName),
      policyTypes: ['Egress'],
      egress: [toApiService, { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [tcp(443)] }],
    });
    policy(PLATFORM_POLICY_NAMES.metricsServer, {
      podSelector: app(props.metricsServerName),
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: blocks(props.controlPlaneCidrs), ports: [tcp(METRICS_SERVER_PORT)] }],
      egress: [toApiService, { to: blocks(props.controlPlaneCidrs), ports: [tcp(443)] }, { to: blocks(props.nodeCidrs), ports: [tcp(KUBELET_PORT)] }],
    });
  }
}
