/**
 * Every policy rule bdda runs, one file each. Configuration rules run on each synthesis
 * (`npm run check`, plan); plan rules on each layer's typed plan. A new rule is a file under
 * configuration/ or plan/ and one line here.
 */
import type { Rule } from './rule';
import { clusterAdminBindings } from './configuration/cluster-admin-bindings';
import { clusterApiIngress } from './configuration/cluster-api-ingress';
import { defaultDenyNetworkPolicy } from './configuration/default-deny-network-policy';
import { defaultSecurityGroup } from './configuration/default-security-group';
import { ebsEncryption } from './configuration/ebs-encryption';
import { eksAccessEntries } from './configuration/eks-access-entries';
import { eksAdminAccess } from './configuration/eks-admin-access';
import { eksControlPlaneLogs } from './configuration/eks-control-plane-logs';
import { eksPrivateEndpoint } from './configuration/eks-private-endpoint';
import { eksSecretsEncryption } from './configuration/eks-secrets-encryption';
import { flowLogs } from './configuration/flow-logs';
import { imdsv2 } from './configuration/imdsv2';
import { interfaceEndpointIngress } from './configuration/interface-endpoint-ingress';
import { interfaceEndpoints } from './configuration/interface-endpoints';
import { irsaTrust } from './configuration/irsa-trust';
import { kmsKeyAdmins } from './configuration/kms-key-admins';
import { kmsKeyPolicy } from './configuration/kms-key-policy';
import { kmsKeyRotation } from './configuration/kms-key-rotation';
import { kmsKeySeparation } from './configuration/kms-key-separation';
import { logEncryption } from './configuration/log-encryption';
import { logKeyContext } from './configuration/log-key-context';
import { pinnedImages } from './configuration/pinned-images';
import { platformObjectGuard } from './configuration/platform-object-guard';
import { privateSubnets } from './configuration/private-subnets';
import { podSecurityLabels } from './configuration/pod-security-labels';
import { rbacWildcards } from './configuration/rbac-wildcards';
import { teamNamespaceBindings } from './configuration/team-namespace-bindings';
import { vpcCniNetworkPolicy } from './configuration/vpc-cni-network-policy';
import { workloadSecurityContext } from './configuration/workload-security-context';
import { iamWidening } from './plan/iam-widening';
import { kubernetesDataDelete } from './plan/kubernetes-data-delete';
import { openIngress } from './plan/open-ingress';
import { protectedDestroy } from './plan/protected-destroy';
import { publicApiEndpoint } from './plan/public-api-endpoint';

export const RULES: readonly Rule[] = [
  // FLAG and KARR
  flowLogs,
  privateSubnets,
  logEncryption,
  logKeyContext,
  kmsKeyRotation,
  kmsKeyPolicy,
  kmsKeySeparation,
  kmsKeyAdmins,
  eksSecretsEncryption,
  ebsEncryption,
  imdsv2,
  eksPrivateEndpoint,
  interfaceEndpoints,
  interfaceEndpointIngress,
  clusterApiIngress,
  eksControlPlaneLogs,
  eksAccessEntries,
  eksAdminAccess,
  irsaTrust,
  defaultSecurityGroup,
  vpcCniNetworkPolicy,
  // Goliath
  podSecurityLabels,
  defaultDenyNetworkPolicy,
  pinnedImages,
  clusterAdminBindings,
  teamNamespaceBindings,
  rbacWildcards,
  platformObjectGuard,
  workloadSecurityContext,
  // Plans
  protectedDestroy,
  iamWidening,
  openIngress,
  publicApiEndpoint,
  kubernetesDataDelete,
];

/** The rule of an id, or undefined. */
export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
