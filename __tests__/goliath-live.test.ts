/**
 * Goliath on a live cluster, with kubectl replaced by a script that records its arguments and
 * answers as kubectl would. No cluster exists here; this pins down what bdda asks of kubectl and
 * how it reads the answers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { loadEnvironment } from '../config/load';
import { parseManifests } from '../bdda/diff/kubernetes-diff';
import { EMPTY_PLAN } from '../bdda/diff/typed-plan';
import { KubectlGoliathEngine } from '../bdda/layers/goliath-kubectl';
import { layerEngine } from '../bdda/layers/index';
import { writeLayerApps } from '../bdda/workflow/synth-apps';
import { manifestFile } from '../bdda/workflow/synth-output';
import { liveCluster } from './support/live-cluster';
import { REPO_ROOT } from './support/scratch';

const FAKE_KUBECTL = path.join(__dirname, 'support', 'fake-kubectl.js');

// What `kubectl diff` prints: temp folders and file times that differ on every run.
const KUBECTL_DIFF = `diff -u -N /tmp/LIVE-2871/v1.ResourceQuota.payments.team-quota /tmp/MERGED-2871/v1.ResourceQuota.payments.team-quota
--- /tmp/LIVE-2871/v1.ResourceQuota.payments.team-quota\t2026-11-25 10:00:00.000000000 +0000
+++ /tmp/MERGED-2871/v1.ResourceQuota.payments.team-quota\t2026-11-25 10:00:01.000000000 +0000
@@ -7,7 +7,7 @@
 spec:
   hard:
-    requests.cpu: "8"
+    requests.cpu: "10"
diff -u -N /tmp/LIVE-2871/v1.Namespace.payments /tmp/MERGED-2871/v1.Namespace.payments
--- /tmp/LIVE-2871/v1.Namespace.payments\t2026-11-25 10:00:00.000000000 +0000
+++ /tmp/MERGED-2871/v1.Namespace.payments\t2026-11-25 10:00:01.000000000 +0000
@@ -0,0 +1,4 @@
+apiVersion: v1
+kind: Namespace
+metadata:
+  name: payments
`;

describe('Goliath against a live cluster', () => {
  const env = loadEnvironment(REPO_ROOT, 'stg1');
  const leaving = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'retired-team' } };
  const cluster = liveCluster(env);
  const { ctx, objects } = cluster;
  const synth = ctx.synth;
  const calls = path.join(cluster.dir, 'calls.log');
  const engine = layerEngine(env, 'goliath') as KubectlGoliathEngine;

  beforeAll(() => {
    writeLayerApps(env, synth.outdir);
    fs.writeFileSync(path.join(cluster.dir, 'diff.txt'), KUBECTL_DIFF);
    // A cluster that has every namespace of the chart.
    cluster.start([
      'kube-system',
      ...parseManifests(fs.readFileSync(manifestFile(synth, 'goliath'), 'utf8')).flatMap((o) => (o.kind === 'Namespace' ? [o.metadata.name] : [])),
    ]);
    objects.set(env.naming.stateKey('goliath'), [fs.readFileSync(manifestFile(synth, 'goliath'), 'utf8'), stringify(leaving)].join('---\n'));
  });

  afterAll(() => cluster.restore());

  test('plan: a server-side kubectl diff, made repeatable, plus the objects that left the chart', async () => {
    const plan = await engine.plan(ctx);
    expect(fs.readFileSync(calls, 'utf8')).toContain(`diff --server-side --field-manager=bdda --force-conflicts -f ${manifestFile(synth, 'goliath')}`);
    expect(plan.body).not.toMatch(/\/tmp\/(LIVE|MERGED)-/);
    expect(plan.body).not.toMatch(/2026-11-25|diff -u -N/);
    expect(plan.body).toContain('+++ merged/v1.ResourceQuota.payments.team-quota');
    expect(plan.body).toContain('# v1 Namespace retired-team will be deleted (it left the chart)');
    expect(plan.actions).toEqual({
      'v1 ResourceQuota payments/team-quota': 'update',
      'v1 Namespace payments': 'create',
      'v1 Namespace retired-team': 'delete',
    });
    expect(plan.summary).toBe('GOLIATH: 1 to add, 1 to change, 1 to delete.');
    // Before is what the last apply recorded, after what the chart holds now.
    const quota = plan.plan.changes.find((c) => c.address === 'v1 ResourceQuota payments/team-quota');
    expect(quota?.before).toEqual(expect.objectContaining({ kind: 'ResourceQuota' }));
    expect(quota?.after).toEqual(expect.objectContaining({ kind: 'ResourceQuota' }));
    expect(plan.plan.changes.find((c) => c.action === 'delete')?.after).toBeNull();
  });

  test("a live environment plans Goliath with kubectl, waiting for KARR, and records kubectl's client version", async () => {
    expect(engine).toBeInstanceOf(KubectlGoliathEngine);
    expect({ upstream: engine.upstream, waits: engine.waitsForUpstream }).toEqual({ upstream: 'karr', waits: true });
    expect(await engine.versions()).toEqual({ kubectl: 'v1.35.1' });
  });

  test('a preview before KARR has a cluster is the whole chart as additions, without asking kubectl', async () => {
    const karr = layerEngine(env, 'karr');
    const before = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8') : '';
    const upstream = {
      engine: karr,
      plan: { layer: 'karr' as const, engine: 'terraform plan', status: 'changes' as const, body: '', plan: EMPTY_PLAN, summary: '', actions: {}, counts: {} },
      applied: false,
    };
    const preview = await engine.preview(ctx, upstream);
    expect(fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8') : '').toBe(before);
    const chart = parseManifests(fs.readFileSync(manifestFile(synth, 'goliath'), 'utf8'));
    expect(Object.keys(preview.actions)).toHaveLength(chart.length);
    expect(new Set(Object.values(preview.actions))).toEqual(new Set(['create']));
    expect(preview.counts).toEqual(expect.objectContaining({ add: chart.length, change: 0, delete: 0 }));
    expect(preview.preview).toEqual({ upstream: 'karr', placeholders: [] });

    // On a cluster that exists, the preview is the usual kubectl diff.
    const onCluster = await engine.preview(ctx, { ...upstream, applied: true });
    expect(onCluster.actions).toEqual({
      'v1 ResourceQuota payments/team-quota': 'update',
      'v1 Namespace payments': 'create',
      'v1 Namespace retired-team': 'delete',
    });
  });

  test('the kubeconfig comes from KARR and asks aws eks get-token for the cluster', () => {
    const kubeconfig = fs.readFileSync(path.join(path.dirname(manifestFile(synth, 'goliath')), 'kubeconfig'), 'utf8');
    expect(kubeconfig).toContain('server: https://ABC.gr7.eu-west-1.eks.amazonaws.com');
    expect(kubeconfig).toMatch(/args:\n\s+- eks\n\s+- get-token\n\s+- --cluster-name\n\s+- staging-stg1\n\s+- --region\n\s+- eu-west-1/);
  });

  test('apply: server-side apply, then deletion of what left the chart, then the new record', async () => {
    await engine.apply(ctx);
    const log = fs.readFileSync(calls, 'utf8');
    expect(log).toContain(`apply --server-side --field-manager=bdda --force-conflicts -f ${manifestFile(synth, 'goliath')}.cluster-scoped.yaml`);
    expect(log.indexOf('.cluster-scoped.yaml')).toBeLessThan(log.indexOf('.namespaced.yaml'));
    expect(log.indexOf('.namespaced.yaml')).toBeLessThan(log.indexOf(' delete '));
    expect(parseManifests(fs.readFileSync(path.join(cluster.dir, 'deleted.yaml'), 'utf8'))).toEqual([leaving]);
    expect(objects.get(env.naming.stateKey('goliath'))).toBe(fs.readFileSync(manifestFile(synth, 'goliath'), 'utf8'));
  });

  test('a failing kubectl diff is an error, not an empty diff', async () => {
    fs.writeFileSync(path.join(cluster.dir, 'diff.txt'), '');
    const kubectl = path.join(cluster.dir, 'unauthorized-kubectl');
    fs.writeFileSync(
      kubectl,
      [
        '#!/bin/sh',
        'case "$1" in',
        `  version|get) exec ${FAKE_KUBECTL} "$@" ;;`,
        'esac',
        'echo "error: You must be logged in to the server (Unauthorized)" >&2',
        'exit 2',
      ].join('\n'),
      { mode: 0o755 },
    );
    process.env.KUBECTL_BINARY = kubectl;
    await expect(engine.diff(ctx, undefined)).rejects.toThrow(/kubectl diff against staging-stg1 failed: error: You must be logged in/);
  });
});
