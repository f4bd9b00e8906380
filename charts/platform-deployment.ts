/**
 * A platform add-on's Deployment: every cdk8s-plus default spelled out (so the manifests do not
 * move when cdk8s-plus changes one), the restricted security context, and the few pod fields
 * cdk8s-plus-27 2.9.5 cannot express (seccomp profile, priority class, node selector,
 * tolerations), added by JSON patch.
 */
import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import type { Construct } from 'constructs';
import * as kplus from 'cdk8s-plus-27';
import { SYSTEM_NODE_LABEL, SYSTEM_NODE_TAINT } from '../config/naming';
import { RESTRICTED_POD_SECURITY } from './security-contexts';

/** Pod fields cdk8s-plus-27 has no property for. */
interface PodTemplateExtrasOptions {
  /** Priority class of the pods, e.g. `system-cluster-critical`. */
  readonly priorityClassName: string;
  /**
   * Run on the system node group: select its label and tolerate its taint.
   * @default false
   */
  readonly systemNodes?: boolean;
}

/**
 * Adds, by JSON patch on the synthesized Deployment: seccomp `RuntimeDefault` on the pod (which
 * Pod Security `restricted` requires), the priority class and a Linux node selector.
 */
function addPodTemplateExtras(deployment: kplus.Deployment, options: PodTemplateExtrasOptions): void {
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    JsonPatch.add('/spec/template/spec/priorityClassName', options.priorityClassName),
    JsonPatch.add('/spec/template/spec/nodeSelector', {
      'kubernetes.io/os': 'linux',
      ...(options.systemNodes ? { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value } : {}),
    }),
  );
  if (options.systemNodes) {
    ApiObject.of(deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/tolerations', [
        { key: SYSTEM_NODE_TAINT.key, operator: 'Equal', value: SYSTEM_NODE_TAINT.value, effect: 'NoSchedule' },
      ]),
    );
  }
}

export interface PlatformDeploymentProps {
  /** Name of the Deployment and its `app.kubernetes.io/name`. */
  readonly name: string;
  /** Namespace of the Deployment. */
  readonly namespace: string;
  /** Labels on the Deployment and its pods; also its fixed selector. */
  readonly labels: Record<string, string>;
  /** Number of pods. */
  readonly replicas: number;
  /** Identity of the pods. */
  readonly serviceAccount: kplus.IServiceAccount;
  /** The containers, each with RESTRICTED_CONTAINER_SECURITY. */
  readonly containers: kplus.ContainerProps[];
  /**
   * Run on the system node group (tainted CriticalAddonsOnly), when the cluster has one.
   * @default false
   */
  readonly systemNodes?: boolean;
}

/**
 * A platform add-on's Deployment with every cdk8s-plus default spelled out, the restricted pod
 * security context, a fixed selector (a Deployment's selector cannot change after creation) and
 * the pod fields of `addPodTemplateExtras`.
 */
export function platformDeployment(scope: Construct, id: string, props: PlatformDeploymentProps): kplus.Deployment {
  const { name, namespace, labels } = props;
  const deployment = new kplus.Deployment(scope, id, {
    metadata: { name, namespace, labels },
    podMetadata: { labels },
    select: false,
    spread: false,
    replicas: props.replicas,
    strategy: kplus.DeploymentStrategy.rollingUpdate({
      maxSurge: kplus.PercentOrAbsolute.absolute(1),
      maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
    }),
    minReady: Duration.seconds(0),
    progressDeadline: Duration.seconds(600),
    serviceAccount: props.serviceAccount,
    automountServiceAccountToken: true,
    isolate: false,
    hostNetwork: false,
    restartPolicy: kplus.RestartPolicy.ALWAYS,
    terminationGracePeriod: Duration.seconds(30),
    dns: { policy: kplus.DnsPolicy.CLUSTER_FIRST, hostnameAsFQDN: false },
    securityContext: RESTRICTED_POD_SECURITY,
    containers: props.containers,
  });
  deployment.select(kplus.LabelSelector.of({ labels }));
  addPodTemplateExtras(deployment, { priorityClassName: 'system-cluster-critical', systemNodes: props.systemNodes });
  return deployment;
}
