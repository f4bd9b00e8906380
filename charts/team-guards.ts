/**
 * What a team's `edit` role allows but the platform does not: ValidatingAdmissionPolicies in the
 * team namespaces, each bound to the teams whose config does not allow the thing.
 *
 * - an open NetworkPolicy: a rule that lets every address in or out on every port (no peers, or
 *   a peer of 0.0.0.0/0 or ::/0, and no ports), which would undo the namespace's default-deny
 *   (`allowOpenNetworkPolicies`);
 * - an internet-facing LoadBalancer Service: the public subnets are tagged for load balancers, so
 *   a LoadBalancer Service is internet-facing unless annotated internal
 *   (`allowPublicLoadBalancers`);
 * - a pod of a `system-` priority class (`system-cluster-critical`, `system-node-critical`), which
 *   would preempt the platform's own pods (`allowSystemPriority`).
 *
 * Platform deployers are exempt, so the deploy and the admins can still do any of it.
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { celNotADeployer } from './platform-guard';

/** A team and what its config allows beyond the default. */
interface TeamAllowances {
  /** The team's namespace. */
  readonly name: string;
  /** @default false */
  readonly allowOpenNetworkPolicies?: boolean;
  /** @default false */
  readonly allowPublicLoadBalancers?: boolean;
  /** @default false */
  readonly allowSystemPriority?: boolean;
}

export interface TeamGuardsProps {
  /** The teams, each bound to the guards its config does not waive. */
  readonly teams: readonly TeamAllowances[];
  /** The Kubernetes group of the platform deployers, exempt from the guards. */
  readonly deployersGroup: string;
  /** Labels on the policies and bindings. */
  readonly labels: Readonly<Record<string, string>>;
}

/** `rules` of the peers (`from` or `to`) of a NetworkPolicy rule list: does one admit everything? */
function openRule(rules: string, peers: string): string {
  const everyAddress = `(!has(r.${peers}) || size(r.${peers}) == 0 || r.${peers}.exists(p, has(p.ipBlock) && p.ipBlock.cidr in ['0.0.0.0/0', '::/0']))`;
  return `(has(object.spec.${rules}) && object.spec.${rules}.exists(r, ${everyAddress} && (!has(r.ports) || size(r.ports) == 0)))`;
}

/** The annotations that make a LoadBalancer Service internal (AWS Load Balancer Controller, and the in-tree provider). */
const INTERNAL = [
  ['service.beta.kubernetes.io/aws-load-balancer-scheme', 'internal'],
  ['service.beta.kubernetes.io/aws-load-balancer-internal', 'true'],
] as const;

const annotated = ([key, value]: readonly [string, string]) =>
  `('${key}' in object.metadata.annotations && object.metadata.annotations['${key}'] == '${value}')`;

/** Each guard: what it matches, what it requires, and the team option that waives it. */
const GUARDS = [
  {
    name: 'goliath-team-open-network-policies',
    option: 'allowOpenNetworkPolicies',
    rule: { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'] },
    expression: `!${openRule('ingress', 'from')} && !${openRule('egress', 'to')}`,
    message:
      "a team's NetworkPolicy must name its peers or its ports: a rule open to every address on every port undoes the namespace's default-deny (the team's allowOpenNetworkPolicies waives this)",
  },
  {
    name: 'goliath-team-public-load-balancers',
    option: 'allowPublicLoadBalancers',
    rule: { apiGroups: [''], resources: ['services'] },
    expression: `!(has(object.spec.type) && object.spec.type == 'LoadBalancer') || (has(object.metadata.annotations) && (${INTERNAL.map(annotated).join(' || ')}))`,
    message: `a team's LoadBalancer Service must be internal (annotate it ${INTERNAL.map(([k, v]) => `${k}: ${v}`).join(' or ')}); the team's allowPublicLoadBalancers waives this`,
  },
  {
    name: 'goliath-team-system-priority',
    option: 'allowSystemPriority',
    rule: { apiGroups: [''], resources: ['pods'] },
    expression: "!has(object.spec.priorityClassName) || !object.spec.priorityClassName.startsWith('system-')",
    message: "system- priority classes are the platform's; a team's pods may not use them (the team's allowSystemPriority waives this)",
  },
] as const;

export class TeamGuards extends Construct {
  constructor(scope: Construct, id: string, props: TeamGuardsProps) {
    super(scope, id);
    const labels = { ...props.labels };
    for (const guard of GUARDS) {
      const guarded = props.teams.filter((team) => !team[guard.option]).map((team) => team.name);
      if (guarded.length === 0) continue;
      new ApiObject(this, guard.name, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: guard.name, labels },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              { apiGroups: [...guard.rule.apiGroups], apiVersions: ['*'], resources: [...guard.rule.resources], operations: ['CREATE', 'UPDATE'] },
            ],
          },
          matchConditions: [{ name: 'not-a-platform-deployer', expression: celNotADeployer(props.deployersGroup) }],
          validations: [{ expression: guard.expression, message: guard.message, reason: 'Forbidden' }],
        },
      });
      new ApiObject(this, `${guard.name}-binding`, {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: guard.name, labels },
        spec: {
          policyName: guard.name,
          validationActions: ['Deny'],
          matchResources: { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: guarded }] } },
        },
      });
    }
  }
}
