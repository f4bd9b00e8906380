/**
 * Keeps the platform's own objects out of the teams' hands. Teams hold `edit` in their namespace,
 * which includes NetworkPolicies; without this a team could delete its default-deny. A
 * ValidatingAdmissionPolicy refuses creating, changing or deleting any object labelled as
 * Goliath's unless the request comes from the platform deployers' group (the deploy role and the
 * admins, mapped by KARR's access entries) or from the control plane itself (namespace deletion,
 * garbage collection).
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

export class PlatformGuard extends Construct {
  public readonly policyName: string;

  constructor(scope: Construct, id: string, props: PlatformGuardProps) {
    super(scope, id);
    const name = props.name ?? 'goliath-platform-objects';
    this.policyName = name;
    const { key, value } = props.label;
    const labels = { [key]: value };
    const marked = (obj: string) => `(${obj} != null && ${obj}.metadata.?labels[?'${key}'].orValue('') == '${value}')`;

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
          { name: 'not-a-platform-deployer', expression: `!request.userInfo.groups.exists(g, g == '${props.deployersGroup}' || g == 'system:masters')` },
          {
            // Control-plane users (system:kube-controller-manager, ...) and kube-system's
            // controllers clean up after a namespace deletion; team service accounts stay guarded.
            name: 'not-the-control-plane',
            expression:
              "!(request.userInfo.username.startsWith('system:') && !request.userInfo.username.startsWith('system:serviceaccount:')) && !request.userInfo.username.startsWith('system:serviceaccount:kube-system:')",
          },
        ],
        validations: [
          {
            expression: `!${marked('oldObject')} && !${marked('object')}`,
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
