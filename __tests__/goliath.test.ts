/**
 * Property tests of the Goliath chart, for every shipped environment: each security control is
 * checked on the synthesized YAML against the environment's config, and every object is validated
 * against the Kubernetes OpenAPI schema (kubernetes-models).
 */
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { listEnvironments, loadEnvironment, type Environment } from '../config/load';
import { clusterAutoscalerImage, metricsServerImage } from '../config/eks-versions';
import { synthesizeGoliath } from '../bdda/workflow/synth-apps';
import { rbacWildcards } from '../policies/configuration/rbac-wildcards';
import type { SynthesizedEnvironment } from '../policies/rule';

const root = path.resolve(__dirname, '..');

type Json = any;
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: Json;
}
interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** apiVersion/kind → kubernetes-models module. A kind missing here fails the schema test. */
const MODELS: Record<string, string> = {
  'v1/Namespace': 'kubernetes-models/v1/Namespace',
  'v1/ServiceAccount': 'kubernetes-models/v1/ServiceAccount',
  'v1/Service': 'kubernetes-models/v1/Service',
  'v1/ResourceQuota': 'kubernetes-models/v1/ResourceQuota',
  'v1/LimitRange': 'kubernetes-models/v1/LimitRange',
  'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
  'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'rbac.authorization.k8s.io/v1/Role': 'kubernetes-models/rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
  'apiregistration.k8s.io/v1/APIService': 'kubernetes-models/apiregistration.k8s.io/v1/APIService',
  'storage.k8s.io/v1/StorageClass': 'kubernetes-models/storage.k8s.io/v1/StorageClass',
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': 'kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding',
};

/** Validates one object against its schema; throws on a schema violation or an unmapped kind. */
function validateAgainstSchema(obj: K8sObject): void {
  const module = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!module) throw new Error(`no kubernetes-models mapping for ${obj.apiVersion} ${obj.kind} (${obj.metadata?.name}); add one`);
  const Model = require(module)[obj.kind] as new (data: unknown) => { validate(): void };
  if (typeof Model !== 'function') throw new Error(`${module} exports no ${obj.kind}`);
  new Model(obj).validate();
}

function parseObjects(yamlText: string): K8sObject[] {
  const docs = parseAllDocuments(yamlText);
  if (!Array.isArray(docs)) throw new Error('the YAML stream did not parse');
  return docs
    .map((doc, i) => {
      if (doc.errors.length) throw new Error(`document ${i}: ${doc.errors[0].message}`);
      return doc.toJS() as K8sObject;
    })
    .filter((obj) => obj !== null);
}

const environments = listEnvironments(root).map((ref) => ref.path);

test('there are shipped environments to test', () => {
  expect(environments.length).toBeGreaterThan(0);
});

test('the schema check rejects an invalid object and an unmapped kind (it can fail)', () => {
  const broken: K8sObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'broken' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ image: 'x' }] } } },
  };
  expect(() => validateAgainstSchema(broken)).toThrow(/name/);
  expect(() => validateAgainstSchema({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toThrow(/no kubernetes-models mapping/);
});

describe.each(environments)('Goliath for %s', (envPath) => {
  let env: Environment;
  let yamlText: string;
  let objects: K8sObject[];

  beforeAll(() => {
    env = loadEnvironment(root, envPath);
    yamlText = synthesizeGoliath(env);
    objects = parseObjects(yamlText);
  });

  const ofKind = (kind: string, namespace?: string): K8sObject[] =>
    objects.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
  const one = (kind: string, name: string, namespace?: string): K8sObject => {
    const found = objects.filter((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
    if (found.length !== 1) throw new Error(`expected one ${kind} ${namespace ? `${namespace}/` : ''}${name}, found ${found.length}`);
    return found[0];
  };
  const teams = () => env.config.platform.teams;
  const platformNs = () => env.config.platform.namespace;
  const psaVersion = () => `v${env.config.kubernetes.version}`;

  test('synthesis is deterministic', () => {
    expect(synthesizeGoliath(env)).toBe(yamlText);
  });

  test('every object has a kind, a name and an identity of its own', () => {
    expect(objects.length).toBeGreaterThan(0);
    const keys = objects.map((o) => {
      expect(typeof o.apiVersion).toBe('string');
      expect(typeof o.kind).toBe('string');
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.:]*[a-z0-9])?$/);
      return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    });
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('every object is valid against the Kubernetes schema', () => {
    const failures: string[] = [];
    for (const obj of objects) {
      try {
        validateAgainstSchema(obj);
      } catch (e) {
        failures.push(`${obj.kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}: ${(e as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  test('namespaced objects live in namespaces the chart creates, or in kube-system', () => {
    const created = new Set(ofKind('Namespace').map((n) => n.metadata.name));
    expect([...created].sort()).toEqual([platformNs(), ...teams().map((t) => t.name)].sort());
    for (const obj of objects) {
      if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== 'kube-system') {
        expect(created).toContain(obj.metadata.namespace);
      }
    }
  });

  describe('Pod Security Admission', () => {
    const expectLevels = (ns: K8sObject, enforce: string): void => {
      const labels = ns.metadata.labels ?? {};
      expect(labels['pod-security.kubernetes.io/enforce']).toBe(enforce);
      expect(labels['pod-security.kubernetes.io/enforce-version']).toBe(psaVersion());
      expect(labels['pod-security.kubernetes.io/warn']).toBe('restricted');
      expect(labels['pod-security.kubernetes.io/warn-version']).toBe(psaVersion());
    };

    test('the platform namespace enforces and warns restricted', () => {
      expectLevels(one('Namespace', platformNs()), 'restricted');
    });

    test('every team namespace enforces and warns restricted', () => {
      for (const team of teams()) expectLevels(one('Namespace', team.name), 'restricted');
    });
  });

  describe('team namespaces', () => {
    const isEmptySelector = (sel: Json): boolean =>
      sel !== undefined && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;

    test('a default-deny policy covers every pod, both ways', () => {
      for (const team of teams()) {
        const denyAll = ofKind('NetworkPolicy', team.name).filter(
          (p) =>
            isEmptySelector(p.spec.podSelector) &&
            p.spec.policyTypes?.includes('Ingress') &&
            p.spec.policyTypes?.includes('Egress') &&
            (p.spec.ingress ?? []).length === 0 &&
            (p.spec.egress ?? []).length === 0,
        );
        expect({ team: team.name, denyAll: denyAll.length }).toEqual({ team: team.name, denyAll: 1 });
      }
    });

    test('DNS to kube-dns in kube-system is the only traffic let through', () => {
      for (const team of teams()) {
        const policies = ofKind('NetworkPolicy', team.name);
        // Nothing is let in.
        for (const p of policies) expect(p.spec.ingress ?? []).toEqual([]);
        const egressRules: Json[] = policies.flatMap((p) => p.spec.egress ?? []);
        expect(egressRules.length).toBeGreaterThan(0);
        for (const rule of egressRules) {
          expect(rule.to?.length).toBeGreaterThan(0);
          for (const peer of rule.to) {
            expect(peer.ipBlock).toBeUndefined();
            expect(peer.namespaceSelector?.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'kube-system' });
            expect(peer.podSelector?.matchLabels).toEqual({ 'k8s-app': 'kube-dns' });
          }
          const ports = (rule.ports ?? []).map((p: Json) => `${p.protocol ?? 'TCP'}/${p.port}`).sort();
          expect(ports).toEqual(['TCP/53', 'UDP/53']);
        }
        // And the DNS policy applies to every pod of the namespace.
        const dns = policies.filter((p) => (p.spec.egress ?? []).length > 0);
        for (const p of dns) {
          expect(isEmptySelector(p.spec.podSelector)).toBe(true);
          expect(p.spec.policyTypes).toContain('Egress');
        }
      }
    });

    test('the quota matches the config', () => {
      for (const team of teams()) {
        const quotas = ofKind('ResourceQuota', team.name);
        expect(quotas).toHaveLength(1);
        const hard = quotas[0].spec.hard;
        expect(String(hard['requests.cpu'])).toBe(team.quota.cpu);
        expect(String(hard['requests.memory'])).toBe(team.quota.memory);
        expect(String(hard.pods)).toBe(String(team.quota.pods));
        expect(String(hard['limits.memory'])).toBe(team.quota.memory);
      }
    });

    test('the limit range gives containers the configured defaults', () => {
      for (const team of teams()) {
        const ranges = ofKind('LimitRange', team.name);
        expect(ranges).toHaveLength(1);
        const container = ranges[0].spec.limits.find((l: Json) => l.type === 'Container');
        expect(container).toBeDefined();
        const expected = { cpu: team.defaults.cpu, memory: team.defaults.memory };
        expect({ cpu: String(container.default.cpu), memory: String(container.default.memory) }).toEqual(expected);
        expect({ cpu: String(container.defaultRequest.cpu), memory: String(container.defaultRequest.memory) }).toEqual(expected);
      }
    });

    test("the team's group may edit its own namespace and nothing else", () => {
      for (const team of teams()) {
        const bindings = objects.filter(
          (o) =>
            (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') && (o.subjects ?? []).some((s: Json) => s.kind === 'Group' && s.name === team.group),
        );
        expect(bindings).toHaveLength(1);
        const [binding] = bindings;
        expect(binding.kind).toBe('RoleBinding');
        expect(binding.metadata.namespace).toBe(team.name);
        expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' });
        expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: team.group }]);
      }
    });
  });

  test('the viewers group gets the built-in view role cluster-wide, and only that', () => {
    const group = env.config.platform.viewersGroup;
    const bindings = objects.filter(
      (o) => (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') && (o.subjects ?? []).some((s: Json) => s.kind === 'Group' && s.name === group),
    );
    expect(bindings).toHaveLength(1);
    expect(bindings[0].kind).toBe('ClusterRoleBinding');
    expect(bindings[0].roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    expect(bindings[0].subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }]);
  });

  describe('RBAC', () => {
    const roles = () => objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role');

    test('no role grants a wildcard, escalation or impersonation (rule RBAC-WILDCARDS)', () => {
      expect(roles().length).toBeGreaterThan(0);
      expect(rbacWildcards.check({ env, stacks: {}, manifests: objects } as SynthesizedEnvironment)).toEqual([]);
    });

    test('nothing is bound to cluster-admin, admin or edit cluster-wide', () => {
      for (const binding of ofKind('ClusterRoleBinding')) {
        expect(['cluster-admin', 'admin', 'edit']).not.toContain(binding.roleRef.name);
      }
    });

    /** The rules granted to a service account through the chart's bindings, with the namespace they apply in (undefined: cluster-wide). */
    const rulesOf = (saName: string, saNamespace: string): Array<{ rule: PolicyRule; namespace?: string; role: string }> => {
      const out: Array<{ rule: PolicyRule; namespace?: string; role: string }> = [];
      for (const binding of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
        const bound = (binding.subjects ?? []).some((s: Json) => s.kind === 'ServiceAccount' && s.name === saName && s.namespace === saNamespace);
        if (!bound) continue;
        const role =
          binding.roleRef.kind === 'ClusterRole'
            ? objects.find((o) => o.kind === 'ClusterRole' && o.metadata.name === binding.roleRef.name)
            : objects.find((o) => o.kind === 'Role' && o.metadata.name === binding.roleRef.name && o.metadata.namespace === binding.metadata.namespace);
        if (!role) continue; // a built-in role, checked by name in its own test
        for (const rule of role.rules ?? [])
          out.push({ rule, namespace: binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined, role: role.metadata.name });
      }
      return out;
    };
    const allows = (
      granted: ReturnType<typeof rulesOf>,
      verb: string,
      apiGroup: string,
      resource: string,
      options: { namespace?: string; resourceName?: string } = {},
    ): boolean =>
      granted.some(
        ({ rule, namespace }) =>
          (namespace === undefined || namespace === options.namespace) &&
          rule.verbs.includes(verb) &&
          (rule.apiGroups ?? []).includes(apiGroup) &&
          (rule.resources ?? []).includes(resource) &&
          (rule.resourceNames === undefined || (options.resourceName !== undefined && rule.resourceNames.includes(options.resourceName))),
      );

    test('cluster-autoscaler has what it needs and no Secrets', () => {
      const granted = rulesOf('cluster-autoscaler', platformNs());
      expect(granted.length).toBeGreaterThan(0);
      for (const { rule, role } of granted) {
        expect({ role, secrets: (rule.resources ?? []).filter((r) => r === 'secrets' || r.startsWith('secrets/')) }).toEqual({ role, secrets: [] });
      }
      const ns = platformNs();
      const needs: Array<[string, string, string, { namespace?: string; resourceName?: string }?]> = [
        ['list', '', 'pods'],
        ['watch', '', 'nodes'],
        ['patch', '', 'nodes'],
        ['update', '', 'nodes'],
        ['create', '', 'pods/eviction'],
        ['create', '', 'events'],
        ['list', 'apps', 'statefulsets'],
        ['list', 'policy', 'poddisruptionbudgets'],
        ['list', 'storage.k8s.io', 'csinodes'],
        ['list', 'storage.k8s.io', 'volumeattachments'],
        ['create', 'coordination.k8s.io', 'leases', { namespace: ns }],
        ['update', 'coordination.k8s.io', 'leases', { namespace: ns, resourceName: 'cluster-autoscaler' }],
        ['update', '', 'configmaps', { namespace: ns, resourceName: 'cluster-autoscaler-status' }],
      ];
      for (const [verb, group, resource, options] of needs) {
        expect({ verb, group, resource, allowed: allows(granted, verb, group, resource, options) }).toEqual({ verb, group, resource, allowed: true });
      }
      // Writes to ConfigMaps and Leases stay in its namespace.
      expect(allows(granted, 'update', '', 'configmaps', { namespace: 'kube-system', resourceName: 'cluster-autoscaler-status' })).toBe(false);
      expect(allows(granted, 'create', 'coordination.k8s.io', 'leases', { namespace: 'kube-system' })).toBe(false);
      // Nothing it could delete cluster-wide.
      expect(granted.filter(({ rule, namespace }) => namespace === undefined && rule.verbs.includes('delete'))).toEqual([]);
    });

    test('metrics-server has the upstream RBAC', () => {
      const ns = platformNs();
      const granted = rulesOf('metrics-server', ns);
      expect(allows(granted, 'get', '', 'nodes/metrics')).toBe(true);
      expect(allows(granted, 'list', '', 'pods')).toBe(true);
      for (const { rule } of granted) expect(rule.resources ?? []).not.toContain('secrets');
      const delegator = objects.find((o) => o.kind === 'ClusterRoleBinding' && o.roleRef.name === 'system:auth-delegator');
      expect(delegator?.subjects).toEqual([{ kind: 'ServiceAccount', name: 'metrics-server', namespace: ns }]);
      const reader = objects.find((o) => o.kind === 'RoleBinding' && o.roleRef.name === 'extension-apiserver-authentication-reader');
      expect(reader?.metadata.namespace).toBe('kube-system');
      expect(reader?.roleRef.kind).toBe('Role');
      expect(reader?.subjects).toEqual([{ kind: 'ServiceAccount', name: 'metrics-server', namespace: ns }]);
      const aggregated = one('ClusterRole', 'system:aggregated-metrics-reader');
      expect(aggregated.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).toBe('true');
    });
  });

  describe('workloads', () => {
    test('every Deployment runs non-root, read-only, unprivileged, with resources', () => {
      const deployments = ofKind('Deployment');
      expect(deployments.length).toBeGreaterThanOrEqual(2);
      for (const d of deployments) {
        const name = d.metadata.name;
        const selector = d.spec.selector?.matchLabels ?? {};
        expect(Object.keys(selector).length).toBeGreaterThan(0);
        expect(d.spec.template.metadata.labels).toMatchObject(selector);
        const pod = d.spec.template.spec;
        expect({ name, hostNetwork: pod.hostNetwork ?? false, hostPID: pod.hostPID ?? false, hostIPC: pod.hostIPC ?? false }).toEqual({
          name,
          hostNetwork: false,
          hostPID: false,
          hostIPC: false,
        });
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
        expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
        expect(typeof pod.serviceAccountName).toBe('string');
        expect(pod.automountServiceAccountToken).toBe(true);
        for (const volume of pod.volumes ?? []) expect(volume.hostPath).toBeUndefined();
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
          const where = `${name}/${c.name}`;
          const sc = c.securityContext ?? {};
          expect({
            where,
            runAsNonRoot: sc.runAsNonRoot,
            readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
            allowPrivilegeEscalation: sc.allowPrivilegeEscalation,
            privileged: sc.privileged,
          }).toEqual({
            where,
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
          });
          expect(sc.runAsUser ?? pod.securityContext.runAsUser).toBe(65534);
          expect(sc.capabilities?.drop).toEqual(['ALL']);
          expect(sc.capabilities?.add ?? []).toEqual([]);
          for (const kind of ['requests', 'limits']) {
            expect({ where, kind, cpu: c.resources?.[kind]?.cpu !== undefined, memory: c.resources?.[kind]?.memory !== undefined }).toEqual({
              where,
              kind,
              cpu: true,
              memory: true,
            });
          }
          expect(c.image).toMatch(/^[a-z0-9.\-/]+:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
          expect(c.imagePullPolicy).toBe('IfNotPresent');
        }
      }
    });

    test('cluster-autoscaler: IRSA role, pinned image, auto-discovery of this cluster', () => {
      const ns = platformNs();
      const sa = one('ServiceAccount', 'cluster-autoscaler', ns);
      expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(env.naming.irsaRoleArn('cluster-autoscaler'));
      const deployment = one('Deployment', 'cluster-autoscaler', ns);
      const pod = deployment.spec.template.spec;
      expect(pod.serviceAccountName).toBe('cluster-autoscaler');
      expect(pod.containers).toHaveLength(1);
      const [container] = pod.containers;
      const { version, digest } = clusterAutoscalerImage(env.config);
      expect(container.image).toBe(`registry.k8s.io/autoscaling/cluster-autoscaler:v${version}@${digest}`);
      expect(container.image.split(':v')[1].split('.').slice(0, 2).join('.')).toBe(env.config.kubernetes.version);
      expect(container.args).toEqual(
        expect.arrayContaining([
          '--cloud-provider=aws',
          `--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/${env.naming.clusterName}`,
          '--skip-nodes-with-system-pods=false',
          `--namespace=${ns}`,
        ]),
      );
      expect(container.env).toContainEqual({ name: 'AWS_REGION', value: env.config.aws.region });
    });

    test('metrics-server: pinned image, secure port, probes, API service wired to its Service', () => {
      const ns = platformNs();
      const deployment = one('Deployment', 'metrics-server', ns);
      const pod = deployment.spec.template.spec;
      expect(pod.serviceAccountName).toBe('metrics-server');
      one('ServiceAccount', 'metrics-server', ns);
      const [container] = pod.containers;
      const image = metricsServerImage(env.config);
      expect(container.image).toBe(`registry.k8s.io/metrics-server/metrics-server:v${image.version}@${image.digest}`);
      expect(container.args).toContain('--secure-port=10250');
      expect(container.ports).toContainEqual(expect.objectContaining({ containerPort: 10250 }));
      expect(container.livenessProbe?.httpGet).toMatchObject({ path: '/livez', port: 10250, scheme: 'HTTPS' });
      expect(container.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 10250, scheme: 'HTTPS' });
      const tmp = (container.volumeMounts ?? []).find((m: Json) => m.mountPath === '/tmp');
      expect(tmp).toBeDefined();
      expect(pod.volumes.find((v: Json) => v.name === tmp.name)?.emptyDir).toBeDefined();

      const apiService = one('APIService', 'v1beta1.metrics.k8s.io');
      expect(apiService.spec).toMatchObject({ group: 'metrics.k8s.io', version: 'v1beta1' });
      const service = one('Service', apiService.spec.service.name, apiService.spec.service.namespace);
      expect(service.metadata.namespace).toBe(ns);
      const port = service.spec.ports.find((p: Json) => p.port === (apiService.spec.service.port ?? 443));
      expect(port?.targetPort).toBe(10250);
      expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    });
  });
});
