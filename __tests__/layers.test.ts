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

  test("an emulated environment diffs Goliath against its record without reading KARR; a live one uses kubectl, reads KARR's cluster, and previews until KARR is applied", () => {
    const [goliathEmulated, goliathLive] = [emulated, live].map((env) => layerEngines(env)[2]);
    expect(goliathEmulated).toBeInstanceOf(RecordedGoliathEngine);
    expect(goliathEmulated.waitsForUpstream).toBe(false);
    expect(goliathLive).toBeInstanceOf(KubectlGoliathEngine);
    expect(goliathLive.waitsForUpstream).toBe(true);
    expect(typeof goliathLive.preview).toBe('function');
  });

  test("FLAG and KARR are planned by terraform, which reads the upstream's state and checks for orphans once; KARR is previewed against FLAG's planned outputs", () => {
    const engines = layerEngines(emulated).filter((e) => e instanceof TerraformLayerEngine);
    expect(engines.map((e) => [e.layer, e.planEngine, e.waitsForUpstream])).toEqual([
      ['flag', 'terraform plan', true],
      ['karr', 'terraform plan', true],
    ]);
    const [flag, karr] = engines;
    expect(typeof flag.plannedOutputs).toBe('function');
    expect(typeof karr.preview).toBe('function');
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
