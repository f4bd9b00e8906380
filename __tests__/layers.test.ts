/** The layer list: order, upstreams, and the engine each environment gets. */
import { loadEnvironment } from '../config/load';
import { LAYERS } from '../config/naming';
import { kubectlDiffName, objectAddress } from '../bdda/diff/kubernetes-diff';
import { KubectlGoliathEngine } from '../bdda/layers/goliath-kubectl';
import { RecordedGoliathEngine } from '../bdda/layers/goliath-recorded';
import { downstreamOf, LABEL, layerEngines, UPSTREAM } from '../bdda/layers/index';
import { TerraformLayerEngine } from '../bdda/layers/terraform';
import { TERRAFORM_LAYERS } from '../bdda/layers/list';
import { REPO_ROOT } from './support/scratch';

const emulated = loadEnvironment(REPO_ROOT, 'dev1');
const live = loadEnvironment(REPO_ROOT, 'stg1');

describe('the layer list', () => {
  test('lists the layers in apply order, as LAYERS does, each reading the one before', () => {
    const engines = layerEngines(emulated);
    expect(engines.map((e) => e.layer)).toEqual([...LAYERS]);
    expect(engines.map((e) => [e.label, e.upstream])).toEqual([
      ['FLAG', undefined],
      ['KARR', 'flag'],
      ['GOLIATH', 'karr'],
    ]);
    expect(LABEL).toEqual({ flag: 'FLAG', karr: 'KARR', goliath: 'GOLIATH' });
    expect(UPSTREAM).toEqual({ karr: 'flag', goliath: 'karr' });
  });

  test('the downstream of a layer is the layers whose upstream it is', () => {
    expect(LAYERS.map((l) => downstreamOf(l))).toEqual([['karr'], ['goliath'], []]);
  });

  test('an emulated environment diffs Goliath against its record without waiting; a live one uses kubectl and waits for KARR', () => {
    const [goliathEmulated, goliathLive] = [emulated, live].map((env) => layerEngines(env)[2]);
    expect(goliathEmulated).toBeInstanceOf(RecordedGoliathEngine);
    expect(goliathEmulated.waitsForUpstream).toBe(false);
    expect(goliathLive).toBeInstanceOf(KubectlGoliathEngine);
    expect(goliathLive.waitsForUpstream).toBe(true);
  });

  test('FLAG and KARR are planned by terraform, which waits for the upstream and checks for orphans once', () => {
    const engines = layerEngines(emulated).filter((e) => e instanceof TerraformLayerEngine);
    expect(engines.map((e) => [e.layer, e.planEngine, e.waitsForUpstream])).toEqual([
      ['flag', 'terraform plan', true],
      ['karr', 'terraform plan', true],
    ]);
    expect(new Set(engines.map((e) => e.preflight)).size).toBe(1);
    expect(engines.map((e) => e.layer)).toEqual([...TERRAFORM_LAYERS]);
  });
});

describe('Kubernetes object names', () => {
  test("kubectl diff's file name of an object is group.version.Kind[.namespace].name, mapping back to one address", () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'cluster-autoscaler', namespace: 'platform' } };
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } };
    expect([deployment, namespace].map((o) => [kubectlDiffName(o), objectAddress(o)])).toEqual([
      ['apps.v1.Deployment.platform.cluster-autoscaler', 'apps/v1 Deployment platform/cluster-autoscaler'],
      ['v1.Namespace.payments', 'v1 Namespace payments'],
    ]);
  });
});
