/**
 * Every pod the chart runs meets Pod Security `restricted`, which the platform namespace enforces:
 * the rules of that level (Kubernetes' Pod Security Standards) that can be checked on the
 * manifest alone, for every shipped environment.
 */
import { listEnvironments, loadEnvironment } from '../config/load';
import { parseManifests } from '../bdda/diff/kubernetes-diff';
import { synthesizeGoliath } from '../bdda/workflow/synth-apps';
import { REPO_ROOT } from './support/scratch';

type Json = any;

/** Volume types `restricted` allows. */
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/** What in `pod` (a pod spec) breaks the `restricted` level; empty when it meets it. */
function restrictedViolations(pod: Json): string[] {
  const problems: string[] = [];
  const podContext = pod.securityContext ?? {};
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) if (pod[field]) problems.push(`${field} is set`);
  for (const volume of pod.volumes ?? []) {
    const kind = Object.keys(volume).find((k) => k !== 'name');
    if (!kind || !RESTRICTED_VOLUMES.has(kind)) problems.push(`volume ${volume.name} is of type ${kind}`);
  }
  const sysctls = podContext.sysctls ?? [];
  if (sysctls.length) problems.push('sets sysctls');
  if (podContext.runAsUser === 0) problems.push('the pod runs as UID 0');
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (sc.privileged) problems.push(`${where} is privileged`);
    if (sc.allowPrivilegeEscalation !== false) problems.push(`${where} does not set allowPrivilegeEscalation: false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where} does not drop ALL capabilities`);
    for (const cap of sc.capabilities?.add ?? []) if (cap !== 'NET_BIND_SERVICE') problems.push(`${where} adds capability ${cap}`);
    if ((sc.runAsNonRoot ?? podContext.runAsNonRoot) !== true) problems.push(`${where} may run as root (runAsNonRoot is not true)`);
    if (sc.runAsUser === 0) problems.push(`${where} runs as UID 0`);
    const seccomp = (sc.seccompProfile ?? podContext.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') problems.push(`${where} has seccomp profile ${seccomp}, not RuntimeDefault or Localhost`);
    for (const port of c.ports ?? []) if (port.hostPort) problems.push(`${where} uses host port ${port.hostPort}`);
    if (sc.procMount && sc.procMount !== 'Default') problems.push(`${where} has procMount ${sc.procMount}`);
    if (sc.seLinuxOptions?.user || sc.seLinuxOptions?.role) problems.push(`${where} sets an SELinux user or role`);
  }
  return problems;
}

describe.each(listEnvironments(REPO_ROOT).map((e) => e.path))('%s', (envPath) => {
  const objects = parseManifests(synthesizeGoliath(loadEnvironment(REPO_ROOT, envPath)));
  const workloads = objects.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet'].includes(o.kind));

  test('every pod template meets Pod Security restricted', () => {
    expect(workloads.length).toBeGreaterThan(0);
    const violations = workloads.flatMap((w) =>
      restrictedViolations((w.spec as Json).template.spec).map((p) => `${w.kind} ${w.metadata.namespace}/${w.metadata.name}: ${p}`),
    );
    expect(violations).toEqual([]);
  });
});

test('the checks catch a pod that breaks restricted', () => {
  const pod = {
    hostNetwork: true,
    volumes: [{ name: 'host', hostPath: { path: '/' } }],
    containers: [
      { name: 'x', securityContext: { allowPrivilegeEscalation: true, capabilities: { add: ['SYS_ADMIN'] } }, ports: [{ containerPort: 80, hostPort: 80 }] },
    ],
  };
  expect(restrictedViolations(pod)).toEqual([
    'hostNetwork is set',
    'volume host is of type hostPath',
    'container x does not set allowPrivilegeEscalation: false',
    'container x does not drop ALL capabilities',
    'container x adds capability SYS_ADMIN',
    'container x may run as root (runAsNonRoot is not true)',
    'container x has seccomp profile undefined, not RuntimeDefault or Localhost',
    'container x uses host port 80',
  ]);
});
