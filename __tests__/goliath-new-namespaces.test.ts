/**
 * Goliath on a live cluster that lacks the chart's namespaces: a first deploy after KARR (no
 * namespace of the chart exists) and a change that adds a team (one new namespace). kubectl is the
 * stand-in of support/fake-kubectl.js, whose server-side dry run refuses an object in a missing
 * namespace as the API server does.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironment } from '../config/load';
import { type K8sObject, objectAddress, parseManifests } from '../bdda/diff/kubernetes-diff';
import { applyPhases, byNamespacePresence } from '../bdda/engines/kubectl-namespaces';
import { KubectlGoliathEngine } from '../bdda/layers/goliath-kubectl';
import { synthesizeGoliath } from '../bdda/workflow/synth-apps';
import { manifestFile } from '../bdda/workflow/synth-output';
import { liveCluster } from './support/live-cluster';
import { REPO_ROOT } from './support/scratch';

const FAKE_KUBECTL = path.join(__dirname, 'support', 'fake-kubectl.js');

const ns = (name: string): K8sObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const quota = (namespace: string): K8sObject => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'team-quota', namespace } });
const role = (name: string): K8sObject => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name } });

describe('the order of a Goliath deploy', () => {
  test('apply takes cluster-scoped objects first, then namespaced ones, each in chart order', () => {
    const phases = applyPhases([quota('a'), ns('a'), role('r'), quota('b'), ns('b')]);
    expect(phases.map((p) => [p.name, p.objects.map(objectAddress)])).toEqual([
      ['cluster-scoped', ['v1 Namespace a', 'rbac.authorization.k8s.io/v1 ClusterRole r', 'v1 Namespace b']],
      ['namespaced', ['v1 ResourceQuota a/team-quota', 'v1 ResourceQuota b/team-quota']],
    ]);
  });

  test('the server is asked only about objects whose namespace exists; the rest are new', () => {
    const split = byNamespacePresence([ns('a'), quota('a'), quota('kube-system'), role('r')], new Set(['kube-system']));
    expect(split.onCluster.map(objectAddress)).toEqual([
      'v1 Namespace a',
      'v1 ResourceQuota kube-system/team-quota',
      'rbac.authorization.k8s.io/v1 ClusterRole r',
    ]);
    expect(split.inNewNamespaces.map(objectAddress)).toEqual(['v1 ResourceQuota a/team-quota']);
  });
});

describe('Goliath on a cluster without the namespaces it needs', () => {
  const env = loadEnvironment(REPO_ROOT, 'stg1');
  const live = liveCluster(env);
  const { ctx, dir } = live;
  const manifest = manifestFile(ctx.synth, 'goliath');
  const engine = new KubectlGoliathEngine('goliath', 'GOLIATH', 'karr');
  const cluster = () => JSON.parse(fs.readFileSync(path.join(dir, 'cluster.json'), 'utf8')) as { namespaces: string[]; objects: Record<string, unknown> };
  const writeChart = (text: string) => {
    fs.mkdirSync(path.dirname(manifest), { recursive: true });
    fs.writeFileSync(manifest, text);
  };

  beforeAll(() => {
    // A cluster as EKS hands it over: only Kubernetes' own namespaces.
    live.start(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
    writeChart(synthesizeGoliath(env));
  });

  afterAll(() => live.restore());

  test('the stand-in kubectl refuses a server-side diff of an object in a missing namespace, as the API server does', () => {
    const run = spawnSync(FAKE_KUBECTL, ['diff', '--server-side', '-f', manifest], { env: process.env, encoding: 'utf8' });
    expect(run.status).toBeGreaterThan(1);
    expect(run.stderr).toMatch(/namespaces "(platform|payments|search)" not found/);
  });

  test('a first deploy plans every object as created, with its content, and applies namespaces before what goes in them', async () => {
    const chart = parseManifests(fs.readFileSync(manifest, 'utf8'));
    const plan = await engine.plan(ctx);
    expect(plan.actions).toEqual(Object.fromEntries(chart.map((o) => [objectAddress(o), 'create'])));
    expect(plan.counts).toEqual({ add: chart.length, change: 0, delete: 0 });
    // An object the server never saw is shown whole, in kubectl's layout.
    expect(plan.body).toContain('+++ merged/v1.ResourceQuota.payments.team-quota\n@@ -0,0 +1,');
    expect(plan.body).toMatch(/\+kind: ResourceQuota\n(.*\n)*\+ {2}namespace: payments/);

    await engine.apply(ctx);
    expect(Object.keys(cluster().objects)).toHaveLength(chart.length);
    expect(cluster().namespaces).toEqual(expect.arrayContaining(['platform', 'payments', 'search']));
    expect(await engine.plan(ctx)).toEqual(expect.objectContaining({ status: 'no-changes', actions: {} }));
  });

  test('a new team is one new namespace: its objects are planned as created, the rest diffed by the server', async () => {
    const team = { ...env.config.platform.teams[0], name: 'ledger', group: 'ledger-devs' };
    const withTeam = { ...env, config: { ...env.config, platform: { ...env.config.platform, teams: [...env.config.platform.teams, team] } } };
    writeChart(synthesizeGoliath(withTeam));
    const added = parseManifests(fs.readFileSync(manifest, 'utf8')).filter((o) => o.metadata.name === 'ledger' || o.metadata.namespace === 'ledger');
    expect(added.length).toBeGreaterThan(1);

    const plan = await engine.plan(ctx);
    // Every object of the new team is created; the team guards' bindings, which list the teams, change with it.
    const created = Object.fromEntries(Object.entries(plan.actions).filter(([, action]) => action === 'create'));
    expect(created).toEqual(Object.fromEntries(added.map((o) => [objectAddress(o), 'create'])));
    expect(Object.entries(plan.actions).filter(([, action]) => action !== 'create')).toEqual(
      expect.arrayContaining([[expect.stringMatching(/ValidatingAdmissionPolicyBinding goliath-team-/), 'update']]),
    );
    const serverSide = fs.readFileSync(`${manifest}.on-cluster.yaml`, 'utf8');
    expect(parseManifests(serverSide).filter((o) => o.metadata.namespace === 'ledger')).toEqual([]);

    await engine.apply(ctx);
    expect(cluster().namespaces).toContain('ledger');
    expect(await engine.plan(ctx)).toEqual(expect.objectContaining({ status: 'no-changes' }));
  });
});
