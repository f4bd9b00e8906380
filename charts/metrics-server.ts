/**
 * metrics-server: serves `metrics.k8s.io` (what `kubectl top` and HorizontalPodAutoscalers read)
 * by scraping the kubelets. Its RBAC is the upstream set: read nodes, pods and node metrics;
 * delegate authentication and authorization to the API server; read the API server's
 * authentication ConfigMap in kube-system. Runs two replicas spread over nodes, with a budget.
 */
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { platformDeployment } from './platform-deployment';
import { RESTRICTED_CONTAINER_SECURITY } from './security-contexts';

const { k8s } = kplus;

export interface MetricsServerProps {
  /** Namespace to run in; it must exist. */
  readonly namespace: string;
  /** metrics-server version, e.g. `0.8.0`. */
  readonly version: string;
  /** Digest of the version's image, `sha256:…`; the image is pulled by tag and digest. */
  readonly digest: string;
  /**
   * Run on the system node group.
   * @default false
   */
  readonly systemNodes?: boolean;
  /**
   * Image repository; the tag is `v<version>`.
   * @default 'registry.k8s.io/metrics-server/metrics-server'
   */
  readonly imageRepository?: string;
  /**
   * Replicas. With more than one, a PodDisruptionBudget keeps one serving through drains.
   * @default 2
   */
  readonly replicas?: number;
}

/** The port metrics-server serves on; 10250 is what EKS security groups allow from the control plane. */
const SECURE_PORT = 10250;
const RBAC = 'rbac.authorization.k8s.io';

export class MetricsServer extends Construct {
  public readonly serviceAccount: kplus.ServiceAccount;
  public readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, props: MetricsServerProps) {
    super(scope, id);
    const name = 'metrics-server';
    const imageRepository = props.imageRepository ?? 'registry.k8s.io/metrics-server/metrics-server';
    const replicas = props.replicas ?? 2;
    if (!/^\d+\.\d+\.\d+$/.test(props.version)) throw new Error(`metrics-server version "${props.version}" must look like 0.7.2`);
    if (!/^sha256:[0-9a-f]{64}$/.test(props.digest)) throw new Error(`metrics-server digest "${props.digest}" must look like sha256:<64 hex digits>`);
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`metrics-server replicas must be a positive integer, got ${replicas}`);
    const namespace = props.namespace;
    const labels = { 'app.kubernetes.io/name': name };

    this.serviceAccount = new kplus.ServiceAccount(this, 'service-account', {
      metadata: { name, namespace, labels },
      automountToken: false,
    });
    const subjects = [{ kind: 'ServiceAccount', name, namespace }];

    // Lets admins, editors and viewers read metrics, through aggregation into the built-in roles.
    new k8s.KubeClusterRole(this, 'aggregated-metrics-reader', {
      metadata: {
        name: 'system:aggregated-metrics-reader',
        labels: {
          ...labels,
          'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
          'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
          'rbac.authorization.k8s.io/aggregate-to-view': 'true',
        },
      },
      rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch'] }],
    });
    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name: 'system:metrics-server', labels },
      rules: [
        { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
        { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { name: 'system:metrics-server', labels },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'system:metrics-server' },
      subjects,
    });
    new k8s.KubeClusterRoleBinding(this, 'auth-delegator', {
      metadata: { name: 'metrics-server:system:auth-delegator', labels },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects,
    });
    new k8s.KubeRoleBinding(this, 'auth-reader', {
      metadata: { name: 'metrics-server-auth-reader', namespace: 'kube-system', labels },
      roleRef: { apiGroup: RBAC, kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      subjects,
    });

    this.deployment = platformDeployment(this, 'deployment', {
      name,
      namespace,
      labels,
      replicas,
      serviceAccount: this.serviceAccount,
      systemNodes: props.systemNodes,
      containers: [
        {
          name,
          image: `${imageRepository}:v${props.version}@${props.digest}`,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: [
            '--cert-dir=/tmp',
            `--secure-port=${SECURE_PORT}`,
            '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
            '--kubelet-use-node-status-port',
            '--metric-resolution=15s',
          ],
          // `ports`, not `portNumber`: the latter would add a startup probe of the library's choosing.
          ports: [{ name: 'https', number: SECURE_PORT, protocol: kplus.Protocol.TCP }],
          liveness: kplus.Probe.fromHttpGet('/livez', {
            port: SECURE_PORT,
            scheme: kplus.ConnectionScheme.HTTPS,
            periodSeconds: Duration.seconds(10),
            timeoutSeconds: Duration.seconds(1),
            failureThreshold: 3,
          }),
          readiness: kplus.Probe.fromHttpGet('/readyz', {
            port: SECURE_PORT,
            scheme: kplus.ConnectionScheme.HTTPS,
            initialDelaySeconds: Duration.seconds(20),
            periodSeconds: Duration.seconds(10),
            timeoutSeconds: Duration.seconds(1),
            failureThreshold: 3,
          }),
          resources: {
            cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) },
            memory: { request: Size.mebibytes(200), limit: Size.mebibytes(400) },
          },
          securityContext: RESTRICTED_CONTAINER_SECURITY,
          // The root filesystem is read-only; serving certificates are written here.
          volumeMounts: [
            {
              path: '/tmp',
              volume: kplus.Volume.fromEmptyDir(this, 'tmp-dir', 'tmp-dir', { medium: kplus.EmptyDirMedium.DEFAULT, sizeLimit: Size.mebibytes(64) }),
            },
          ],
        },
      ],
    });
    if (replicas > 1) {
      // Prefer one replica per node, so a node loss does not take metrics away.
      this.deployment.scheduling.separate(kplus.Pods.select(this, 'replicas', { labels }), { topology: kplus.Topology.HOSTNAME, weight: 100 });
    }

    new kplus.Service(this, 'service', {
      metadata: { name, namespace, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'https', port: 443, targetPort: SECURE_PORT, protocol: kplus.Protocol.TCP }],
    }).selectLabel('app.kubernetes.io/name', name);

    if (replicas > 1) {
      new k8s.KubePodDisruptionBudget(this, 'disruption-budget', {
        metadata: { name, namespace, labels },
        // An unready replica may always be evicted, so a broken metrics-server never blocks a drain.
        spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: labels }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
      });
    }

    // The Kubernetes API routes metrics.k8s.io to the Service above. metrics-server's certificate
    // is self-signed, hence no CA bundle; the API server still authenticates to it by front proxy.
    new k8s.KubeApiService(this, 'api-service', {
      metadata: { name: 'v1beta1.metrics.k8s.io', labels },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        groupPriorityMinimum: 100,
        versionPriority: 100,
        insecureSkipTlsVerify: true,
        service: { name, namespace, port: 443 },
      },
    });
  }
}
