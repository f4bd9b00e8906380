/**
 * cluster-autoscaler for EKS: discovers the cluster's auto-scaling groups by tag and calls AWS
 * through an IRSA role. RBAC is the least the autoscaler needs: cluster-wide reads of what it
 * simulates, node updates for its taints, evictions and events; its status ConfigMap and its
 * leader-election Lease live in a Role in its own namespace. No access to Secrets.
 */
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { matchesClusterMinor } from '../config/kubernetes-rules';
import { platformDeployment } from './platform-deployment';
import { RESTRICTED_CONTAINER_SECURITY } from './security-contexts';

const { k8s } = kplus;

export interface ClusterAutoscalerProps {
  /** Namespace to run in; it must exist. */
  readonly namespace: string;
  /** cluster-autoscaler version, e.g. `1.35.2`; its minor must equal the cluster's. */
  readonly version: string;
  /** Digest of the version's image, `sha256:…`; the image is pulled by tag and digest. */
  readonly digest: string;
  /** Kubernetes minor version of the cluster, e.g. `1.31`. */
  readonly kubernetesVersion: string;
  /** EKS cluster name, in the auto-discovery tag. */
  readonly clusterName: string;
  /** AWS region of the cluster. */
  readonly region: string;
  /** ARN of the IAM role the service account assumes (IRSA). */
  readonly roleArn: string;
  /**
   * Object name of the service account, deployment and RBAC.
   * @default 'cluster-autoscaler'
   */
  readonly name?: string;
  /**
   * Image repository; the tag is `v<version>`.
   * @default 'registry.k8s.io/autoscaling/cluster-autoscaler'
   */
  readonly imageRepository?: string;
  /**
   * Replicas; more than one only stand by, through leader election.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Run on the system node group.
   * @default false
   */
  readonly systemNodes?: boolean;
}

/** Port of the metrics and health-check endpoint (`--address`). */
const METRICS_PORT = 8085;

export class ClusterAutoscaler extends Construct {
  public readonly serviceAccount: kplus.ServiceAccount;
  public readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, props: ClusterAutoscalerProps) {
    super(scope, id);
    const name = props.name ?? 'cluster-autoscaler';
    const imageRepository = props.imageRepository ?? 'registry.k8s.io/autoscaling/cluster-autoscaler';
    const replicas = props.replicas ?? 1;
    if (!/^\d+\.\d+\.\d+$/.test(props.version)) throw new Error(`cluster-autoscaler version "${props.version}" must look like 1.31.1`);
    if (!matchesClusterMinor(props.version, props.kubernetesVersion)) {
      throw new Error(`cluster-autoscaler ${props.version} does not match Kubernetes ${props.kubernetesVersion}; their minors must be equal`);
    }
    if (!/^sha256:[0-9a-f]{64}$/.test(props.digest)) throw new Error(`cluster-autoscaler digest "${props.digest}" must look like sha256:<64 hex digits>`);
    if (!/^arn:aws:iam::\d{12}:role\/.+$/.test(props.roleArn)) throw new Error(`"${props.roleArn}" is not an IAM role ARN`);
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`cluster-autoscaler replicas must be a positive integer, got ${replicas}`);
    const labels = { 'app.kubernetes.io/name': name };
    const namespace = props.namespace;
    const rbacGroup = 'rbac.authorization.k8s.io';

    this.serviceAccount = new kplus.ServiceAccount(this, 'service-account', {
      metadata: { name, namespace, labels, annotations: { 'eks.amazonaws.com/role-arn': props.roleArn } },
      // The pod mounts its token itself; other pods using this account get none.
      automountToken: false,
    });
    const subjects = [{ kind: 'ServiceAccount', name, namespace }];

    new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name, labels },
      rules: [
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
        { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
        // Reads the nodes, and taints the ones it is about to remove.
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
        {
          apiGroups: [''],
          resources: ['namespaces', 'pods', 'services', 'replicationcontrollers', 'persistentvolumeclaims', 'persistentvolumes'],
          verbs: ['get', 'list', 'watch'],
        },
        { apiGroups: ['apps'], resources: ['daemonsets', 'replicasets', 'statefulsets'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: ['get', 'list', 'watch'] },
        // Since 1.34 the autoscaler's informers also watch dynamic resource allocation objects.
        { apiGroups: ['resource.k8s.io'], resources: ['deviceclasses', 'resourceclaims', 'resourceslices'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['get', 'list', 'watch'] },
        {
          apiGroups: ['storage.k8s.io'],
          resources: ['csidrivers', 'csinodes', 'csistoragecapacities', 'storageclasses', 'volumeattachments'],
          verbs: ['get', 'list', 'watch'],
        },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { name, labels },
      roleRef: { apiGroup: rbacGroup, kind: 'ClusterRole', name },
      subjects,
    });

    // `create` cannot be limited to a name; everything else is limited to the autoscaler's own objects.
    new k8s.KubeRole(this, 'role', {
      metadata: { name, namespace, labels },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['cluster-autoscaler-status'], verbs: ['get', 'update', 'delete'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['cluster-autoscaler'], verbs: ['get', 'update'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'role-binding', {
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: rbacGroup, kind: 'Role', name },
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
          command: ['/cluster-autoscaler'],
          args: [
            '--cloud-provider=aws',
            `--namespace=${namespace}`,
            `--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/${props.clusterName}`,
            // No --balance-similar-node-groups: each node group spans every AZ, so there are no
            // per-AZ twins to balance (EKS balances a group's instances across its subnets).
            '--skip-nodes-with-system-pods=false',
            // Pods with emptyDir (metrics-server's /tmp, most sidecars) would otherwise pin nodes forever.
            '--skip-nodes-with-local-storage=false',
            '--expander=least-waste',
            `--address=:${METRICS_PORT}`,
          ],
          envVariables: { AWS_REGION: kplus.EnvValue.fromValue(props.region) },
          // `ports`, not `portNumber`: the latter would add a startup probe of the library's choosing.
          ports: [{ name: 'http-metrics', number: METRICS_PORT, protocol: kplus.Protocol.TCP }],
          liveness: kplus.Probe.fromHttpGet('/health-check', {
            port: METRICS_PORT,
            scheme: kplus.ConnectionScheme.HTTP,
            initialDelaySeconds: Duration.seconds(30),
            periodSeconds: Duration.seconds(10),
            timeoutSeconds: Duration.seconds(5),
            failureThreshold: 3,
          }),
          resources: {
            cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(1000) },
            memory: { request: Size.mebibytes(600), limit: Size.mebibytes(600) },
          },
          securityContext: RESTRICTED_CONTAINER_SECURITY,
        },
      ],
    });
  }
}
