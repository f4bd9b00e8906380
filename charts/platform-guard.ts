/**
 * Keeps the platform's own objects out of the teams' hands. Teams hold `edit` in their namespace,
 * which includes NetworkPolicies; without this a team could delete its default-deny. A
 * ValidatingAdmissionPolicy refuses creating, changing or deleting any object labelled as
 * Goliath's unless the request comes from the platform deployers' group (the deploy role and the
 * admins, mapped by KARR's access entries), from the control plane's own users (`system:` users
 * that are not service accounts), or from one of the controllers named in `CONTROL_PLANE_USERS`.
 * Other kube-system service accounts, and every team's, stay guarded.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface PlatformGuardProps {
  /** The Kubernetes group allowed to change platform objects. */
  readonly deployersGroup: string;
  /** The label, key and value, that marks platform objects. */
  readonly label: { readonly key: string; readonly value: string };
  /**
   * Name of the policy and its binding.
   * @default 'goliath-platform-objects'
   */
  readonly name?: string;
}

/** What the guard covers: what `edit` could otherwise change in a team namespace, and RBAC. */
const GUARDED_RESOURCES = [
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'] },
  { apiGroups: [''], resources: ['resourcequotas', 'limitranges', 'serviceaccounts', 'configmaps', 'services'] },
  { apiGroups: ['apps'], resources: ['deployments'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'] },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'] },
] as const;

/** The controllers that change platform objects for their own reasons, by user name. */
const CONTROL_PLANE_USERS = [
  // Deletes every object of a namespace being deleted.
  'system:serviceaccount:kube-system:namespace-controller',
  // Deletes objects whose owner is gone, and clears their finalizers.
  'system:serviceaccount:kube-system:generic-garbage-collector',
  // Writes a Deployment's revision annotation.
  'system:serviceaccount:kube-system:deployment-controller',
  // EKS adds its finalizer to each NetworkPolicy before it enforces the policy.
  'eks:network-policy-controller',
] as const;

/** A CEL test that `obj` (`object` or `oldObject`, null on create or delete) carries the label `key=value`. */
function celHasLabel(obj: string, key: string, value: string): string {
  return `(${obj} != null && has(${obj}.metadata.labels) && '${key}' in ${obj}.metadata.labels && ${obj}.metadata.labels['${key}'] == '${value}')`;
}

/** A CEL test that the request does not come from a platform deployer (the group, or system:masters). */
export function celNotADeployer(deployersGroup: string): string {
  return `!request.userInfo.groups.exists(g, g == '${deployersGroup}' || g == 'system:masters')`;
}

export class PlatformGuard extends Construct {
  public readonly policyName: string;

  constructor(scope: Construct, id: string, props: PlatformGuardProps) {
    super(scope, id);
    const name = props.name ?? 'goliath-platform-objects';
    this.policyName = name;
    const { key, value } = props.label;
    const labels = { [key]: value };

    new ApiObject(this, 'policy', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name, labels },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: GUARDED_RESOURCES.map((rule) => ({
            apiGroups: [...rule.apiGroups],
            apiVersions: ['*'],
            resources: [...rule.resources],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
          })),
        },
        matchConditions: [
          { name: 'not-a-platform-deployer', expression: celNotADeployer(props.deployersGroup) },
          {
            name: 'not-the-control-plane',
            expression:
              "!(request.userInfo.username.startsWith('system:') && !request.userInfo.username.startsWith('system:serviceaccount:')) && " +
              `!(request.userInfo.username in [${CONTROL_PLANE_USERS.map((u) => `'${u}'`).join(', ')}])`,
          },
        ],
        validations: [
          {
            expression: `!${celHasLabel('oldObject', key, value)} && !${celHasLabel('object', key, value)}`,
            message: `objects labelled ${key}=${value} belong to the platform; change them through the platform's deploy`,
            reason: 'Forbidden',
          },
        ],
      },
    });

    new ApiObject(this, 'binding', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name, labels },
      spec: { policyName: name, validationActions: ['Deny'] },
    });
  }
}
