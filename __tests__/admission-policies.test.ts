/**
 * The chart's ValidatingAdmissionPolicies, run as the API server runs them: admission requests
 * against the synthesized policies and bindings, their CEL evaluated by @bufbuild/cel. The guard
 * keeps teams off platform objects but lets the control plane (EKS's network-policy controller
 * included) do its work; the team guards refuse what would undo the platform in a team namespace
 * unless the team's config allows it.
 */
import { parse } from '@bufbuild/cel';
import { loadEnvironment, type Environment } from '../config/load';
import { PLATFORM_DEPLOYERS_GROUP } from '../config/naming';
import { type K8sObject, parseManifests } from '../bdda/diff/kubernetes-diff';
import { synthesizeGoliath } from '../bdda/workflow/synth-apps';
import { admit, type AdmissionRequest } from './support/admission';
import { REPO_ROOT } from './support/scratch';

const env = loadEnvironment(REPO_ROOT, 'stg1');
const chart = parseManifests(synthesizeGoliath(env));
const [payments, search] = env.config.platform.teams;
const teamMember = { username: 'alice', groups: [payments.group, 'system:authenticated'] };
const deployer = { username: 'arn:aws:sts::210987654321:assumed-role/deploy/ci', groups: [PLATFORM_DEPLOYERS_GROUP, 'system:authenticated'] };

function find(kind: string, namespace: string | undefined, name: string): K8sObject {
  const found = chart.find((o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name);
  if (!found) throw new Error(`the chart has no ${kind} ${namespace ?? ''}/${name}`);
  return found;
}

const policyRequest = (user: AdmissionRequest['user'], operation: AdmissionRequest['operation'], object: unknown, oldObject: unknown, namespace = 'platform') =>
  ({ operation, group: 'networking.k8s.io', resource: 'networkpolicies', namespace, user, object, oldObject }) as const;

describe('the CEL evaluator', () => {
  test('parses every expression of every policy in the chart', () => {
    const expressions = chart
      .filter((o) => o.kind === 'ValidatingAdmissionPolicy')
      .flatMap((o) => {
        const spec = o.spec as { matchConditions?: Array<{ expression: string }>; validations: Array<{ expression: string }> };
        return [...(spec.matchConditions ?? []), ...spec.validations].map((e) => e.expression);
      });
    expect(expressions.length).toBeGreaterThan(4);
    for (const expression of expressions) expect(() => parse(expression)).not.toThrow();
  });
});

describe("the guard on the platform's objects", () => {
  const denyAll = find('NetworkPolicy', 'platform', 'default-deny-all');
  const withFinalizer = { ...denyAll, metadata: { ...denyAll.metadata, finalizers: ['networking.k8s.aws/resources'] } };

  test("EKS's network-policy controller may add its finalizer to a platform NetworkPolicy", () => {
    const controller = { username: 'eks:network-policy-controller', groups: ['system:authenticated'] };
    expect(admit(chart, policyRequest(controller, 'UPDATE', withFinalizer, denyAll))).toEqual({ allowed: true, refusals: [] });
  });

  test("a team may not delete a platform policy, not even its own namespace's default-deny", () => {
    const teamDenyAll = find('NetworkPolicy', payments.name, 'default-deny-all');
    for (const target of [denyAll, teamDenyAll]) {
      const result = admit(chart, policyRequest(teamMember, 'DELETE', null, target, target.metadata.namespace));
      expect(result.allowed).toBe(false);
      expect(result.refusals).toEqual([
        expect.stringMatching(/^goliath-platform-objects: objects labelled app.kubernetes.io\/managed-by=goliath belong to the platform/),
      ]);
    }
  });

  test('a platform deployer may change one', () => {
    const changed = { ...denyAll, spec: { ...(denyAll.spec as object), policyTypes: ['Ingress'] } };
    expect(admit(chart, policyRequest(deployer, 'UPDATE', changed, denyAll)).allowed).toBe(true);
  });

  test('the named kube-system controllers may do their work; other kube-system service accounts may not', () => {
    const sa = (name: string) => ({
      username: `system:serviceaccount:kube-system:${name}`,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'],
    });
    expect(admit(chart, policyRequest(sa('namespace-controller'), 'DELETE', null, denyAll)).allowed).toBe(true);
    expect(admit(chart, policyRequest(sa('generic-garbage-collector'), 'UPDATE', denyAll, withFinalizer)).allowed).toBe(true);
    const deployment = find('Deployment', 'platform', 'metrics-server');
    const revised = { ...deployment, metadata: { ...deployment.metadata, annotations: { 'deployment.kubernetes.io/revision': '2' } } };
    const deploymentRequest = { ...policyRequest(sa('deployment-controller'), 'UPDATE', revised, deployment), group: 'apps', resource: 'deployments' };
    expect(admit(chart, deploymentRequest).allowed).toBe(true);
    expect(admit(chart, policyRequest(sa('aws-node'), 'DELETE', null, denyAll)).allowed).toBe(false);
  });

  test("a team's own objects are the team's", () => {
    const own = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web', namespace: payments.name }, spec: { podSelector: {} } };
    expect(admit(chart, policyRequest(teamMember, 'CREATE', own, null, payments.name)).allowed).toBe(true);
  });
});

describe('the team guards', () => {
  const networkPolicy = (spec: object) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'mine', namespace: payments.name },
    spec,
  });
  const service = (type: string, annotations?: Record<string, string>, namespace = payments.name) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace, ...(annotations ? { annotations } : {}) },
    spec: { type, ports: [{ port: 443, targetPort: 8443 }], selector: { app: 'web' } },
  });
  const create = (resource: string, group: string, object: { metadata: { namespace: string } }, user = teamMember): AdmissionRequest => ({
    operation: 'CREATE',
    group,
    resource,
    namespace: object.metadata.namespace,
    user,
    object,
    oldObject: null,
  });

  test('an allow-all NetworkPolicy beside default-deny is refused', () => {
    for (const spec of [
      { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] },
      { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] },
    ]) {
      const result = admit(chart, create('networkpolicies', 'networking.k8s.io', networkPolicy(spec)));
      expect(result.refusals).toEqual([expect.stringMatching(/^goliath-team-open-network-policies: a team's NetworkPolicy must name its peers or its ports/)]);
    }
  });

  test('NetworkPolicies that name their peers or ports are the team’s to write', () => {
    for (const spec of [
      { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] }] },
      { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }] }] },
    ]) {
      expect(admit(chart, create('networkpolicies', 'networking.k8s.io', networkPolicy(spec))).allowed).toBe(true);
    }
  });

  test('an internet-facing LoadBalancer Service is refused; an internal one or a ClusterIP is not', () => {
    expect(admit(chart, create('services', '', service('LoadBalancer'))).refusals).toEqual([
      expect.stringMatching(/^goliath-team-public-load-balancers: a team's LoadBalancer Service must be internal/),
    ]);
    expect(admit(chart, create('services', '', service('LoadBalancer', { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal' }))).allowed).toBe(
      true,
    );
    expect(admit(chart, create('services', '', service('LoadBalancer', { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' }))).allowed).toBe(
      true,
    );
    expect(admit(chart, create('services', '', service('ClusterIP'))).allowed).toBe(true);
    expect(admit(chart, create('services', '', service('LoadBalancer'), deployer)).allowed).toBe(true);
  });

  test("a team's pod of system-cluster-critical priority is refused, whoever creates it", () => {
    const pod = (priorityClassName?: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: payments.name },
      spec: { containers: [{ name: 'web', image: 'web:1' }], ...(priorityClassName ? { priorityClassName } : {}) },
    });
    const replicaSetController = { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts'] };
    expect(admit(chart, create('pods', '', pod('system-cluster-critical'), replicaSetController)).refusals).toEqual([
      expect.stringMatching(/^goliath-team-system-priority: /),
    ]);
    expect(admit(chart, create('pods', '', pod('system-node-critical'))).allowed).toBe(false);
    expect(admit(chart, create('pods', '', pod('team-high'))).allowed).toBe(true);
    expect(admit(chart, create('pods', '', pod())).allowed).toBe(true);
  });

  test('a team whose config allows a thing may do it; the other teams still may not', () => {
    const withOptions: Environment = {
      ...env,
      config: {
        ...env.config,
        platform: {
          ...env.config.platform,
          teams: [payments, { ...search, allowPublicLoadBalancers: true, allowOpenNetworkPolicies: true, allowSystemPriority: true }],
        },
      },
    };
    const optioned = parseManifests(synthesizeGoliath(withOptions));
    expect(admit(optioned, create('services', '', service('LoadBalancer', undefined, search.name))).allowed).toBe(true);
    expect(admit(optioned, create('services', '', service('LoadBalancer', undefined, payments.name))).allowed).toBe(false);
    const openInSearch = { ...networkPolicy({ podSelector: {}, ingress: [{}] }), metadata: { name: 'open', namespace: search.name } };
    expect(admit(optioned, create('networkpolicies', 'networking.k8s.io', openInSearch)).allowed).toBe(true);

    // With every team allowed, no guard of that kind is left in the chart.
    const allAllowed = parseManifests(
      synthesizeGoliath({
        ...withOptions,
        config: {
          ...withOptions.config,
          platform: { ...withOptions.config.platform, teams: withOptions.config.platform.teams.map((t) => ({ ...t, allowSystemPriority: true })) },
        },
      }),
    );
    expect(allAllowed.filter((o) => o.metadata.name === 'goliath-team-system-priority')).toEqual([]);
  });
});
