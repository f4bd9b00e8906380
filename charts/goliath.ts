/**
 * Goliath: everything applied to the Kubernetes API to make it a platform.
 *
 * - the platform namespace (Pod Security `restricted` enforced) with cluster-autoscaler and
 *   metrics-server in it;
 * - one namespace per team (`restricted` enforced), each with default-deny network policies,
 *   DNS let out, a quota, container defaults and edit rights for the team's group;
 * - cluster-wide read-only access for the viewers group (its IAM roles mapped by KARR);
 * - the platform namespace's own default-deny and the allows its add-ons need;
 * - a ValidatingAdmissionPolicy keeping teams off the platform's objects, and others refusing
 *   what would undo the platform in a team namespace (open network policies, internet-facing
 *   load balancers, system priority), unless the team's config allows it;
 * - the default StorageClass, encrypted gp3 on the EBS CSI driver.
 *
 * Object names are chosen here, not hashed, so they are stable across runs and releases.
 */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { GoliathInputs } from '../config/layer-inputs';
import { RESERVED_NAMESPACES } from '../config/kubernetes-rules';
import { MANAGED_BY, PLATFORM_DEPLOYERS_GROUP } from '../config/naming';
import { ClusterAutoscaler } from './cluster-autoscaler';
import { EbsStorage } from './ebs-storage';
import { podSecurityLabels } from './pod-security-labels';
import { MetricsServer } from './metrics-server';
import { PlatformGuard } from './platform-guard';
import { PlatformNetworkPolicies } from './platform-network';
import { TeamGuards } from './team-guards';
import { TeamNamespace } from './team-namespace';

/** Name of the ClusterRoleBinding giving the viewers group read-only access. */
const VIEWERS_BINDING_NAME = 'platform-viewers';

export class GoliathChart extends Chart {
  constructor(scope: Construct, id: string, props: GoliathInputs) {
    // Every object carries the label the platform guard protects.
    super(scope, id, { disableResourceNameHashes: true, labels: { [MANAGED_BY.key]: MANAGED_BY.value } });
    const { platformNamespace, teams, karr } = props;
    const podSecurityVersion = `v${props.kubernetesVersion}`;

    // The config loader checks these too; a chart built from hand-made props must not skip them.
    const seen = new Set<string>([platformNamespace]);
    if (RESERVED_NAMESPACES.has(platformNamespace)) throw new Error(`platform namespace "${platformNamespace}" is one Kubernetes owns`);
    for (const team of teams) {
      if (RESERVED_NAMESPACES.has(team.name) || seen.has(team.name)) {
        throw new Error(`team "${team.name}" clashes with the platform namespace, another team or a Kubernetes namespace`);
      }
      seen.add(team.name);
    }

    new kplus.Namespace(this, 'platform', {
      metadata: {
        name: platformNamespace,
        labels: {
          'app.kubernetes.io/managed-by': 'goliath',
          ...podSecurityLabels({ enforce: 'restricted', warn: 'restricted', version: podSecurityVersion }),
        },
      },
    });

    for (const team of teams) {
      new TeamNamespace(this, `team-${team.name}`, {
        name: team.name,
        group: team.group,
        quota: team.quota,
        defaults: team.defaults,
        podSecurityVersion,
      });
    }

    new kplus.k8s.KubeClusterRoleBinding(this, 'viewers', {
      metadata: { name: VIEWERS_BINDING_NAME, labels: { 'app.kubernetes.io/managed-by': 'goliath' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: props.viewersGroup }],
    });

    new PlatformNetworkPolicies(this, 'platform-network', {
      namespace: platformNamespace,
      controlPlaneCidrs: props.controlPlaneCidrs,
      nodeCidrs: props.nodeCidrs,
      apiServerClusterIp: props.apiServerClusterIp,
      clusterAutoscalerName: 'cluster-autoscaler',
      metricsServerName: 'metrics-server',
    });
    new PlatformGuard(this, 'platform-guard', { deployersGroup: PLATFORM_DEPLOYERS_GROUP, label: MANAGED_BY });
    new TeamGuards(this, 'team-guards', { teams, deployersGroup: PLATFORM_DEPLOYERS_GROUP, labels: { [MANAGED_BY.key]: MANAGED_BY.value } });
    new EbsStorage(this, 'ebs-storage');

    const { systemNodes } = props;
    new ClusterAutoscaler(this, 'cluster-autoscaler', {
      namespace: platformNamespace,
      version: props.clusterAutoscalerImage.version,
      digest: props.clusterAutoscalerImage.digest,
      kubernetesVersion: props.kubernetesVersion,
      clusterName: karr.clusterName,
      region: props.region,
      roleArn: karr.irsaRoleArns['cluster-autoscaler'],
      systemNodes,
    });

    new MetricsServer(this, 'metrics-server', {
      namespace: platformNamespace,
      version: props.metricsServerImage.version,
      digest: props.metricsServerImage.digest,
      systemNodes,
    });
  }
}
