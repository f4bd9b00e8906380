/**
 * The platform add-ons reach the Kubernetes API through the `kubernetes` Service's ClusterIP,
 * which the VPC CNI's policy agent sees before kube-proxy translates it: the Service CIDR is set
 * in config, given to EKS by KARR, and let out on 443 by the add-ons' network policies. And a
 * metrics-server that is not ready never blocks a node drain.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironment, type Environment } from '../config/load';
import { type K8sObject, parseManifests } from '../bdda/diff/kubernetes-diff';
import { buildTerraformApp, synthesizeGoliath } from '../bdda/workflow/synth-apps';
import { editFile, makeScratch, removeScratch, REPO_ROOT } from './support/scratch';

const DEV2 = 'environments/dev/dev2/env.yaml';

/** dev2 with `kubernetes.serviceCidr` set in its leaf file. */
function withServiceCidr(root: string, cidr: string): void {
  editFile(root, DEV2, /^vpc:/m, `kubernetes:\n  serviceCidr: ${cidr}\nvpc:`);
}

function chart(env: Environment): K8sObject[] {
  return parseManifests(synthesizeGoliath(env));
}

function policy(objects: K8sObject[], name: string): { egress: Array<{ to: Array<{ ipBlock?: { cidr: string } }>; ports: Array<{ port: number }> }> } {
  const found = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.namespace === 'platform' && o.metadata.name === name);
  if (!found) throw new Error(`no NetworkPolicy platform/${name}`);
  return found.spec as ReturnType<typeof policy>;
}

/** Whether a policy lets its pods out to `ip` on `port`. */
function letsOut(objects: K8sObject[], name: string, ip: string, port: number): boolean {
  return policy(objects, name).egress.some((rule) => rule.to.some((peer) => peer.ipBlock?.cidr === `${ip}/32`) && rule.ports.some((p) => p.port === port));
}

describe('the Service CIDR', () => {
  let root: string;
  beforeEach(() => (root = makeScratch()));
  afterEach(() => removeScratch(root));

  test("defaults to EKS's own pick, 172.20.0.0/16", () => {
    expect(loadEnvironment(REPO_ROOT, 'stg1').config.kubernetes.serviceCidr).toBe('172.20.0.0/16');
  });

  test('one that overlaps the VPC is refused, naming the file and the key', () => {
    withServiceCidr(root, '10.12.0.0/16');
    expect(() => loadEnvironment(root, 'dev2')).toThrow(`${DEV2}: kubernetes.serviceCidr: "10.12.0.0/16" overlaps vpc.cidr 10.12.0.0/16`);
  });

  test('one outside the private ranges EKS takes is refused', () => {
    withServiceCidr(root, '100.64.0.0/16');
    expect(() => loadEnvironment(root, 'dev2')).toThrow(
      `${DEV2}: kubernetes.serviceCidr: "100.64.0.0/16" must lie in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`,
    );
  });

  test("is KARR's service_ipv4_cidr", () => {
    withServiceCidr(root, '10.100.0.0/16');
    const env = loadEnvironment(root, 'dev2');
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-service-cidr-'));
    try {
      buildTerraformApp(env, outdir).synth();
      const karr = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', 'karr', 'cdk.tf.json'), 'utf8'));
      const clusters = Object.values(karr.resource.aws_eks_cluster) as Array<{ kubernetes_network_config?: unknown }>;
      expect(clusters.map((c) => c.kubernetes_network_config)).toEqual([{ service_ipv4_cidr: '10.100.0.0/16' }]);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("each add-on that talks to the API is let out to the kubernetes Service's ClusterIP on 443", () => {
    const stg1 = chart(loadEnvironment(REPO_ROOT, 'stg1'));
    for (const addon of ['metrics-server', 'cluster-autoscaler']) expect([addon, letsOut(stg1, addon, '172.20.0.1', 443)]).toEqual([addon, true]);

    withServiceCidr(root, '10.100.0.0/16');
    const dev2 = chart(loadEnvironment(root, 'dev2'));
    for (const addon of ['metrics-server', 'cluster-autoscaler']) expect([addon, letsOut(dev2, addon, '10.100.0.1', 443)]).toEqual([addon, true]);
  });
});

test("metrics-server's disruption budget lets an unready replica be evicted, so it never blocks a drain", () => {
  const budget = chart(loadEnvironment(REPO_ROOT, 'stg1')).find((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'metrics-server');
  expect(budget?.spec).toEqual(expect.objectContaining({ unhealthyPodEvictionPolicy: 'AlwaysAllow' }));
});
